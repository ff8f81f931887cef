import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Layer, Redacted, Scope } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { WorkerConfig } from "../src/config/index.js"
import * as Database from "../src/db/Database.js"
import { migrate } from "../src/db/Migrations.js"
import { installProbe } from "../src/services/probe/schema.js"
import { DeadLetter } from "../src/deadletter/DeadLetter.js"
import * as EmbeddedPostgres from "../src/dev/EmbeddedPostgres.js"
import { JobEnvelope } from "../src/envelope/index.js"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { queueName } from "../src/queue/QueueName.js"
import { Acknowledger } from "../src/runtime/Acknowledger.js"
import { Deliveries } from "../src/runtime/Deliveries.js"
import { IdempotencyLedger } from "../src/runtime/IdempotencyLedger.js"
import { WorkerIdentity } from "../src/runtime/index.js"
import { adminQuery } from "./support/admin.js"
import { type CommitFault, postgresProxy } from "./support/proxy.js"
import { count, envelope, eventually, PROBE_QUEUE, probeWorker, recordedAlerts, workerSettings } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"

/**
 * Faults at the acknowledgement: whatever becomes of a settling transaction, every job waiting on
 * it gets an answer, and every message is then completed exactly once.
 */

const connect = (url: Redacted.Redacted<string>, applicationName: string) =>
  Database.layerFromOptions({ url, poolSize: 4, applicationName }).pipe(Layer.orDie)

/** The test's own connection (direct), PgmqQueue and alerts, on a database of the test's own. */
const withDatabase = <A, E, R>(self: (url: Redacted.Redacted<string>) => Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.gen(function*() {
    const url = yield* TestDatabase.freshDatabase()
    return yield* Effect.scoped(self(url)).pipe(
      Effect.provide(Layer.mergeAll(PgmqQueue.Default, recordedAlerts).pipe(Layer.provideMerge(connect(url, "test"))))
    )
  }))

/** A probe worker in this process with a connection pool of its own (through a proxy, say). */
const startWorkerOn = (url: Redacted.Redacted<string>, overrides: Parameters<typeof probeWorker>[0] = {}) =>
  Layer.build(probeWorker(overrides).pipe(Layer.provide(connect(url, "faulty-worker"))))

const sendRecords = (prefix: string, n: number, payload: Record<string, unknown> = { action: "record" }) =>
  Effect.flatMap(PgmqQueue, (pgmq) =>
    pgmq.sendBatch(PROBE_QUEUE, Array.from({ length: n }, (_, i) => envelope(payload, `${prefix}-${i}`))))

interface Heartbeat {
  readonly jobs_in_flight: number
  readonly jobs_failed: string
  readonly last_error: string | null
}

const heartbeat = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(
    sql<Heartbeat>`SELECT jobs_in_flight, jobs_failed, last_error FROM workers.heartbeats WHERE status = 'running'`,
    (rows) => rows[0]
  ))

/** Each job's effect exactly once, every message archived, nothing left in the queue. */
const completedOnce = (prefix: string, n: number) =>
  Effect.gen(function*() {
    yield* eventually(
      Effect.map(count(`SELECT count(*) AS n FROM workers.job_ledger WHERE idempotency_key LIKE '${prefix}-%'`), (c) => c === n),
      "60 seconds"
    )
    assert.strictEqual(yield* count(`SELECT count(*) AS n FROM workers.probe_effects WHERE idempotency_key LIKE '${prefix}-%'`), n)
    assert.strictEqual(
      yield* count(`SELECT count(DISTINCT idempotency_key) AS n FROM workers.probe_effects WHERE idempotency_key LIKE '${prefix}-%'`),
      n
    )
    yield* eventually(Effect.map(count("SELECT count(*) AS n FROM pgmq.q_probe_main"), (c) => c === 0))
  })

/** The heartbeat tells the truth: nothing in flight any more, and the failed commit on record. */
const heartbeatShowsTheFailure = (pattern: RegExp) =>
  Effect.gen(function*() {
    yield* eventually(Effect.map(heartbeat, (beat) => beat?.jobs_in_flight === 0 && Number(beat.jobs_failed) >= 1))
    assert.match((yield* heartbeat)!.last_error ?? "", pattern)
  })

