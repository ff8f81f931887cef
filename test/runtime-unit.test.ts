import { assert, describe, it } from "@effect/vitest"
import { Clock, Duration, Effect, Layer, Queue, Ref, Schema, Stream, TestClock } from "effect"
import { Discord } from "../src/alerts/index.js"
import { WorkerConfig, type WorkerSettings } from "../src/config/index.js"
import { DeadLetter } from "../src/deadletter/DeadLetter.js"
import { Heartbeat } from "../src/heartbeat/Heartbeat.js"
import { JobNotifications } from "../src/queue/JobNotifications.js"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { layerMemory as PgmqMemory } from "../src/queue/PgmqQueueMemory.js"
import { DEAD_LETTER_QUEUE } from "../src/queue/catalog.js"
import { Acknowledger } from "../src/runtime/Acknowledger.js"
import { Deliveries } from "../src/runtime/Deliveries.js"
import { IdempotencyLedger } from "../src/runtime/IdempotencyLedger.js"
import { JobHandler, makeJobHandler, noWrites, Retryable, WorkerIdentity } from "../src/runtime/index.js"
import * as Worker from "../src/runtime/Worker.js"
import { envelope, PROBE_QUEUE, workerSettings } from "./support/runtime.js"

interface Run {
  /** ms on the TestClock */
  readonly at: number
  readonly attempt: number
  readonly delivery: number
}

/** The runs of each job, by idempotency key. */
class Attempts extends Effect.Service<Attempts>()("test/Attempts", {
  effect: Ref.make<Record<string, ReadonlyArray<Run>>>({})
}) {}

/** Fails retryably until the job's `succeed_on` attempt (never, when absent), after `takes_ms` on the clock. */
const FlakyHandler = Layer.effect(
  JobHandler,
  Effect.map(Attempts, (attempts) =>
    makeJobHandler({
      payload: Schema.Struct({ succeed_on: Schema.optional(Schema.Int), takes_ms: Schema.optional(Schema.Int) }),
      handle: (job) =>
        Effect.gen(function*() {
          if (job.payload.takes_ms !== undefined) yield* Effect.sleep(Duration.millis(job.payload.takes_ms))
          const now = yield* Clock.currentTimeMillis
          const run: Run = { at: now, attempt: job.attempt, delivery: job.delivery }
          yield* Ref.update(attempts, (all) => ({
            ...all,
            [job.envelope.idempotency_key]: [...(all[job.envelope.idempotency_key] ?? []), run]
          }))
          if (job.payload.succeed_on !== undefined && job.attempt >= job.payload.succeed_on) return noWrites
          return yield* new Retryable({ message: `not yet (attempt ${job.attempt})` })
        })
    }))
)

/** The whole runtime in memory: no Postgres, time on the TestClock. */
const inMemory = (maxAttempts: number, settings: Partial<WorkerSettings> = {}) => {
  const base = Layer.mergeAll(
    PgmqMemory,
    Heartbeat.layerMemory,
    Discord.layerNoop,
    Layer.succeed(WorkerConfig, workerSettings({ maxAttempts, ...settings })),
    Layer.succeed(WorkerIdentity, WorkerIdentity.make("unit")),
    FlakyHandler.pipe(Layer.provideMerge(Attempts.Default))
  )
  const services = Layer.mergeAll(IdempotencyLedger.layerMemory, DeadLetter.Default, Deliveries.layerMemory).pipe(
    Layer.provideMerge(base)
  )
  return Acknowledger.layerMemory.pipe(Layer.provideMerge(services))
}

/** Lets every fiber run as far as it can without the clock moving. */
const awaitIdle = Effect.forEach(Array.from({ length: 50 }), () => Effect.yieldNow(), { discard: true })

const runFor = (millis: number) =>
  Effect.forEach(Array.from({ length: millis / 100 }), () => TestClock.adjust("100 millis"), { discard: true })

const seconds = (runs: ReadonlyArray<Run>) => runs.slice(1).map((run, i) => (run.at - runs[i]!.at) / 1000)

