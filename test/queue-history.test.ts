import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, TestServices } from "effect"
import * as ApiTest from "./support/api.js"
import { authorized, raw } from "./support/api.js"
import { eventually } from "./support/runtime.js"

const sample = (queue: string, secondsAgo: number, depth: number, total: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`INSERT INTO workers.queue_samples (queue_name, sampled_at, depth, visible, oldest_msg_age_sec, total_messages)
        VALUES (${queue}, now() - make_interval(secs => ${secondsAgo}), ${depth}, ${depth}, 5, ${total})`)

describe("queue history", () => {
  it.layer(ApiTest.layer())("sampled", (it) => {
    it.effect("sample_queues takes one sample per interval, whoever asks, and deletes what is older than it keeps", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        // The API samples as it starts (then every minute, on the real clock).
        yield* TestServices.provideLive(eventually(
          Effect.map(sql<{ n: number }>`SELECT count(*)::int AS n FROM workers.queue_samples`, (rows) => rows[0]!.n > 0)
        ))
        yield* sql`DELETE FROM workers.queue_samples`
        yield* sample("probe_main", 3 * 86_400, 1, 1)
        const run = (every: string) => sql<{ n: number }>`SELECT workers.sample_queues(${every}::interval, interval '48 hours') AS n`
        const [first] = yield* run("60 seconds")
        const queues = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM workers.v_queue_metrics`
        assert.strictEqual(first!.n, queues[0]!.n)
        const [second] = yield* run("60 seconds")
        assert.strictEqual(second!.n, 0)
        const old = yield* sql`SELECT 1 FROM workers.queue_samples WHERE sampled_at < now() - interval '1 day'`
        assert.lengthOf(old, 0)
      }))

    it.effect("GET /v1/queues/history: each sample with its rates in and out since the previous one", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`DELETE FROM workers.queue_samples`
        // 30 sent in 60 s while the depth fell by 6: 36 left.
        yield* sample("probe_main", 120, 10, 100)
        yield* sample("probe_main", 60, 4, 130)
        yield* sample("probe_main", 3 * 3600, 50, 10)
        const response = yield* raw("/v1/queues/history?hours=1", { headers: authorized() })
        assert.strictEqual(response.status, 200, response.text)
        const probe = (response.json.samples as Array<{ queue_name: string; depth: number; rate_in: number | null; rate_out: number | null }>)
          .filter((s) => s.queue_name === "probe_main")
        assert.deepStrictEqual(probe.map((s) => s.depth), [10, 4])
        assert.deepStrictEqual([probe[0]!.rate_in, probe[0]!.rate_out], [null, null])
        assert.closeTo(probe[1]!.rate_in!, 0.5, 0.001)
        assert.closeTo(probe[1]!.rate_out!, 0.6, 0.001)
        assert.strictEqual(response.json.sample_every_seconds, 60)

        const longer = yield* raw("/v1/queues/history?hours=4", { headers: authorized() })
        assert.lengthOf(longer.json.samples.filter((s: { queue_name: string }) => s.queue_name === "probe_main"), 3)
        const [tooFar, none, unauthorized] = yield* Effect.all([
          raw("/v1/queues/history?hours=49", { headers: authorized() }),
          raw("/v1/queues/history?hours=0", { headers: authorized() }),
          raw("/v1/queues/history")
        ])
        assert.strictEqual(tooFar.status, 400)
        assert.strictEqual(none.status, 400)
        assert.strictEqual(unauthorized.status, 401)
      }))
  })
})
