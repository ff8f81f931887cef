import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Ref } from "effect"
import * as Database from "../src/db/Database.js"
import { latestMigrationId } from "../src/db/migrations/index.js"
import { adminQuery } from "./support/admin.js"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { closedPort } from "./support/net.js"
import { runNode, type Running, startNode } from "./support/processes.js"
import { count, deadLetters, envelope, eventually, PROBE_QUEUE } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"
import { webhookServer } from "./support/webhook.js"

/** A database of the test's own, with PgmqQueue and SQL access for the test, and the URL for worker processes. */
const withDatabase = <A, E, R>(self: (url: Redacted.Redacted<string>) => Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.gen(function*() {
    const url = yield* TestDatabase.freshDatabase()
    const database = Database.layerFromOptions({ url, poolSize: 4, applicationName: "test" }).pipe(Layer.orDie)
    return yield* Effect.scoped(self(url)).pipe(Effect.provide(PgmqQueue.Default.pipe(Layer.provideMerge(database))))
  }))

const workerEnv = (url: Redacted.Redacted<string>, extra: Record<string, string> = {}) => ({
  SUPABASE_DB_URL: Redacted.value(url),
  SUPABASE_MODE: "dev",
  ENVIRONMENT: "test",
  HEARTBEAT_INTERVAL: "1",
  WORKER_VISIBILITY_TIMEOUT: "3",
  WORKER_IDLE_POLL_MS: "50",
  LOG_LEVEL: "info",
  ...extra
})

const startWorker = (url: Redacted.Redacted<string>, extra: Record<string, string> = {}) =>
  startNode(["bin/worker.js", "probe"], workerEnv(url, extra))

const running = (pid: number) =>
  count(`SELECT count(*) AS n FROM workers.heartbeats WHERE pid = ${pid} AND status = 'running'`).pipe(
    Effect.map((n) => n === 1)
  )

const untilRunning = (worker: Running) => eventually(running(worker.child.pid!), "20 seconds")

const sendRecords = (keys: ReadonlyArray<string>, payload: Record<string, unknown> = { action: "record" }) =>
  Effect.flatMap(PgmqQueue, (pgmq) =>
    Effect.forEach(
      chunks(keys, 500),
      (chunk) => pgmq.sendBatch(PROBE_QUEUE, chunk.map((key) => envelope(payload, key))),
      { discard: true }
    ))

const chunks = <A>(items: ReadonlyArray<A>, size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

const ledgerCount = count("SELECT count(*) AS n FROM workers.job_ledger")

/**
 * `n` probe workers, each restarted when it dies, as Railway restarts a crashed service. `stop`
 * sends SIGTERM to those running and returns their exit codes.
 */
const supervise = (url: Redacted.Redacted<string>, n: number, env: Record<string, string>) =>
  Effect.gen(function*() {
    const workers: Array<Running> = []
    let crashes = 0
    let stopping = false
    for (let i = 0; i < n; i++) workers.push(yield* startWorker(url, env))
    yield* Effect.gen(function*() {
      while (!stopping) {
        for (let i = 0; i < workers.length; i++) {
          const worker = workers[i]!
          if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
            crashes++
            workers[i] = yield* startWorker(url, env)
          }
        }
        yield* Effect.sleep("100 millis")
      }
    }).pipe(Effect.forkScoped)
    return {
      crashes: () => crashes,
      /** SIGKILLs one of the running workers; false when none runs. */
      killRandom: () => {
        const alive = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null)
        const victim = alive[Math.floor(Math.random() * alive.length)]
        return victim === undefined ? false : victim.child.kill("SIGKILL")
      },
      stop: Effect.gen(function*() {
        stopping = true
        for (const worker of workers) worker.child.kill("SIGTERM")
        return yield* Effect.forEach(workers, (worker) => Effect.map(worker.finished, (exit) => exit.code))
      })
    }
  })

