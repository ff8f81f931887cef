import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { catalogQueues } from "../src/queue/catalog.js"
import * as ApiTest from "./support/api.js"
import { authorized, raw } from "./support/api.js"
import { envelope, ORG, PROBE_QUEUE } from "./support/runtime.js"

const heartbeat = (workerId: string, status: string, secondsAgo: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`INSERT INTO workers.heartbeats (worker_id, service, queue_name, queues, status, host, pid, version, started_at,
          last_heartbeat_at, heartbeat_interval_seconds, concurrency, jobs_processed)
        VALUES (${workerId}, 'score', 'score_collectability', '{score_collectability}', ${status}, 'host-1', 42, 'test',
          now() - interval '1 hour', now() - make_interval(secs => ${secondsAgo}), 30, 10, 7)`)

describe("API: queues, workers, results", () => {
  it.layer(ApiTest.layer())("inspection", (it) => {
    it.effect("GET /v1/queues: the metrics of every queue", () =>
      Effect.gen(function*() {
        const pgmq = yield* PgmqQueue
        yield* pgmq.sendBatch(PROBE_QUEUE, [envelope({ action: "noop" }), envelope({ action: "noop" })])
        const client = yield* ApiTest.client()
        const { queues } = yield* client.queues.list()
        assert.includeMembers(queues.map((q) => q.queue_name), [...catalogQueues, "probe_main"])
        const probe = queues.find((q) => q.queue_name === "probe_main")!
        assert.strictEqual(probe.depth, 2)
        assert.strictEqual(probe.visible, 2)
        assert.strictEqual(probe.live_consumers, 0)
        assert.isTrue(probe.no_consumers)
      }))

    it.effect("GET /v1/queues/{queue}: metrics and the next N messages, their visibility untouched", () =>
      Effect.gen(function*() {
        const pgmq = yield* PgmqQueue
        yield* pgmq.purge(PROBE_QUEUE)
        const ids = yield* pgmq.sendBatch(PROBE_QUEUE, [1, 2, 3, 4].map((n) => envelope({ action: "noop", n })))
        const client = yield* ApiTest.client()
        const first = yield* client.queues.get({ path: { queue: "probe_main" }, urlParams: { peek: 3 } })
        assert.strictEqual(first.metrics.depth, 4)
        assert.deepStrictEqual(first.messages.map((m) => m.msg_id), ids.slice(0, 3))
        assert.isTrue(first.messages.every((m) => m.visible && m.read_ct === 0))
        const again = yield* client.queues.get({ path: { queue: "probe_main" }, urlParams: {} })
        assert.strictEqual(again.messages.length, 4)
        assert.deepStrictEqual(again.messages.map((m) => m.vt.getTime()).slice(0, 3), first.messages.map((m) => m.vt.getTime()))
        const read = yield* pgmq.read(PROBE_QUEUE, { visibilityTimeout: 30, quantity: 10 })
        assert.strictEqual(read.length, 4)
        const taken = yield* client.queues.get({ path: { queue: "probe_main" }, urlParams: { peek: 1 } })
        assert.isFalse(taken.messages[0]!.visible)
        assert.strictEqual(taken.messages[0]!.read_ct, 1)
      }))

    it.effect("GET /v1/queues/{queue}: 404 for an unknown queue, 400 for a peek over 100", () =>
      Effect.gen(function*() {
        const client = yield* ApiTest.client()
        const error = yield* Effect.flip(client.queues.get({ path: { queue: "nope" }, urlParams: {} }))
        assert.strictEqual(error._tag, "NotFound")
        const tooMany = yield* raw("/v1/queues/probe_main?peek=500", { headers: authorized() })
        assert.strictEqual(tooMany.status, 400)
      }))

    it.effect("GET /v1/workers: every worker's health; stale_minutes keeps the silent ones not stopped", () =>
      Effect.gen(function*() {
        yield* heartbeat("score-healthy", "running", 5)
        yield* heartbeat("score-stale", "running", 600)
        yield* heartbeat("score-stopped", "stopped", 900)
        const client = yield* ApiTest.client()
        const all = yield* client.workers.list({ urlParams: {} })
        const health = Object.fromEntries(all.workers.map((w) => [w.worker_id, w.health]))
        assert.deepStrictEqual(health, { "score-healthy": "healthy", "score-stale": "stale", "score-stopped": "stopped" })
        assert.strictEqual(all.workers[0]!.jobs_processed, 7)
        const stale = yield* client.workers.list({ urlParams: { stale_minutes: 5 } })
        assert.deepStrictEqual(stale.workers.map((w) => w.worker_id), ["score-stale"])
      }))

    it.effect("GET /v1/judgments/{id} and /v1/plaintiffs/{id}/collectability: scores with their factors", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`INSERT INTO dragonfly.plaintiffs (org_id, id, name) VALUES (${ORG}::uuid, 'p-1', 'Acme Funding')`
        yield* sql`INSERT INTO dragonfly.judgments (org_id, id, plaintiff_id, source, case_number, judgment_date,
            judgment_amount_cents, current_balance_cents)
          VALUES (${ORG}::uuid, 'j-1', 'p-1', 'test', 'CV-1', '2020-01-02', 500000, 450000),
                 (${ORG}::uuid, 'j-2', 'p-1', 'test', 'CV-2', '2021-03-04', 100000, 100000)`
        const factors = [{ code: "F1_employment", points: 25, evidence_field: "employer_name", evidence_value: "Big Co" }]
        yield* sql`INSERT INTO dragonfly.collectability_scores (org_id, judgment_id, tier, score, raw_score, factors,
            flags, score_version, computed_at)
          VALUES (${ORG}::uuid, 'j-1', 'B', 62, 62, ${JSON.stringify(factors)}::jsonb, '{high_value_review}',
            'collectability-v1', '2026-11-28T12:00:00Z')`
        yield* sql`INSERT INTO dragonfly.plaintiff_collectability (org_id, plaintiff_id, count_a, count_b, count_c,
            count_d, count_x, balance_a_cents, balance_b_cents, balance_c_cents, balance_d_cents, balance_x_cents,
            expected_recovery_index_cents, judgments_scored, judgments_total, score_version, computed_at)
          VALUES (${ORG}::uuid, 'p-1', 0, 1, 0, 0, 0, 0, 450000, 0, 0, 0, 135000, 1, 2, 'collectability-v1',
            '2026-11-28T12:00:00Z')`
        const client = yield* ApiTest.client()
        const judgment = yield* client.results.judgment({ path: { id: "j-1" }, urlParams: { org_id: ORG } })
        assert.strictEqual(judgment.plaintiff_id, "p-1")
        assert.strictEqual(judgment.current_balance_cents, 450000)
        assert.strictEqual(judgment.collectability?.tier, "B")
        assert.deepStrictEqual(judgment.collectability?.factors, factors)
        assert.deepStrictEqual(judgment.collectability?.flags, ["high_value_review"])

        const plaintiff = yield* client.results.plaintiff({ path: { id: "p-1" }, urlParams: { org_id: ORG } })
        assert.strictEqual(plaintiff.name, "Acme Funding")
        assert.deepStrictEqual(plaintiff.rollup?.by_tier.B, { count: 1, balance_cents: 450000 })
        assert.strictEqual(plaintiff.rollup?.expected_recovery_index_cents, 135000)
        assert.deepStrictEqual(plaintiff.judgments.map((j) => [j.judgment_id, j.collectability?.tier ?? null]), [
          ["j-1", "B"],
          ["j-2", null]
        ])

        const otherOrg = "00000000-0000-4000-8000-0000000000ff"
        const hidden = yield* Effect.flip(client.results.judgment({ path: { id: "j-1" }, urlParams: { org_id: otherOrg } }))
        assert.strictEqual(hidden._tag, "NotFound")
        const noPlaintiff = yield* Effect.flip(client.results.plaintiff({ path: { id: "p-9" }, urlParams: { org_id: ORG } }))
        assert.strictEqual(noPlaintiff._tag, "NotFound")
        const noOrg = yield* raw("/v1/judgments/j-1", { headers: authorized() })
        assert.strictEqual(noOrg.status, 400)
        assert.include(noOrg.text, "org_id")
      }))
  })
})
