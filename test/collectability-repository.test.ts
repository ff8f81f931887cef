import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { randomUUID } from "node:crypto"
import { SCORE_VERSION, ScoreRepository, scoreJudgment } from "../src/domain/collectability/index.js"
import * as TestDatabase from "./support/TestDatabase.js"

const asOf = new Date("2026-06-15T16:00:00Z")

/** Each test works in an organisation of its own, so tests sharing the database stay apart. */
const seed = Effect.fnUntraced(function*(
  orgId: string,
  plaintiffs: ReadonlyArray<string>,
  judgments: ReadonlyArray<{
    readonly id: string
    readonly plaintiffId: string
    readonly balanceCents: number
    readonly judgmentDate?: string
    readonly facts?: Record<string, unknown>
  }>
) {
  const sql = yield* SqlClient.SqlClient
  yield* sql`INSERT INTO dragonfly.plaintiffs ${
    sql.insert(plaintiffs.map((id) => ({ org_id: orgId, id, name: `Example Funding ${id} LLC (TEST)` })))
  }`
  yield* sql`INSERT INTO dragonfly.judgments ${
    sql.insert(judgments.map((j) => ({
      org_id: orgId,
      id: j.id,
      plaintiff_id: j.plaintiffId,
      source: "simplicity",
      case_number: `case-${j.id}`,
      judgment_date: j.judgmentDate ?? "2025-06-15",
      judgment_amount_cents: j.balanceCents,
      current_balance_cents: j.balanceCents,
      debtor_first_name: "Pat",
      debtor_last_name: "Example",
      is_synthetic: true
    })))
  }`
  for (const j of judgments) {
    if (j.facts !== undefined) {
      yield* sql`INSERT INTO dragonfly.judgment_facts ${sql.insert({ org_id: orgId, judgment_id: j.id, ...j.facts })}`
    }
  }
})

/** 25 (W-2) + 20 (bank) + 10 (address) + 10 (entered a year ago) = 65: tier A. */
const tierA = {
  employer_name: "Acme",
  employment_type: "w2",
  employment_verified_at: "2026-06-01",
  bank_name: "Example Bank",
  bank_state: "NY",
  bank_identified_at: "2026-05-01",
  address_verified_at: "2026-06-01"
}
/** 25 + 10 + 10 = 45: tier B. */
const tierB = { ...tierA, bank_name: null, bank_state: null, bank_identified_at: null }
const deceased = { deceased: true, deceased_as_of: "2026-01-02" }

const TestLayer = ScoreRepository.Default.pipe(Layer.provideMerge(TestDatabase.layer()))

const scoreAll = (orgId: string, plaintiffId: string, judgmentIds?: ReadonlyArray<string>, jobId: string | null = null) =>
  Effect.gen(function*() {
    const repository = yield* ScoreRepository
    const facts = yield* repository.loadJudgments(
      judgmentIds === undefined ? { orgId, plaintiffId } : { orgId, plaintiffId, judgmentIds }
    )
    const results = facts.map((f) => scoreJudgment(f, asOf))
    yield* repository.saveScores(results, jobId)
    return results
  })