describe("a failed acknowledgement answers every job waiting on it", () => {
  it.live("a COMMIT the server refuses (a defect in @effect/sql): the jobs are handed back at once, then completed once", () =>
    withDatabase((url) =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        // A deferred constraint trigger fails the first COMMIT that includes a probe effect.
        yield* sql.unsafe(`
          CREATE SEQUENCE refused_commits;
          CREATE FUNCTION refuse_first_commit() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            IF nextval('refused_commits') = 1 THEN RAISE EXCEPTION 'the test refuses this commit'; END IF;
            RETURN NULL;
          END $$;
          CREATE CONSTRAINT TRIGGER refuse_first_commit AFTER INSERT ON workers.probe_effects
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_first_commit();`)
        // A long visibility timeout: only handing the messages back can bring them round again soon.
        yield* startWorkerOn(url, { visibilityTimeoutSeconds: 600, heartbeatInterval: Duration.millis(200) })
        yield* sendRecords("refused", 5)
        yield* completedOnce("refused", 5)
        // Handed back: delivered a second time, but not charged an attempt, not run alone.
        assert.isAtLeast(yield* count("SELECT count(*) AS n FROM workers.probe_effects WHERE delivery = 2 AND attempt = 1"), 1)
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM workers.probe_effects WHERE attempt <> 1"), 0)
        yield* heartbeatShowsTheFailure(/commit failed: .*the test refuses this commit/)
      })), 60_000)

  const commitFaults: ReadonlyArray<readonly [CommitFault, string]> = [
    ["drop", "the connection drops before the COMMIT reaches the server"],
    ["lose-answer", "the server commits, and the connection drops before its answer"],
    ["stall", "the COMMIT gets no answer at all (the network stops passing anything)"]
  ]
  for (const [fault, description] of commitFaults) {
    it.live(`${description}: every job is answered, then completed once`, () =>
      withDatabase((url) =>
        Effect.gen(function*() {
          const proxy = yield* postgresProxy(url)
          yield* proxy.onNextCommit(fault)
          yield* startWorkerOn(proxy.through(url), { visibilityTimeoutSeconds: 3, heartbeatInterval: Duration.millis(200) })
          yield* sendRecords(fault, 5)
          yield* completedOnce(fault, 5)
          assert.strictEqual(proxy.injected(), 1)
          yield* heartbeatShowsTheFailure(
            fault === "stall" ? /commit failed: SettleTimedOut: no answer from the database within 3s/ : /commit failed/
          )
          if (fault === "lose-answer") {
            // It did commit: nothing ran twice.
            assert.strictEqual(yield* count("SELECT count(*) AS n FROM workers.probe_effects WHERE delivery > 1"), 0)
          }
        })), 90_000)
  }
})

describe("the acknowledger", () => {
  const acknowledger = (scope: Scope.Scope) =>
    Layer.buildWithScope(
      Acknowledger.Default.pipe(
        Layer.provideMerge(Layer.mergeAll(IdempotencyLedger.Default, DeadLetter.Default, Deliveries.Default)),
        Layer.provideMerge(PgmqQueue.Default),
        Layer.provide(WorkerIdentity.layer("acknowledger-test")),
        Layer.provide(Layer.succeed(WorkerConfig, workerSettings({ visibilityTimeoutSeconds: 3 })))
      ),
      scope
    )

  const settleSlowWrites = Effect.gen(function*() {
    const pgmq = yield* PgmqQueue
    const wire = envelope({ action: "record" }, "k-slow-writes")
    yield* pgmq.send(PROBE_QUEUE, wire)
    const [message] = yield* pgmq.read(PROBE_QUEUE, { visibilityTimeout: 30, quantity: 1 })
    return {
      _tag: "Complete" as const,
      held: { queue: PROBE_QUEUE, message: message! },
      envelope: JobEnvelope.parse(wire),
      writes: Effect.sleep("10 minutes")
    }
  })

  it.live("answers a settlement whose transaction does not end within the visibility timeout", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* acknowledger(scope)
      const settlement = yield* settleSlowWrites
      const result = yield* Effect.flatMap(Acknowledger, (ack) => ack.settle(settlement)).pipe(Effect.provide(context))
      assert.strictEqual(result._tag, "CommitFailed")
      assert.include(result._tag === "CommitFailed" ? Cause.pretty(result.cause) : "", "no answer from the database within 3s")
      yield* Scope.close(scope, Exit.void)
    }).pipe(Effect.provide(PgmqQueue.Default.pipe(Layer.provideMerge(TestDatabase.layer()))), Effect.scoped), 30_000)

  it.live("a job waiting behind settlements that time out one after another is answered after the timeout and 5 s", () =>
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const scope = yield* Scope.make()
      const context = yield* acknowledger(scope)
      // One group per queue, settled one after another: each waits out the 3 s settle timeout.
      const queues = ["probe_w1", "probe_w2", "probe_w3", "probe_w4"].map(queueName)
      const settlements = yield* Effect.forEach(queues, (queue) =>
        Effect.gen(function*() {
          yield* pgmq.create(queue)
          const wire = envelope({ action: "record" }, `k-${queue}`)
          yield* pgmq.send(queue, wire)
          const [message] = yield* pgmq.read(queue, { visibilityTimeout: 30, quantity: 1 })
          return {
            _tag: "Complete" as const,
            held: { queue, message: message! },
            envelope: JobEnvelope.parse(wire),
            writes: Effect.sleep("10 minutes")
          }
        }))
      const results = yield* Effect.flatMap(Acknowledger, (ack) =>
        Effect.forEach(settlements, (settlement) => ack.settle(settlement), { concurrency: "unbounded" })).pipe(
          Effect.provide(context)
        )
      const causes = results.map((result) => result._tag === "CommitFailed" ? Cause.pretty(result.cause) : result._tag)
      assert.include(causes[0]!, "no answer from the database within 3s")
      // the fourth would have waited 12 s for its turn
      assert.include(causes[3]!, "the acknowledger did not answer in time")
      yield* Scope.close(scope, Exit.void)
    }).pipe(Effect.provide(PgmqQueue.Default.pipe(Layer.provideMerge(TestDatabase.layer()))), Effect.scoped), 30_000)

  it.live("answers what it holds when it stops", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* acknowledger(scope)
      const settlement = yield* settleSlowWrites
      const waiting = yield* Effect.flatMap(Acknowledger, (ack) => ack.settle(settlement)).pipe(Effect.provide(context), Effect.fork)
      yield* Effect.sleep("300 millis")
      yield* Scope.close(scope, Exit.void)
      const result = yield* Fiber.join(waiting)
      assert.strictEqual(result._tag, "CommitFailed")
      assert.include(result._tag === "CommitFailed" ? Cause.pretty(result.cause) : "", "the acknowledger stopped before settling the job")
    }).pipe(Effect.provide(PgmqQueue.Default.pipe(Layer.provideMerge(TestDatabase.layer()))), Effect.scoped), 30_000)
})