describe("node bin/worker.js", () => {
  it.live("refuses an unknown service, listing the services", () =>
    Effect.gen(function*() {
      const result = yield* runNode(["bin/worker.js", "scoring"])
      assert.strictEqual(result.code, 2)
      assert.include(result.stderr, "unknown service 'scoring'")
      assert.match(result.stderr, /services: .*probe.*score/)
    }))

  it.live("stops at once, naming every bad setting", () =>
    Effect.gen(function*() {
      const result = yield* runNode(["bin/worker.js", "score"], {
        SUPABASE_DB_URL: "postgresql://postgres:x@127.0.0.1:1/x",
        SUPABASE_MODE: "dev",
        ENVIRONMENT: "test",
        HEARTBEAT_INTERVAL: "soon",
        WORKER_CONCURRENCY: "0",
        LOG_LEVEL: "loud",
        LOG_FORMAT: "xml"
      })
      assert.strictEqual(result.code, 1)
      assert.include(result.stderr, "Invalid configuration (4 problems)")
      assert.include(result.stderr, "LOG_LEVEL")
      assert.include(result.stderr, "LOG_FORMAT")
      assert.include(result.stderr, "HEARTBEAT_INTERVAL")
      assert.include(result.stderr, "WORKER_CONCURRENCY: must be between 1 and 500")
    }))

  it.scopedLive("on an unmigrated database, exits 1 with the command to run; migrated ahead of it, starts and warns", () =>
    Effect.gen(function*() {
      const empty = yield* TestDatabase.freshDatabase({ migrated: false })
      const refused = yield* runNode(["bin/worker.js", "score"], workerEnv(empty))
      assert.strictEqual(refused.code, 1)
      assert.strictEqual(
        refused.stderr.trim(),
        `error: the database is not migrated: it has no migrations, this build needs ${latestMigrationId}; run: node bin/dragonfly.js db migrate`
      )

      const behind = yield* TestDatabase.freshDatabase()
      yield* Effect.promise(() =>
        adminQuery(Redacted.value(behind), `DELETE FROM dragonfly_migrations WHERE migration_id = ${latestMigrationId}`)
      )
      const stale = yield* runNode(["bin/worker.js", "score"], workerEnv(behind))
      assert.strictEqual(stale.code, 1)
      assert.include(stale.stderr, `it has migrations up to ${latestMigrationId - 1}, this build needs ${latestMigrationId}`)

      const ahead = yield* TestDatabase.freshDatabase()
      yield* Effect.promise(() =>
        adminQuery(Redacted.value(ahead), `INSERT INTO dragonfly_migrations (migration_id, name) VALUES (${latestMigrationId + 1}, 'from_the_future')`)
      )
      const worker = yield* startNode(["bin/worker.js", "score"], workerEnv(ahead))
      yield* worker.waitFor(/consuming score_collectability/)
      assert.include(
        worker.output(),
        `the database is migrated ahead of this code (migration ${latestMigrationId + 1}, this build knows ${latestMigrationId})`
      )
    }))

  it.scopedLive("alerts Discord when it crashes at start (database unreachable)", () =>
    Effect.gen(function*() {
      const webhook = yield* webhookServer
      const port = yield* closedPort
      const result = yield* runNode(["bin/worker.js", "probe"], {
        SUPABASE_DB_URL: `postgresql://postgres:x@127.0.0.1:${port}/x`,
        SUPABASE_MODE: "dev",
        ENVIRONMENT: "test",
        DB_CONNECT_RETRY_SECONDS: "0",
        DISCORD_WEBHOOK_URL: webhook.url
      })
      assert.strictEqual(result.code, 1)
      assert.include(result.stderr, "Could not connect to the database")
      const posts = yield* Ref.get(webhook.posts)
      assert.lengthOf(posts, 1)
      assert.strictEqual(posts[0]!.path, "/api/webhooks/123/secret-token")
      assert.strictEqual(posts[0]!.body.embeds?.[0]?.title, "Worker crashed: probe")
      assert.notInclude(result.stdout + result.stderr, "secret-token")
    }))

  it.live("posts a dead-lettered job to Discord", () =>
    withDatabase((url) =>
      Effect.gen(function*() {
        const webhook = yield* webhookServer
        const worker = yield* startWorker(url, { DISCORD_WEBHOOK_URL: webhook.url })
        yield* untilRunning(worker)
        yield* Effect.flatMap(PgmqQueue, (pgmq) => pgmq.send(PROBE_QUEUE, { not: "an envelope" }))
        yield* eventually(Effect.map(Ref.get(webhook.posts), (posts) => posts.length === 1), "10 seconds")
        const [post] = yield* Ref.get(webhook.posts)
        assert.strictEqual(post!.body.embeds?.[0]?.title, "Job dead-lettered: invalid_envelope")
        worker.child.kill("SIGTERM")
        assert.strictEqual((yield* worker.finished).code, 0)
      })), 30_000)

  it.live("3 worker processes on 5,000 jobs: every job's effect happens exactly once", () =>
    withDatabase((url) =>
      Effect.gen(function*() {
        const keys = Array.from({ length: 5_000 }, (_, i) => `bulk-${i}`)
        yield* sendRecords(keys)
        const workers = yield* Effect.all([startWorker(url), startWorker(url), startWorker(url)])
        yield* eventually(Effect.map(ledgerCount, (n) => n === 5_000), "90 seconds")
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM workers.probe_effects"), 5_000)
        assert.strictEqual(yield* count("SELECT count(DISTINCT idempotency_key) AS n FROM workers.probe_effects"), 5_000)
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM pgmq.q_probe_main"), 0)
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM pgmq.a_probe_main"), 5_000)
        assert.strictEqual(yield* count("SELECT count(DISTINCT worker_id) AS n FROM workers.job_ledger"), 3)
        for (const worker of workers) worker.child.kill("SIGTERM")
        for (const worker of workers) assert.strictEqual((yield* worker.finished).code, 0)
      })), 120_000)

  it.live("a poison message that kills its worker is dead-lettered alone; the jobs it took down with it complete once", () =>
    withDatabase((url) =>
      Effect.gen(function*() {
        const keys = Array.from({ length: 30 }, (_, i) => `around-poison-${i}`)
        yield* sendRecords(keys.slice(0, 5))
        yield* Effect.flatMap(PgmqQueue, (pgmq) => pgmq.send(PROBE_QUEUE, envelope({ action: "crash" }, "poison")))
        yield* sendRecords(keys.slice(5))
        // Ten jobs at a time: the first crash takes the poison's neighbours down with it.
        const env = { WORKER_MAX_ATTEMPTS: "2", WORKER_CONCURRENCY: "10" }
        const supervisor = yield* supervise(url, 1, env)
        yield* eventually(Effect.map(deadLetters, (rows) => rows.length === 1), "90 seconds")
        const [dead] = yield* deadLetters
        assert.strictEqual(dead!.reason, "max_attempts_exceeded")
        assert.strictEqual(dead!.error.tag, "MaxAttemptsExceeded")
        assert.deepInclude(dead!.error.details as object, { failures: 0, crashes: 2, limit: 2 })
        // The first crash was shared with its neighbours, so it was not held against any of them;
        // the two crashes while it ran alone were its own.
        assert.strictEqual(dead!.read_ct, 4)
        assert.strictEqual(supervisor.crashes(), 3)
        yield* eventually(Effect.map(ledgerCount, (n) => n === 30), "30 seconds")
        assert.strictEqual(yield* count("SELECT count(DISTINCT idempotency_key) AS n FROM workers.probe_effects"), 30)
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM workers.probe_effects"), 30)
        // Its neighbours, delivered again after the crash, were not charged an attempt.
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM workers.probe_effects WHERE attempt <> 1"), 0)
        assert.isAbove(yield* count("SELECT count(*) AS n FROM workers.probe_effects WHERE delivery > 1"), 0)
        assert.strictEqual((yield* supervisor.stop).filter((code) => code !== 0).length, 0)
      })), 120_000)

  it.live("3 workers, 3 poison messages among 1,500 jobs, kill -9 on top: exactly the poison messages are dead-lettered", () =>
    withDatabase((url) =>
      Effect.gen(function*() {
        const keys = Array.from({ length: 1_500 }, (_, i) => `chaos-${i}`)
        const poisons = ["poison-a", "poison-b", "poison-c"]
        yield* sendRecords(keys.slice(0, 300), { action: "record", sleep_ms: 20 })
        for (const [i, poison] of poisons.entries()) {
          yield* Effect.flatMap(PgmqQueue, (pgmq) => pgmq.send(PROBE_QUEUE, envelope({ action: "crash" }, poison)))
          yield* sendRecords(keys.slice(300 + i * 400, 700 + i * 400), { action: "record", sleep_ms: 20 })
        }
        const env = { WORKER_MAX_ATTEMPTS: "3", WORKER_CONCURRENCY: "10" }
        const supervisor = yield* supervise(url, 3, env)
        // kill -9 of a random worker every 2-3 s while the work lasts
        let kills = 0
        while ((yield* ledgerCount) < keys.length || (yield* deadLetters).length < poisons.length) {
          yield* Effect.sleep(`${2_000 + Math.floor(Math.random() * 1_000)} millis`)
          if (kills < 6 && supervisor.killRandom()) kills++
          assert.isBelow(supervisor.crashes(), 60, "workers keep crashing")
        }
        const dead = yield* deadLetters
        assert.sameMembers(dead.map((d) => (d.original as { idempotency_key: string }).idempotency_key), poisons)
        for (const d of dead) assert.deepInclude(d.error.details as object, { crashes: 3, limit: 3 })
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM workers.probe_effects"), keys.length)
        assert.strictEqual(yield* count("SELECT count(DISTINCT idempotency_key) AS n FROM workers.probe_effects"), keys.length)
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM pgmq.q_probe_main"), 0)
        assert.isAtLeast(kills, 1)
        yield* supervisor.stop
      })), 240_000)

  it.live("a worker killed mid-job: the job completes in another worker after the visibility timeout, once", () =>
    withDatabase((url) =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const first = yield* startWorker(url)
        yield* untilRunning(first)
        yield* sendRecords(["slow-job"], { action: "record", sleep_ms: 120_000, sleep_first_delivery_only: true })
        yield* eventually(Effect.map(
          count("SELECT count(*) AS n FROM pgmq.q_probe_main WHERE read_ct = 1 AND vt > clock_timestamp()"),
          (n) => n === 1
        ))
        const second = yield* startWorker(url)
        yield* untilRunning(second)
        first.child.kill("SIGKILL")
        yield* first.finished
        yield* eventually(Effect.map(ledgerCount, (n) => n === 1), "30 seconds")
        const [effect] = yield* sql<{ attempt: number; delivery: number }>`SELECT attempt, delivery FROM workers.probe_effects`
        // The second delivery, but the first attempt: dying with its worker is not held against a job.
        assert.deepStrictEqual([effect!.delivery, effect!.attempt], [2, 1])
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM workers.probe_effects"), 1)
        const [archived] = yield* sql<{ read_ct: number }>`SELECT read_ct FROM pgmq.a_probe_main`
        assert.strictEqual(archived!.read_ct, 2)
        second.child.kill("SIGTERM")
        assert.strictEqual((yield* second.finished).code, 0)
      })), 60_000)

  it.live("SIGTERM while busy: in-flight jobs finish, the worker exits 0, the heartbeat says stopped", () =>
    withDatabase((url) =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const worker = yield* startWorker(url, { WORKER_CONCURRENCY: "4", WORKER_SHUTDOWN_GRACE: "15", LOG_FORMAT: "json" })
        yield* untilRunning(worker)
        yield* Effect.flatMap(PgmqQueue, (pgmq) =>
          pgmq.sendBatch(PROBE_QUEUE, [
            ...["busy-1", "busy-2", "busy-3", "busy-4"].map((key) => envelope({ action: "record", sleep_ms: 1_500 }, key)),
            envelope({ action: "record" }, "queued-behind")
          ]))
        yield* eventually(Effect.map(
          count("SELECT jobs_in_flight AS n FROM workers.heartbeats"),
          (n) => n === 4
        ))
        worker.child.kill("SIGTERM")
        const exit = yield* worker.finished
        assert.strictEqual(exit.code, 0)
        // structured logs: one JSON object per line
        const logs = exit.stdout.trim().split("\n").map((line) => JSON.parse(line) as { message: unknown; logLevel: string })
        assert.isTrue(logs.some((log) => String(log.message).includes("stopping: no new jobs") && log.logLevel === "INFO"))
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM workers.probe_effects WHERE idempotency_key LIKE 'busy-%'"), 4)
        const [health] = yield* sql<{ status: string; health: string; jobs_processed: string; jobs_in_flight: number }>`
          SELECT status, health, jobs_processed, jobs_in_flight FROM workers.v_worker_health`
        assert.deepStrictEqual(
          [health!.status, health!.health, Number(health!.jobs_processed), health!.jobs_in_flight],
          ["stopped", "stopped", 4, 0]
        )
        // The job that was never started is still there for the next worker.
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM pgmq.q_probe_main WHERE vt <= clock_timestamp()"), 1)
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM workers.find_stale_workers(0)"), 0)
      })), 60_000)
})
