import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { queueName } from "../src/queue/QueueName.js"
import { count, deadLetters, envelope, eventually, ORG, recordedAlerts, send, serviceWorker } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"

const SCORE_QUEUE = queueName("score_collectability")

const withScoreWorker = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provide(
    Effect.scoped(Effect.zipRight(Layer.build(serviceWorker("score")), self)),
    Layer.mergeAll(PgmqQueue.Default, recordedAlerts).pipe(Layer.provideMerge(TestDatabase.layer()))
  )

const recently = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10)

/** p-1: j-a (W-2 + NY bank + verified address, entered last year: 65, tier A) and j-b (deceased: X). */
const seed = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`INSERT INTO dragonfly.plaintiffs (org_id, id, name) VALUES
    (${ORG}::uuid, 'p-1', 'Example Funding LLC (TEST)'), (${ORG}::uuid, 'p-2', 'Sample Medical PC (TEST)')`
  yield* sql`INSERT INTO dragonfly.judgments ${
    sql.insert(["j-a", "j-b", "j-c"].map((id, i) => ({
      org_id: ORG,
      id,
      plaintiff_id: id === "j-c" ? "p-2" : "p-1",
      source: "simplicity",
      case_number: `case-${id}`,
      judgment_date: recently(365),
      judgment_amount_cents: 300_000 + i,
      current_balance_cents: 250_000,
      debtor_first_name: "Pat",
      debtor_last_name: "Example",
      is_synthetic: true
    })))
  }`
  yield* sql`INSERT INTO dragonfly.judgment_facts ${
    sql.insert({
      org_id: ORG,
      judgment_id: "j-a",
      employer_name: "Acme Widgets, Inc.",
      employment_type: "w2",
      employment_verified_at: recently(10),
      bank_name: "Example Bank",
      bank_state: "NY",
      bank_identified_at: recently(30),
      address_verified_at: recently(10)
    })
  }`
  yield* sql`INSERT INTO dragonfly.judgment_facts ${
    sql.insert({ org_id: ORG, judgment_id: "j-b", deceased: true, deceased_as_of: recently(100) })
  }`
})

const plaintiffJob = (key: string, payload: Record<string, unknown> = { action: "compute_collectability" }) =>
  send(envelope(payload, key, { org_id: ORG, entity_type: "plaintiff", entity_id: "p-1" }), SCORE_QUEUE)

const scores = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ judgment_id: string; tier: string; score: number | null; gates_failed: Array<string>; factors: Array<{ code: string; points: number }>; job_id: string; computed_at: Date }>`
    SELECT judgment_id, tier, score, gates_failed, factors, job_id, computed_at
    FROM dragonfly.collectability_scores ORDER BY judgment_id`)

const archivedCount = count("SELECT count(*) AS n FROM pgmq.a_score_collectability")

describe("score worker", () => {
  it.live("scores every judgment of a plaintiff with its factors, and rolls the plaintiff up", () =>
    withScoreWorker(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* seed
      yield* plaintiffJob("score:plaintiff:p-1")
      yield* eventually(Effect.map(archivedCount, (n) => n === 1))
      const rows = yield* scores
      assert.deepStrictEqual(rows.map((r) => [r.judgment_id, r.tier, r.score]), [["j-a", "A", 65], ["j-b", "X", null]])
      assert.deepStrictEqual(rows[1]!.gates_failed, ["G4_deceased"])
      const points = Object.fromEntries(rows[0]!.factors.filter((f) => f.points !== 0).map((f) => [f.code, f.points]))
      assert.strictEqual(Object.values(points).reduce((a, b) => a + b, 0), 65)
      const [rollup] = yield* sql<{ count_a: number; count_x: number; judgments_scored: number; expected_recovery_index_cents: string }>`
        SELECT count_a, count_x, judgments_scored, expected_recovery_index_cents
        FROM dragonfly.plaintiff_collectability WHERE plaintiff_id = 'p-1'`
      assert.deepStrictEqual([rollup!.count_a, rollup!.count_x, rollup!.judgments_scored], [1, 1, 2])
      assert.strictEqual(Number(rollup!.expected_recovery_index_cents), 125_000)
      assert.strictEqual(yield* count("SELECT count(*) AS n FROM dragonfly.collectability_scores WHERE judgment_id = 'j-c'"), 0)
    })))

  it.live("scores only the judgments asked for, and a judgment entity on its own", () =>
    withScoreWorker(Effect.gen(function*() {
      yield* seed
      yield* plaintiffJob("score:p-1:subset", { action: "compute_collectability", judgment_ids: ["j-b"] })
      yield* send(envelope({ action: "compute_collectability" }, "score:j-c", { org_id: ORG, entity_type: "judgment", entity_id: "j-c" }), SCORE_QUEUE)
      yield* eventually(Effect.map(archivedCount, (n) => n === 2))
      assert.deepStrictEqual((yield* scores).map((r) => [r.judgment_id, r.tier]), [["j-b", "X"], ["j-c", "D"]])
      assert.strictEqual(yield* count("SELECT count_d AS n FROM dragonfly.plaintiff_collectability WHERE plaintiff_id = 'p-2'"), 1)
    })))

  it.live("recomputes on request and replaces the results; the same key again changes nothing", () =>
    withScoreWorker(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* seed
      yield* plaintiffJob("score:first")
      yield* eventually(Effect.map(archivedCount, (n) => n === 1))
      const first = yield* scores
      yield* sql`UPDATE dragonfly.judgment_facts SET bank_name = NULL, bank_state = NULL, bank_identified_at = NULL WHERE judgment_id = 'j-a'`
      yield* plaintiffJob("score:first")
      yield* eventually(Effect.map(archivedCount, (n) => n === 2))
      assert.deepStrictEqual(yield* scores, first)
      yield* plaintiffJob("score:second")
      yield* eventually(Effect.map(archivedCount, (n) => n === 3))
      const second = yield* scores
      assert.deepStrictEqual(second.map((r) => [r.judgment_id, r.tier, r.score]), [["j-a", "B", 45], ["j-b", "X", null]])
      assert.notStrictEqual(second[0]!.job_id, first[0]!.job_id)
      assert.strictEqual(yield* count("SELECT count(*) AS n FROM dragonfly.collectability_scores"), 2)
    })))

  it.live("dead-letters unknown judgments, a wrong entity type and a bad payload", () =>
    withScoreWorker(Effect.gen(function*() {
      yield* seed
      yield* plaintiffJob("score:missing", { action: "compute_collectability", judgment_ids: ["j-a", "j-zzz"] })
      yield* plaintiffJob("score:bad", { action: "score_collectability" })
      yield* send(envelope({ action: "compute_collectability" }, "score:batch", { org_id: ORG, entity_type: "batch", entity_id: "b-1" }), SCORE_QUEUE)
      yield* eventually(Effect.map(deadLetters, (rows) => rows.length === 3))
      const rows = yield* deadLetters
      assert.sameDeepMembers(rows.map((r) => [r.reason, r.error.tag]), [
        ["permanent_failure", "Permanent"],
        ["invalid_payload", "InvalidPayload"],
        ["permanent_failure", "Permanent"]
      ])
      assert.isTrue(rows.some((r) => r.error.message.includes("j-zzz")))
      assert.strictEqual(yield* count("SELECT count(*) AS n FROM dragonfly.collectability_scores"), 0)
    })))
})
