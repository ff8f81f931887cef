import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, HashMap, Layer, Logger, Option, Ref, Scope } from "effect"
import { Alert } from "../src/alerts/index.js"
import { WorkerConfig } from "../src/config/index.js"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { queueName } from "../src/queue/QueueName.js"
import { Acknowledger } from "../src/runtime/Acknowledger.js"
import { Deliveries } from "../src/runtime/Deliveries.js"
import { DeadLetter } from "../src/deadletter/DeadLetter.js"
import { JobEnvelope } from "../src/envelope/index.js"
import { IdempotencyLedger } from "../src/runtime/IdempotencyLedger.js"
import { WorkerIdentity } from "../src/runtime/index.js"
import {
  count,
  deadLetters,
  envelope,
  eventually,
  ORG,
  PROBE_QUEUE,
  probeWorker,
  RecordedAlerts,
  recordedAlerts,
  send,
  workerSettings
} from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"

/** A fresh database per test; the worker runs for the test's scope. */
const withDatabase = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provide(Effect.scoped(self), Layer.mergeAll(PgmqQueue.Default, recordedAlerts).pipe(Layer.provideMerge(TestDatabase.layer())))

const startWorker = (overrides: Parameters<typeof probeWorker>[0] = {}) => Layer.build(probeWorker(overrides))

const archived = (msgId: number) =>
  count(`SELECT count(*) AS n FROM pgmq.a_probe_main WHERE msg_id = ${msgId}`)
const effects = (key: string) =>
  count(`SELECT count(*) AS n FROM workers.probe_effects WHERE idempotency_key = '${key}'`)
const completed = (key: string) =>
  count(`SELECT count(*) AS n FROM workers.job_ledger WHERE idempotency_key = '${key}'`)