it.layer(TestLayer, { timeout: "60 seconds" })("ScoreRepository", (it) => {
  describe("loadJudgments", () => {
    it.effect("returns a plaintiff's judgments with their facts, all or a subset, never another org's", () =>
      Effect.gen(function*() {
        const repository = yield* ScoreRepository
        const org = randomUUID()
        const otherOrg = randomUUID()
        yield* seed(org, ["p-1", "p-2"], [
          {
            id: "j-001",
            plaintiffId: "p-1",
            balanceCents: 123_456,
            judgmentDate: "2019-02-28",
            facts: {
              ...tierA,
              property_equity_cents: 9_007_199_254_740,
              real_property_county: "Kings",
              other_judgments_count: 4,
              bankruptcy_status: "none"
            }
          },
          { id: "j-002", plaintiffId: "p-1", balanceCents: 5_000 },
          { id: "j-003", plaintiffId: "p-2", balanceCents: 7_000 }
        ])
        yield* seed(otherOrg, ["p-1"], [{ id: "j-001", plaintiffId: "p-1", balanceCents: 999 }])

        const all = yield* repository.loadJudgments({ orgId: org, plaintiffId: "p-1" })
        assert.deepStrictEqual(all.map((j) => [j.orgId, j.plaintiffId, j.judgmentId]), [
          [org, "p-1", "j-001"],
          [org, "p-1", "j-002"]
        ])
        const [first, second] = all
        assert.strictEqual(first!.judgmentDate, "2019-02-28")
        assert.strictEqual(first!.balanceCents, 123_456)
        assert.strictEqual(first!.employmentType, "w2")
        assert.strictEqual(first!.employmentVerifiedAt, "2026-06-01")
        assert.strictEqual(first!.propertyEquityCents, 9_007_199_254_740)
        assert.strictEqual(first!.realPropertyCounty, "Kings")
        assert.strictEqual(first!.otherJudgmentsCount, 4)
        assert.strictEqual(first!.bankruptcyStatus, "none")
        assert.strictEqual(first!.debtorFirstName, "Pat")
        assert.isFalse(first!.deceased)
        // no facts row: everything unknown or false
        assert.isNull(second!.employerName)
        assert.isNull(second!.addressVerifiedAt)
        assert.isFalse(second!.bankExemptOnly)
        assert.isFalse(second!.scraActiveDuty)
        assert.strictEqual(second!.status, "open")

        const subset = yield* repository.loadJudgments({
          orgId: org,
          plaintiffId: "p-1",
          judgmentIds: ["j-002", "j-003", "j-404"]
        })
        assert.deepStrictEqual(subset.map((j) => j.judgmentId), ["j-002"])

        const byIds = yield* repository.loadJudgments({ orgId: org, judgmentIds: ["j-003", "j-001"] })
        assert.deepStrictEqual(byIds.map((j) => j.judgmentId), ["j-001", "j-003"])

        const none = yield* repository.loadJudgments({ orgId: org, plaintiffId: "p-1", judgmentIds: [] })
        assert.deepStrictEqual(none, [])

        const other = yield* repository.loadJudgments({ orgId: otherOrg, plaintiffId: "p-1" })
        assert.deepStrictEqual(other.map((j) => [j.orgId, j.judgmentId, j.balanceCents]), [[otherOrg, "j-001", 999]])
      }))
  })

  describe("saveScores", () => {
    it.effect("upserts one row per judgment: scoring again replaces it", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const org = randomUUID()
        yield* seed(org, ["p-1"], [
          { id: "j-a", plaintiffId: "p-1", balanceCents: 1_000_000, facts: tierA },
          { id: "j-x", plaintiffId: "p-1", balanceCents: 300_000, facts: deceased }
        ])
        const firstJob = randomUUID()
        const secondJob = randomUUID()
        yield* scoreAll(org, "p-1", undefined, firstJob)
        yield* sql`UPDATE dragonfly.judgment_facts SET bank_name = NULL WHERE org_id = ${org}::uuid AND judgment_id = 'j-a'`
        const [rescored] = yield* scoreAll(org, "p-1", ["j-a"], secondJob)
        // twice more, unchanged: still one row each
        yield* scoreAll(org, "p-1", ["j-a"], secondJob)

        const rows = yield* sql<{
          judgment_id: string
          tier: string
          score: number | null
          raw_score: number | null
          gates_failed: ReadonlyArray<string>
          gate_evidence: unknown
          factors: unknown
          flags: ReadonlyArray<string>
          score_version: string
          computed_at: Date
          job_id: string | null
        }>`
          SELECT judgment_id, tier, score, raw_score, gates_failed, gate_evidence, factors, flags, score_version,
                 computed_at, job_id::text
          FROM dragonfly.collectability_scores WHERE org_id = ${org}::uuid ORDER BY judgment_id`
        assert.deepStrictEqual(rows.map((r) => [r.judgment_id, r.tier, r.score, r.raw_score, r.job_id]), [
          ["j-a", "B", 45, 45, secondJob],
          ["j-x", "X", null, null, firstJob]
        ])
        const [a, x] = rows
        assert.deepStrictEqual(a!.factors, rescored!.factors)
        assert.deepStrictEqual(a!.gates_failed, [])
        assert.deepStrictEqual(a!.flags, [])
        assert.strictEqual(a!.score_version, SCORE_VERSION)
        assert.strictEqual(a!.computed_at.getTime(), asOf.getTime())
        assert.deepStrictEqual(x!.gates_failed, ["G4_deceased"])
        assert.deepStrictEqual(x!.gate_evidence, [{ code: "G4_deceased", evidence_field: "deceased", evidence_value: true }])
        assert.deepStrictEqual(x!.factors, [])
      }))

    it.effect("keeps the last result when a judgment appears twice in one batch; saves nothing for none", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const repository = yield* ScoreRepository
        const org = randomUUID()
        yield* seed(org, ["p-1"], [{ id: "j-1", plaintiffId: "p-1", balanceCents: 100_000, facts: tierA }])
        const [facts] = yield* repository.loadJudgments({ orgId: org, plaintiffId: "p-1" })
        const before = scoreJudgment({ ...facts!, deceased: true }, asOf)
        const after = scoreJudgment(facts!, asOf)
        yield* repository.saveScores([before, after], null)
        yield* repository.saveScores([], null)
        const rows = yield* sql<{ tier: string }>`
          SELECT tier FROM dragonfly.collectability_scores WHERE org_id = ${org}::uuid`
        assert.deepStrictEqual(rows.map((r) => r.tier), ["A"])
      }))
  })

  describe("refreshPlaintiffRollup", () => {
    it.effect("rolls up every stored score of the plaintiff after a subset is scored", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const repository = yield* ScoreRepository
        const org = randomUUID()
        yield* seed(org, ["p-1", "p-2"], [
          { id: "j-a", plaintiffId: "p-1", balanceCents: 1_000_000, facts: tierA },
          { id: "j-b", plaintiffId: "p-1", balanceCents: 200_001, facts: tierB },
          { id: "j-x", plaintiffId: "p-1", balanceCents: 300_000, facts: deceased },
          { id: "j-unscored", plaintiffId: "p-1", balanceCents: 50_000 },
          { id: "j-other", plaintiffId: "p-2", balanceCents: 9_000_000, facts: tierA }
        ])
        yield* scoreAll(org, "p-2")
        yield* scoreAll(org, "p-1", ["j-a", "j-x"])
        const first = yield* repository.refreshPlaintiffRollup(org, "p-1", asOf)
        assert.deepStrictEqual(first.byTier.A, { count: 1, balanceCents: 1_000_000 })
        assert.deepStrictEqual(first.byTier.X, { count: 1, balanceCents: 300_000 })
        assert.strictEqual(first.judgmentsScored, 2)
        assert.strictEqual(first.expectedRecoveryIndexCents, 500_000)

        yield* scoreAll(org, "p-1", ["j-b"])
        const later = new Date("2026-06-15T17:00:00Z")
        const rollup = yield* repository.refreshPlaintiffRollup(org, "p-1", later)
        assert.deepStrictEqual(rollup.byTier, {
          A: { count: 1, balanceCents: 1_000_000 },
          B: { count: 1, balanceCents: 200_001 },
          C: { count: 0, balanceCents: 0 },
          D: { count: 0, balanceCents: 0 },
          X: { count: 1, balanceCents: 300_000 }
        })
        assert.strictEqual(rollup.judgmentsScored, 3)
        assert.strictEqual(rollup.judgmentsTotal, 4)
        // 1,000,000 × .50 + round(200,001 × .30) = 500,000 + 60,000
        assert.strictEqual(rollup.expectedRecoveryIndexCents, 560_000)
        assert.strictEqual(rollup.scoreVersion, SCORE_VERSION)
        assert.strictEqual(rollup.computedAt, later)

        const stored = yield* sql<Record<string, unknown>>`
          SELECT count_a, count_b, count_c, count_d, count_x,
                 balance_a_cents::text AS balance_a, balance_b_cents::text AS balance_b,
                 balance_x_cents::text AS balance_x, expected_recovery_index_cents::text AS expected,
                 judgments_scored, judgments_total, score_version, computed_at
          FROM dragonfly.plaintiff_collectability WHERE org_id = ${org}::uuid ORDER BY plaintiff_id`
        assert.lengthOf(stored, 1)
        assert.deepStrictEqual(stored[0], {
          count_a: 1,
          count_b: 1,
          count_c: 0,
          count_d: 0,
          count_x: 1,
          balance_a: "1000000",
          balance_b: "200001",
          balance_x: "300000",
          expected: "560000",
          judgments_scored: 3,
          judgments_total: 4,
          score_version: SCORE_VERSION,
          computed_at: later
        })
      }))

    it.effect("runs on the caller's transaction: a rollback undoes scores and rollup", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const repository = yield* ScoreRepository
        const org = randomUUID()
        yield* seed(org, ["p-1"], [{ id: "j-a", plaintiffId: "p-1", balanceCents: 1_000_000, facts: tierA }])
        const exit = yield* Effect.gen(function*() {
          yield* scoreAll(org, "p-1")
          yield* repository.refreshPlaintiffRollup(org, "p-1", asOf)
          return yield* Effect.fail("boom" as const)
        }).pipe(sql.withTransaction, Effect.exit)
        assert.isTrue(Exit.isFailure(exit))
        const [counts] = yield* sql<{ scores: number; rollups: number }>`
          SELECT (SELECT count(*)::int FROM dragonfly.collectability_scores WHERE org_id = ${org}::uuid) AS scores,
                 (SELECT count(*)::int FROM dragonfly.plaintiff_collectability WHERE org_id = ${org}::uuid) AS rollups`
        assert.deepStrictEqual(counts, { scores: 0, rollups: 0 })
      }))

    it.effect("fails with PlaintiffNotFound for a plaintiff of another organisation", () =>
      Effect.gen(function*() {
        const repository = yield* ScoreRepository
        const org = randomUUID()
        yield* seed(org, ["p-1"], [{ id: "j-a", plaintiffId: "p-1", balanceCents: 1_000 }])
        const error = yield* Effect.flip(repository.refreshPlaintiffRollup(randomUUID(), "p-1", asOf))
        assert.strictEqual(error._tag, "PlaintiffNotFound")
      }))
  })
})
