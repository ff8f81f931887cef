import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Ref } from "effect"
import * as Database from "../src/db/Database.js"
import { environmentFor } from "./support/cli.js"
import { runNode, type Running, startNode } from "./support/processes.js"
import { eventually } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"
import { webhookServer } from "./support/webhook.js"

const withDatabase = <A, E, R>(self: (url: Redacted.Redacted<string>) => Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.gen(function*() {
    const url = yield* TestDatabase.freshDatabase()
    const database = Database.layerFromOptions({ url, poolSize: 2, applicationName: "test" }).pipe(Layer.orDie)
    return yield* Effect.scoped(self(url)).pipe(Effect.provide(database))
  }))

const startWorker = (url: Redacted.Redacted<string>, extra: Record<string, string> = {}) =>
  startNode(["bin/worker.js", "probe"], {
    SUPABASE_DB_URL: Redacted.value(url),
    SUPABASE_MODE: "dev",
    ENVIRONMENT: "test",
    HEARTBEAT_INTERVAL: "1",
    WORKER_IDLE_POLL_MS: "50",
    LOG_LEVEL: "warn",
    ...extra
  })

/** The worker id of a running process, once its heartbeat says `running`. */
const workerIdOf = (worker: Running) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    let id: string | undefined
    yield* eventually(
      Effect.map(
        sql<{ worker_id: string }>`SELECT worker_id FROM workers.heartbeats WHERE pid = ${worker.child.pid!} AND status = 'running'`,
        (rows) => (id = rows[0]?.worker_id) !== undefined
      ),
      "60 seconds"
    )
    return id!
  })

const sessionsOf = (workerId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${workerId}`,
      (rows) => rows[0]!.n
    ))

const healthOf = (workerId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ health: string }>`SELECT health FROM workers.worker_health(interval '5 minutes') WHERE worker_id = ${workerId}`,
      (rows) => rows[0]?.health
    ))

describe("stuck or gone: a silent worker's process", () => {
  it.scopedLive("SIGSTOPped it is stale (it still holds its sessions); SIGKILLed it is gone, posted once, and not counted", () =>
    withDatabase((url) =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const webhook = yield* webhookServer
        const [stuck, killed] = yield* Effect.all([startWorker(url), startWorker(url)])
        const [stuckId, killedId] = yield* Effect.all([workerIdOf(stuck), workerIdOf(killed)], { concurrency: 2 })
        // The pool's sessions carry the worker id.
        assert.isAbove(yield* sessionsOf(killedId), 0)

        stuck.child.kill("SIGSTOP")
        killed.child.kill("SIGKILL")
        yield* eventually(Effect.map(sessionsOf(killedId), (n) => n === 0), "30 seconds")
        // Both silent for 10 minutes, as far as the database knows.
        yield* sql`
          UPDATE workers.heartbeats SET last_heartbeat_at = now() - interval '10 minutes'
          WHERE worker_id IN (${stuckId}, ${killedId})`

        const env = { ...environmentFor(url), DISCORD_WEBHOOK_URL: webhook.url }
        const first = yield* runNode(["bin/dragonfly.js", "monitor", "workers", "--alert"], env)
        assert.strictEqual(first.code, 1, first.stderr)
        assert.strictEqual(first.stderr.trim(), "error: 1 stale worker")
        assert.match(first.stdout, new RegExp(`^${stuckId} +probe +probe_\\* +STALE +running`, "m"), first.stdout)
        assert.match(first.stdout, new RegExp(`^${killedId} +probe +probe_\\* +gone +running`, "m"))
        assert.include(first.stdout, `1 stale worker: no heartbeat for more than 5 min: ${stuckId}\n`)
        assert.include(
          first.stdout,
          `1 worker gone, not alerting: ${killedId} (its process holds no database connection); remove with: node bin/dragonfly.js workers prune`
        )
        assert.include(first.stdout, "alerted Discord: 1 worker gone")
        const titles = (yield* Ref.get(webhook.posts)).flatMap((post) => post.body.embeds ?? []).map((embed) => embed.title)
        assert.sameMembers(titles, ["1 stale worker: no heartbeat", "1 worker gone: no longer alerted about"])
        const posted = JSON.stringify(yield* Ref.get(webhook.posts))
        assert.include(posted, killedId)

        // The next run still reports the stuck one; the gone one is not posted again.
        yield* Ref.set(webhook.posts, [])
        const second = yield* runNode(["bin/dragonfly.js", "monitor", "workers", "--alert"], env)
        assert.strictEqual(second.code, 1, second.stderr)
        assert.notInclude(second.stdout, "alerted Discord: 1 worker gone")
        const again = (yield* Ref.get(webhook.posts)).flatMap((post) => post.body.embeds ?? []).map((embed) => embed.title)
        assert.deepStrictEqual(again, ["1 stale worker: no heartbeat"])

        // Woken up, the stuck worker beats again and is healthy; a beat clears a gone mark (a worker back from a partition).
        yield* sql`UPDATE workers.heartbeats SET gone_alerted_at = now() WHERE worker_id = ${stuckId}`
        stuck.child.kill("SIGCONT")
        yield* eventually(Effect.map(healthOf(stuckId), (health) => health === "healthy"), "30 seconds")
        const marks = yield* sql<{ worker_id: string; gone_alerted: boolean }>`
          SELECT worker_id, gone_alerted_at IS NOT NULL AS gone_alerted FROM workers.heartbeats ORDER BY worker_id = ${stuckId}`
        assert.deepStrictEqual(marks.map((row) => [row.worker_id, row.gone_alerted]), [[killedId, true], [stuckId, false]])
        assert.strictEqual(yield* healthOf(killedId), "gone")
      })), 120_000)

  it.scopedLive("a worker deletes stopped and gone rows older than HEARTBEAT_RETENTION_DAYS when it starts", () =>
    withDatabase((url) =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const row = (workerId: string, status: string, daysAgo: number) =>
          sql`INSERT INTO workers.heartbeats (worker_id, service, queue_name, queues, status, host, pid, version, started_at,
                last_heartbeat_at, heartbeat_interval_seconds, concurrency)
              VALUES (${workerId}, 'score', 'score_collectability', '{score_collectability}', ${status}, 'old-host', 1, 'v0',
                now() - make_interval(days => ${daysAgo + 1}), now() - make_interval(days => ${daysAgo}), 30, 10)`
        yield* row("stopped-8d", "stopped", 8)
        yield* row("stopped-6d", "stopped", 6)
        yield* row("gone-8d", "running", 8)
        const worker = yield* startWorker(url, { HEARTBEAT_RETENTION_DAYS: "7", LOG_LEVEL: "info" })
        yield* worker.waitFor(/removed 2 heartbeat rows of stopped or gone workers/)
        const left = yield* sql<{ worker_id: string }>`SELECT worker_id FROM workers.heartbeats WHERE host = 'old-host'`
        assert.deepStrictEqual(left.map((r) => r.worker_id), ["stopped-6d"])
      })), 120_000)
})