describe("worker runtime", () => {
  it.live("completes a job: its writes, the ledger and the archive commit together", () =>
    withDatabase(Effect.gen(function*() {
      yield* startWorker()
      const msgId = yield* send(envelope({ action: "record" }, "k-complete"))
      yield* eventually(Effect.map(archived(msgId), (n) => n === 1))
      assert.strictEqual(yield* effects("k-complete"), 1)
      assert.strictEqual(yield* completed("k-complete"), 1)
      assert.strictEqual(yield* count("SELECT count(*) AS n FROM pgmq.q_probe_main"), 0)
      assert.deepStrictEqual(yield* deadLetters, [])
    })))

  it.live("dead-letters an undecodable envelope at once, keeping the original untouched", () =>
    withDatabase(Effect.gen(function*() {
      yield* startWorker()
      const original = { org_id: "org-dragonfly-prod", entity_type: "batch", payload: { action: "record" } }
      const msgId = yield* send(original)
      yield* eventually(Effect.map(deadLetters, (rows) => rows.length === 1))
      const [dead] = yield* deadLetters
      assert.strictEqual(dead!.reason, "invalid_envelope")
      assert.strictEqual(dead!.source_queue, "probe_main")
      assert.strictEqual(dead!.source_msg_id, msgId)
      assert.strictEqual(dead!.read_ct, 1)
      assert.deepStrictEqual(dead!.original, original)
      assert.strictEqual(dead!.error.tag, "InvalidEnvelope")
      assert.include(dead!.error.message, "org_id must be a UUID")
      assert.include(dead!.error.message, "idempotency_key is required")
      assert.match(dead!.worker_id, /^probe-/)
      assert.strictEqual(yield* archived(msgId), 1)
      const alerts = yield* Ref.get(yield* RecordedAlerts)
      assert.deepStrictEqual(alerts.map((a) => Alert.$is("DeadLettered")(a) ? a.reason : a._tag), ["invalid_envelope"])
    })))

  it.live("logs carry trace_id, job_id, queue and msg_id", () =>
    withDatabase(Effect.gen(function*() {
      const lines = yield* Ref.make<ReadonlyArray<{ message: string; annotations: Record<string, unknown> }>>([])
      const capture = Logger.make(({ annotations, message }) =>
        Effect.runSync(Ref.update(lines, (all) => [...all, {
          message: String(message),
          annotations: Object.fromEntries(HashMap.toEntries(annotations))
        }]))
      )
      const wire = envelope({ action: "fail", kind: "permanent" }, "k-logged")
      const msgId = yield* send(wire)
      yield* startWorker().pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture)))
      yield* eventually(Effect.map(deadLetters, (rows) => rows.length === 1))
      const logged = (yield* Ref.get(lines)).find((line) => line.message.startsWith("dead-lettered"))
      assert.deepInclude(logged!.annotations, {
        trace_id: wire.trace_id,
        job_id: wire.job_id,
        queue: "probe_main",
        msg_id: msgId
      })
    })))

  it.live("dead-letters a payload the service rejects, naming the field", () =>
    withDatabase(Effect.gen(function*() {
      yield* startWorker()
      yield* send(envelope({ action: "explode" }))
      yield* eventually(Effect.map(deadLetters, (rows) => rows.length === 1))
      const [dead] = yield* deadLetters
      assert.strictEqual(dead!.reason, "invalid_payload")
      assert.strictEqual(dead!.error.tag, "InvalidPayload")
      assert.include(dead!.error.message, "payload.action")
      assert.strictEqual(dead!.read_ct, 1)
    })))

  it.live("dead-letters a permanent failure after one attempt", () =>
    withDatabase(Effect.gen(function*() {
      yield* startWorker()
      yield* send(envelope({ action: "fail", kind: "permanent" }, "k-permanent"))
      yield* eventually(Effect.map(deadLetters, (rows) => rows.length === 1))
      const [dead] = yield* deadLetters
      assert.strictEqual(dead!.reason, "permanent_failure")
      assert.strictEqual(dead!.error.tag, "Permanent")
      assert.strictEqual(dead!.read_ct, 1)
      assert.strictEqual(yield* completed("k-permanent"), 0)
    })))

  it.live("redelivers a retryable failure after the schedule's delay, then completes", () =>
    withDatabase(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* startWorker()
      const msgId = yield* send(envelope({ action: "fail", kind: "retryable", times: 1 }, "k-retry"))
      yield* eventually(Effect.map(
        sql<{ read_ct: number; delay: number }>`
          SELECT read_ct, extract(epoch FROM vt - clock_timestamp())::float AS delay
          FROM pgmq.q_probe_main WHERE msg_id = ${msgId}`,
        // the failure has set the retry delay (the read itself set the 30 s visibility timeout)
        (rows) => rows[0]?.read_ct === 1 && rows[0].delay > 1 && rows[0].delay < 20
      ))
      const [pending] = yield* sql<{ delay: number }>`
        SELECT extract(epoch FROM vt - clock_timestamp())::float AS delay FROM pgmq.q_probe_main WHERE msg_id = ${msgId}`
      // first redelivery: 2 s ± 20 %, rounded up to whole seconds
      assert.isAtMost(pending!.delay, 3)
      yield* eventually(Effect.map(archived(msgId), (n) => n === 1))
      const [effect] = yield* sql<{ attempt: number }>`
        SELECT attempt FROM workers.probe_effects WHERE idempotency_key = 'k-retry'`
      assert.strictEqual(effect!.attempt, 2)
      assert.deepStrictEqual(yield* deadLetters, [])
    })))

  it.live("dead-letters after the attempt limit with the last error (retryable and defect)", () =>
    withDatabase(Effect.gen(function*() {
      yield* startWorker({ maxAttempts: 2 })
      yield* send(envelope({ action: "fail", kind: "retryable" }, "k-always"))
      yield* send(envelope({ action: "fail", kind: "defect" }, "k-defect"))
      yield* eventually(Effect.map(deadLetters, (rows) => rows.length === 2), "20 seconds")
      const rows = yield* deadLetters
      assert.deepStrictEqual(rows.map((d) => [d.reason, d.read_ct]), [["max_attempts_exceeded", 2], ["max_attempts_exceeded", 2]])
      assert.sameMembers(rows.map((d) => d.error.tag), ["Retryable", "Error"])
      assert.include(rows.find((d) => d.error.tag === "Error")!.error.message, "probe: defect on attempt 2")
    })))

  it.live("a delivery that ended without a trace is not counted: the job runs alone, as its first attempt", () =>
    withDatabase(Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const sql = yield* SqlClient.SqlClient
      const msgId = yield* send(envelope({ action: "record", sleep_ms: 300 }, "k-suspect"))
      // Three deliveries to workers that died (with other jobs, for all anyone knows).
      for (let i = 0; i < 3; i++) {
        yield* pgmq.read(PROBE_QUEUE, { visibilityTimeout: 30, quantity: 1 })
        yield* pgmq.setVt(PROBE_QUEUE, msgId, 0)
      }
      for (let i = 0; i < 8; i++) yield* send(envelope({ action: "record", sleep_ms: 300 }, `k-neighbour-${i}`))
      yield* startWorker({ concurrency: 4, maxAttempts: 3 })
      yield* eventually(Effect.map(count("SELECT count(*) AS n FROM pgmq.a_probe_main"), (n) => n === 9), "30 seconds")
      const effects = yield* sql<{ idempotency_key: string; attempt: number; delivery: number; started_at: Date; recorded_at: Date }>`
        SELECT idempotency_key, attempt, delivery, started_at, recorded_at FROM workers.probe_effects`
      const suspect = effects.find((e) => e.idempotency_key === "k-suspect")!
      assert.deepStrictEqual([suspect.attempt, suspect.delivery], [1, 4])
      // Alone: no other job ran, or waited for its commit, while it did.
      for (const other of effects.filter((e) => e !== suspect)) {
        assert.isTrue(
          other.recorded_at <= suspect.started_at || other.started_at >= suspect.recorded_at,
          `${other.idempotency_key} ran beside the suspect`
        )
      }
      assert.deepStrictEqual(yield* deadLetters, [])
      assert.strictEqual(yield* count("SELECT count(*) AS n FROM workers.deliveries"), 0)
    })))

  it.live("dead-letters, without running it, a job that took its worker down as often as the limit while running alone", () =>
    withDatabase(Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const deliveries = yield* Deliveries
      const msgId = yield* send(envelope({ action: "record" }, "k-poison"))
      yield* pgmq.read(PROBE_QUEUE, { visibilityTimeout: 30, quantity: 1 })
      yield* pgmq.setVt(PROBE_QUEUE, msgId, 0)
      // What three workers leave behind when the job kills each of them while it runs alone.
      for (let i = 0; i < 3; i++) {
        const [message] = yield* pgmq.read(PROBE_QUEUE, { visibilityTimeout: 30, quantity: 1 })
        assert.isTrue(Option.isSome(yield* deliveries.isolate({ queue: PROBE_QUEUE, message: message! })))
        yield* pgmq.setVt(PROBE_QUEUE, msgId, 0)
      }
      yield* startWorker({ maxAttempts: 3 })
      yield* eventually(Effect.map(deadLetters, (rows) => rows.length === 1))
      const [dead] = yield* deadLetters
      assert.strictEqual(dead!.reason, "max_attempts_exceeded")
      assert.strictEqual(dead!.read_ct, 5)
      assert.strictEqual(dead!.error.tag, "MaxAttemptsExceeded")
      assert.deepStrictEqual(dead!.error.details, { failures: 0, crashes: 3, deliveries: 5, limit: 3 })
      assert.include(dead!.error.message, "took its worker down 3 times while running alone")
      assert.strictEqual(yield* effects("k-poison"), 0)
      assert.strictEqual(yield* count("SELECT count(*) AS n FROM workers.deliveries"), 0)
    }).pipe(Effect.provide(Deliveries.Default))))

  it.live("failures and crashes while running alone add up to the attempt limit", () =>
    withDatabase(Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const deliveries = yield* Deliveries
      const msgId = yield* send(envelope({ action: "fail", kind: "retryable" }, "k-mixed"))
      yield* pgmq.read(PROBE_QUEUE, { visibilityTimeout: 30, quantity: 1 })
      yield* pgmq.setVt(PROBE_QUEUE, msgId, 0)
      const [second] = yield* pgmq.read(PROBE_QUEUE, { visibilityTimeout: 30, quantity: 1 })
      yield* deliveries.isolate({ queue: PROBE_QUEUE, message: second! })
      yield* pgmq.setVt(PROBE_QUEUE, msgId, 0)
      // one crash so far; the worker fails it (attempt 2), then dead-letters it on attempt 3
      yield* startWorker({ maxAttempts: 3 })
      yield* eventually(Effect.map(deadLetters, (rows) => rows.length === 1), "20 seconds")
      const [dead] = yield* deadLetters
      assert.strictEqual(dead!.reason, "max_attempts_exceeded")
      assert.strictEqual(dead!.error.tag, "Retryable")
      assert.strictEqual(dead!.error.message, "probe: retryable failure on attempt 3")
      assert.strictEqual(dead!.read_ct, 4)
    }).pipe(Effect.provide(Deliveries.Default))))

  it.live("runs the same idempotency key once, however often it is sent", () =>
    withDatabase(Effect.gen(function*() {
      yield* startWorker({ concurrency: 5 })
      const ids = yield* Effect.forEach(Array.from({ length: 5 }), () => send(envelope({ action: "record" }, "k-dup")))
      yield* eventually(Effect.map(count("SELECT count(*) AS n FROM pgmq.a_probe_main"), (n) => n === 5))
      assert.strictEqual(yield* effects("k-dup"), 1)
      assert.strictEqual(yield* completed("k-dup"), 1)
      for (const id of ids) assert.strictEqual(yield* archived(id), 1)
      yield* send(envelope({ action: "record" }, "k-dup"))
      yield* eventually(Effect.map(count("SELECT count(*) AS n FROM pgmq.a_probe_main"), (n) => n === 6))
      assert.strictEqual(yield* effects("k-dup"), 1)
    })))

  it.live("keeps extending the lease of a slow job, so it is delivered once", () =>
    withDatabase(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* startWorker({ visibilityTimeoutSeconds: 3, concurrency: 2 })
      const msgId = yield* send(envelope({ action: "record", sleep_ms: 5_000 }, "k-slow"))
      yield* eventually(Effect.map(archived(msgId), (n) => n === 1), "20 seconds")
      const [row] = yield* sql<{ read_ct: number }>`SELECT read_ct FROM pgmq.a_probe_main WHERE msg_id = ${msgId}`
      assert.strictEqual(row!.read_ct, 1)
      assert.strictEqual(yield* effects("k-slow"), 1)
    })))

  it.live("finds new queues of its family", () =>
    withDatabase(Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      yield* startWorker({ queueRefresh: Duration.seconds(1) })
      const extra = queueName("probe_extra")
      yield* pgmq.create(extra)
      yield* pgmq.send(extra, envelope({ action: "record" }, "k-family"))
      yield* eventually(Effect.map(effects("k-family"), (n) => n === 1))
    })))

  it.live("on shutdown hands back what is still running and writes a final stopped heartbeat", () =>
    withDatabase(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const msgId = yield* send(envelope({ action: "record", sleep_ms: 60_000 }, "k-stuck"))
      const workerScope = yield* Scope.make()
      yield* Layer.buildWithScope(probeWorker({ shutdownGrace: Duration.millis(300) }), workerScope)
      yield* eventually(Effect.map(
        sql<{ read_ct: number }>`SELECT read_ct FROM pgmq.q_probe_main WHERE msg_id = ${msgId}`,
        (rows) => rows[0]?.read_ct === 1
      ))
      yield* Effect.sleep("200 millis")
      yield* Scope.close(workerScope, Exit.void)
      const [row] = yield* sql<{ visible: boolean }>`
        SELECT vt <= clock_timestamp() AS visible FROM pgmq.q_probe_main WHERE msg_id = ${msgId}`
      assert.isTrue(row!.visible)
      assert.strictEqual(yield* effects("k-stuck"), 0)
      const [beat] = yield* sql<{ status: string; health: string }>`SELECT status, health FROM workers.v_worker_health`
      assert.deepStrictEqual([beat!.status, beat!.health], ["stopped", "stopped"])
    })))
})