describe("a Postgres restart in the middle of a group commit", () => {
  for (const mode of ["fast", "immediate"] as const) {
    it.live(`${mode} shutdown: the worker reconnects by itself, and every job completes once`, () =>
      Effect.gen(function*() {
        const root = mkdtempSync(join(tmpdir(), "dragonfly-restart-"))
        const server = yield* EmbeddedPostgres.start({
          dataDir: join(root, "pgdata"),
          preferredPort: 55_433,
          persistent: false,
          // an immediate shutdown loses commits made with synchronous_commit off
          durability: "durable"
        }).pipe(Effect.orDie)
        yield* Effect.promise(() => adminQuery(Redacted.value(server.url), "CREATE DATABASE restart"))
        const url = server.urlFor("restart")
        yield* migrate.pipe(Effect.zipLeft(installProbe), Effect.provide(connect(url, "test-setup")), Effect.orDie)
        yield* Effect.gen(function*() {
          yield* startWorkerOn(url, { visibilityTimeoutSeconds: 3, heartbeatInterval: Duration.millis(200) })
          // Ten jobs settled together; the first one's writes hold the transaction open until the
          // restart ends it.
          yield* Effect.flatMap(PgmqQueue, (pgmq) =>
            pgmq.sendBatch(PROBE_QUEUE, Array.from({ length: 10 }, (_, i) =>
              envelope(i === 0 ? { action: "record", hold_commit_ms: 120_000 } : { action: "record" }, `${mode}-${i}`))))
          yield* eventually(Effect.map(
            count("SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND xact_start IS NOT NULL"),
            (n) => n === 1
          ), "30 seconds")
          yield* server.restart(mode).pipe(Effect.orDie)
          yield* completedOnce(mode, 10).pipe(Effect.retry({ times: 3, while: (e) => e._tag === "SqlError" }))
          yield* heartbeatShowsTheFailure(/commit failed|WritesFailed|terminat/)
          // and it goes on working
          yield* sendRecords(`${mode}-after`, 5)
          yield* completedOnce(`${mode}-after`, 5)
          assert.strictEqual(yield* count("SELECT count(*) AS n FROM pgmq.q_dead_letter"), 0)
        }).pipe(Effect.provide(Layer.mergeAll(PgmqQueue.Default, recordedAlerts).pipe(Layer.provideMerge(connect(url, "test")))))
      }).pipe(Effect.scoped), 120_000)
  }
})

describe("slow writes", () => {
  it.live("jobs whose writes together outlast the visibility timeout commit in several groups, each on its first delivery", () =>
    withDatabase((url) =>
      Effect.gen(function*() {
        // 20 × 400 ms of writes: 8 s in one transaction, past the 3 s settle timeout; the
        // acknowledger commits them a second's worth at a time instead of giving up on all of them.
        yield* startWorkerOn(url, { visibilityTimeoutSeconds: 3, concurrency: 4, batchSize: 10 })
        yield* sendRecords("slow-writes", 20, { action: "record", hold_commit_ms: 400 })
        yield* completedOnce("slow-writes", 20)
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM pgmq.a_probe_main WHERE read_ct > 1"), 0)
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM workers.probe_effects WHERE delivery > 1"), 0)
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM pgmq.q_dead_letter"), 0)
      })), 90_000)
})