describe("worker runtime in memory (TestClock)", () => {
  it.scoped("retryable, then success: redelivered after the schedule's delays, then archived", () =>
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      yield* pgmq.create(PROBE_QUEUE)
      yield* pgmq.create(DEAD_LETTER_QUEUE)
      yield* pgmq.send(PROBE_QUEUE, envelope({ succeed_on: 3 }, "k-flaky"))
      yield* Layer.build(Worker.layer({ _tag: "Queue", queue: PROBE_QUEUE }))
      yield* runFor(1_000)
      assert.lengthOf((yield* Ref.get(yield* Attempts))["k-flaky"]!, 1)
      yield* runFor(10_000)
      const runs = (yield* Ref.get(yield* Attempts))["k-flaky"]!
      assert.deepStrictEqual(runs.map((run) => [run.attempt, run.delivery]), [[1, 1], [2, 2], [3, 3]])
      const [first, second] = seconds(runs)
      // 2 s then 4 s, ±20 % jitter, whole seconds (pgmq's unit), plus at most one idle poll
      assert.isTrue(first! >= 2 && first! <= 3.2, `first redelivery after ${first} s`)
      assert.isTrue(second! >= 4 && second! <= 5.2, `second redelivery after ${second} s`)
      assert.strictEqual((yield* pgmq.metrics(PROBE_QUEUE)).queueLength, 0)
      assert.strictEqual((yield* pgmq.metrics(DEAD_LETTER_QUEUE)).queueLength, 0)
      const stats = yield* (yield* Heartbeat).stats
      assert.deepStrictEqual([stats.processed, stats.failed, stats.deadLettered, stats.inFlight], [1, 2, 0, 0])
    }).pipe(Effect.provide(inMemory(5))))

  it.scoped("a job that never succeeds is dead-lettered on the last allowed attempt", () =>
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      yield* pgmq.create(PROBE_QUEUE)
      yield* pgmq.create(DEAD_LETTER_QUEUE)
      yield* pgmq.send(PROBE_QUEUE, envelope({}, "k-hopeless"))
      yield* Layer.build(Worker.layer({ _tag: "Queue", queue: PROBE_QUEUE }))
      yield* runFor(30_000)
      assert.lengthOf((yield* Ref.get(yield* Attempts))["k-hopeless"]!, 3)
      const [dead] = yield* pgmq.read(DEAD_LETTER_QUEUE, { visibilityTimeout: 30, quantity: 10 })
      const record = dead!.message as { reason: string; read_ct: number; error: { tag: string; message: string } }
      assert.deepStrictEqual([record.reason, record.read_ct, record.error.tag], ["max_attempts_exceeded", 3, "Retryable"])
      assert.strictEqual(record.error.message, "not yet (attempt 3)")
      assert.strictEqual((yield* pgmq.metrics(PROBE_QUEUE)).queueLength, 0)
    }).pipe(Effect.provide(inMemory(3))))

  it.scoped("deliveries that ended without a trace are not counted: the job runs alone, as its first attempt", () =>
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      yield* pgmq.create(PROBE_QUEUE)
      yield* pgmq.create(DEAD_LETTER_QUEUE)
      const msgId = yield* pgmq.send(PROBE_QUEUE, envelope({ succeed_on: 1 }, "k-suspect"))
      // two deliveries to workers that died without a word
      for (let i = 0; i < 2; i++) {
        yield* pgmq.read(PROBE_QUEUE, { visibilityTimeout: 30, quantity: 1 })
        yield* pgmq.setVt(PROBE_QUEUE, msgId, 0)
      }
      yield* Layer.build(Worker.layer({ _tag: "Queue", queue: PROBE_QUEUE }))
      yield* runFor(1_000)
      const runs = (yield* Ref.get(yield* Attempts))["k-suspect"]!
      assert.deepStrictEqual(runs.map((run) => [run.attempt, run.delivery]), [[1, 3]])
      assert.strictEqual((yield* pgmq.metrics(PROBE_QUEUE)).queueLength, 0)
      assert.strictEqual((yield* pgmq.metrics(DEAD_LETTER_QUEUE)).queueLength, 0)
    }).pipe(Effect.provide(inMemory(2))))

  it.scoped("an idle worker reads as soon as one of its queues is notified, not at its next poll", () =>
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      yield* pgmq.create(PROBE_QUEUE)
      yield* pgmq.create(DEAD_LETTER_QUEUE)
      const notified = yield* Queue.unbounded<string>()
      yield* Layer.build(
        Worker.layer({ _tag: "Queue", queue: PROBE_QUEUE }).pipe(
          Layer.provide(Layer.succeed(JobNotifications, { queues: Stream.fromQueue(notified), listening: true }))
        )
      )
      // Idle long enough for the poll delay to reach its cap (10 s here).
      yield* runFor(30_000)
      yield* pgmq.send(PROBE_QUEUE, envelope({ succeed_on: 1 }, "k-other"))
      // A notification for a queue it does not consume changes nothing ...
      yield* Queue.offer(notified, "someone_elses_queue")
      yield* awaitIdle
      assert.isUndefined((yield* Ref.get(yield* Attempts))["k-other"])
      // ... one for its queue makes it read at once, with the clock standing still.
      yield* Queue.offer(notified, PROBE_QUEUE)
      yield* awaitIdle
      assert.lengthOf((yield* Ref.get(yield* Attempts))["k-other"]!, 1)
    }).pipe(Effect.provide(inMemory(2, { idlePoll: Duration.seconds(10) }))))

  it.scoped("an idle worker without notifications reads as soon as the server sees a send, not at its next poll", () =>
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      yield* pgmq.create(PROBE_QUEUE)
      yield* pgmq.create(DEAD_LETTER_QUEUE)
      yield* Layer.build(Worker.layer({ _tag: "Queue", queue: PROBE_QUEUE }))
      // Idle long enough for the poll delay to reach its cap (10 s here).
      yield* runFor(30_000)
      yield* pgmq.send(PROBE_QUEUE, envelope({ succeed_on: 1 }, "k-sent"))
      yield* runFor(100)
      assert.lengthOf((yield* Ref.get(yield* Attempts))["k-sent"] ?? [], 1)
    }).pipe(Effect.provide(inMemory(2, { idlePoll: Duration.seconds(10) }))))

  it.scoped("a fast queue is read a whole batch at a time once its jobs are known to be short", () =>
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      yield* pgmq.create(PROBE_QUEUE)
      yield* pgmq.create(DEAD_LETTER_QUEUE)
      yield* pgmq.sendBatch(PROBE_QUEUE, Array.from({ length: 205 }, (_, i) => envelope({ succeed_on: 1, takes_ms: (i % 7) * 10 }, `k-fast-${i}`)))
      const taken: Array<number> = []
      const counting = Layer.effect(
        PgmqQueue,
        Effect.map(PgmqQueue, (inner) =>
          PgmqQueue.make({
            ...inner,
            readWithLedger: (queue, options) =>
              Effect.tap(inner.readWithLedger(queue, options), (read) => Effect.sync(() => void (read.length > 0 && taken.push(read.length))))
          }))
      )
      yield* Layer.build(Worker.layer({ _tag: "Queue", queue: PROBE_QUEUE }).pipe(Layer.provide(counting)))
      yield* runFor(10_000)
      assert.strictEqual((yield* pgmq.metrics(PROBE_QUEUE)).queueLength, 0)
      // Before any job has finished only the 4 slots are read; then 20 at a time, not whatever
      // room each finished job left (4 slots, a batch of 20, 40 read ahead while jobs are short:
      // they take 0–60 ms on the test clock, no time at all on the wall clock the runtime judges by).
      assert.strictEqual(taken[0], 4)
      assert.deepStrictEqual(taken.slice(1, -1), Array.from({ length: taken.length - 2 }, () => 20), `reads: ${taken.join(", ")}`)
      assert.strictEqual(taken.reduce((a, b) => a + b, 0), 205)
    }).pipe(Effect.provide(inMemory(2, { concurrency: 4, batchSize: 20 }))))
})