describe("fencing", () => {
  it.live("a worker whose lease was lost cannot commit; the current delivery can", () =>
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const acknowledger = yield* Acknowledger
      const ledger = yield* IdempotencyLedger
      const sql = yield* SqlClient.SqlClient
      const wire = envelope({ action: "record" }, "k-fenced")
      const msgId = yield* pgmq.send(PROBE_QUEUE, wire)
      const [first] = yield* pgmq.read(PROBE_QUEUE, { visibilityTimeout: 1, quantity: 1 })
      yield* pgmq.setVt(PROBE_QUEUE, msgId, 0)
      const [second] = yield* pgmq.read(PROBE_QUEUE, { visibilityTimeout: 30, quantity: 1 })
      assert.deepStrictEqual([first!.readCt, second!.readCt], [1, 2])

      const parsed = JobEnvelope.parse(wire)
      const writes = sql`INSERT INTO workers.probe_effects (job_id, org_id, idempotency_key, attempt)
        VALUES (${parsed.job_id}::uuid, ${ORG}::uuid, 'k-fenced', 1)`.pipe(Effect.asVoid)
      const stale = yield* acknowledger.settle({ _tag: "Complete", held: { queue: PROBE_QUEUE, message: first! }, envelope: parsed, writes })
      assert.strictEqual(stale._tag, "LeaseLost")
      assert.strictEqual(yield* effects("k-fenced"), 0)
      assert.strictEqual((yield* ledger.completed([parsed])).size, 0)
      assert.strictEqual(yield* archived(msgId), 0)

      const current = yield* acknowledger.settle({ _tag: "Complete", held: { queue: PROBE_QUEUE, message: second! }, envelope: parsed, writes })
      assert.deepStrictEqual(current, { _tag: "Settled", duplicate: false })
      assert.strictEqual(yield* effects("k-fenced"), 1)
      assert.strictEqual(yield* archived(msgId), 1)
    }).pipe(
      Effect.provide(Acknowledger.Default.pipe(
        Layer.provideMerge(Layer.mergeAll(IdempotencyLedger.Default, DeadLetter.Default, Deliveries.Default)),
        Layer.provideMerge(PgmqQueue.Default),
        Layer.provide(WorkerIdentity.layer("fencing-test")),
        Layer.provide(Layer.succeed(WorkerConfig, workerSettings())),
        Layer.provideMerge(TestDatabase.layer())
      )),
      Effect.scoped
    ))
})

