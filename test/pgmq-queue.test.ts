import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Fiber, Layer, Option, TestClock } from "effect"
import { hasSpinningReadWithPoll, type MessageId, PgmqQueue } from "../src/queue/PgmqQueue.js"
import { layerMemory } from "../src/queue/PgmqQueueMemory.js"
import { decodeQueueName, queueName } from "../src/queue/QueueName.js"
import { catalogQueues } from "../src/queue/catalog.js"
import * as TestDatabase from "./support/TestDatabase.js"

let counter = 0
const freshQueue = Effect.flatMap(PgmqQueue, (pgmq) => {
  const name = queueName(`spec_${process.pid}_${++counter}`)
  return Effect.as(pgmq.create(name), name)
})

/**
 * One behaviour spec for both implementations, so the in-memory test layer cannot drift from
 * what Postgres does. `advance` moves time: real sleeps against Postgres, TestClock in memory.
 */
const spec = (
  runner: typeof it.live,
  layer: Layer.Layer<PgmqQueue>,
  advance: (millis: number) => Effect.Effect<void>
) => {
  const test = (name: string, body: Effect.Effect<void, unknown, PgmqQueue>) =>
    runner(name, () => Effect.provide(body, layer))

  test("reads lowest id first, hides what it took until the visibility timeout, counts deliveries", Effect.gen(function*() {
    const pgmq = yield* PgmqQueue
    const queue = yield* freshQueue
    const first = yield* pgmq.send(queue, { n: 1 })
    const second = yield* pgmq.send(queue, { n: 2, nested: { list: [1, "two", null] } })
    assert.isTrue(second > first)
    const [a] = yield* pgmq.read(queue, { visibilityTimeout: 1, quantity: 1 })
    assert.strictEqual(a!.msgId, first)
    assert.strictEqual(a!.readCt, 1)
    assert.deepStrictEqual(a!.message, { n: 1 })
    assert.instanceOf(a!.enqueuedAt, Date)
    assert.isTrue(a!.vt.getTime() > a!.enqueuedAt.getTime())
    const [b] = yield* pgmq.read(queue, { visibilityTimeout: 1, quantity: 5 })
    assert.deepStrictEqual(b!.message, { n: 2, nested: { list: [1, "two", null] } })
    assert.lengthOf(yield* pgmq.read(queue, { visibilityTimeout: 1, quantity: 5 }), 0)
    yield* advance(1_300)
    const again = yield* pgmq.read(queue, { visibilityTimeout: 30, quantity: 5 })
    assert.deepStrictEqual(again.map((m) => [m.msgId, m.readCt]), [[first, 2], [second, 2]])
  }))

  test("delays a message sent with delaySeconds", Effect.gen(function*() {
    const pgmq = yield* PgmqQueue
    const queue = yield* freshQueue
    yield* pgmq.send(queue, { later: true }, { delaySeconds: 1 })
    assert.lengthOf(yield* pgmq.read(queue, { visibilityTimeout: 30, quantity: 1 }), 0)
    yield* advance(1_300)
    assert.lengthOf(yield* pgmq.read(queue, { visibilityTimeout: 30, quantity: 1 }), 1)
  }))

  test("sends a batch with ids in input order", Effect.gen(function*() {
    const pgmq = yield* PgmqQueue
    const queue = yield* freshQueue
    const ids = yield* pgmq.sendBatch(queue, [{ i: 0 }, { i: 1 }, { i: 2 }])
    assert.lengthOf(ids, 3)
    assert.deepStrictEqual([...ids].sort((x, y) => x - y), ids)
    const read = yield* pgmq.read(queue, { visibilityTimeout: 30, quantity: 10 })
    assert.deepStrictEqual(read.map((m) => [m.msgId, m.message]), ids.map((id, i) => [id, { i }]))
    assert.deepStrictEqual(yield* pgmq.sendBatch(queue, []), [])
  }))

  test("deletes and archives, reporting only ids that existed", Effect.gen(function*() {
    const pgmq = yield* PgmqQueue
    const queue = yield* freshQueue
    const [a, b, c, d] = yield* pgmq.sendBatch(queue, [1, 2, 3, 4])
    assert.isTrue(yield* pgmq.delete(queue, a!))
    assert.isFalse(yield* pgmq.delete(queue, a!))
    assert.isTrue(yield* pgmq.archive(queue, b!))
    assert.isFalse(yield* pgmq.archive(queue, b!))
    const missing = 999_999 as MessageId
    assert.deepStrictEqual(yield* pgmq.archiveBatch(queue, [c!, missing]), [c!])
    assert.deepStrictEqual(yield* pgmq.deleteBatch(queue, [d!, missing, a!]), [d!])
    assert.deepStrictEqual(yield* pgmq.deleteBatch(queue, []), [])
    assert.strictEqual((yield* pgmq.metrics(queue)).queueLength, 0)
  }))

  test("setVt hands a message back at once or hides it longer", Effect.gen(function*() {
    const pgmq = yield* PgmqQueue
    const queue = yield* freshQueue
    const id = yield* pgmq.send(queue, "x")
    yield* pgmq.read(queue, { visibilityTimeout: 60, quantity: 1 })
    const updated = yield* pgmq.setVt(queue, id, 0)
    assert.isTrue(Option.isSome(updated))
    const [again] = yield* pgmq.read(queue, { visibilityTimeout: 60, quantity: 1 })
    assert.strictEqual(again!.readCt, 2)
    assert.isTrue(Option.isNone(yield* pgmq.setVt(queue, 999_999 as MessageId, 0)))
  }))

  test("reports metrics, empty and after traffic", Effect.gen(function*() {
    const pgmq = yield* PgmqQueue
    const queue = yield* freshQueue
    const empty = yield* pgmq.metrics(queue)
    assert.deepStrictEqual(
      [empty.queueName, empty.queueLength, empty.newestMsgAgeSec, empty.oldestMsgAgeSec, empty.totalMessages],
      [queue, 0, null, null, 0]
    )
    const [first] = yield* pgmq.sendBatch(queue, [1, 2, 3])
    yield* pgmq.archive(queue, first!)
    const after = yield* pgmq.metrics(queue)
    assert.strictEqual(after.queueLength, 2)
    assert.strictEqual(after.totalMessages, 3)
    assert.strictEqual(after.oldestMsgAgeSec, 0)
    assert.instanceOf(after.scrapeTime, Date)
    const all = yield* pgmq.metricsAll()
    assert.deepStrictEqual(all.find((m) => m.queueName === queue)?.totalMessages, 3)
  }))

  test("creates idempotently, lists, purges and drops", Effect.gen(function*() {
    const pgmq = yield* PgmqQueue
    const queue = yield* freshQueue
    yield* pgmq.create(queue)
    yield* pgmq.sendBatch(queue, [1, 2])
    const listed = (yield* pgmq.listQueues()).filter((q) => q.queueName === queue)
    assert.lengthOf(listed, 1)
    assert.isFalse(listed[0]!.isPartitioned)
    assert.strictEqual(yield* pgmq.purge(queue), 2)
    assert.strictEqual(yield* pgmq.purge(queue), 0)
    assert.isTrue(yield* pgmq.drop(queue))
    assert.isFalse((yield* pgmq.listQueues()).some((q) => q.queueName === queue))
    assert.isTrue(Either.isLeft(yield* Effect.either(pgmq.send(queue, 1))))
  }))

  test("readWithPoll returns what is there, and gives up after maxPollSeconds", Effect.gen(function*() {
    const pgmq = yield* PgmqQueue
    const queue = yield* freshQueue
    yield* pgmq.send(queue, "ready")
    const options = { visibilityTimeout: 30, quantity: 5, maxPollSeconds: 1, pollIntervalMs: 50 }
    assert.lengthOf(yield* pgmq.readWithPoll(queue, options), 1)
    const waiting = yield* Effect.fork(pgmq.readWithPoll(queue, options))
    yield* advance(1_300)
    assert.lengthOf(yield* Fiber.join(waiting), 0)
  }))
}

describe("PgmqQueue on Postgres", () => {
  const live = PgmqQueue.Default.pipe(Layer.provideMerge(TestDatabase.layer()))
  spec(it.live, live, (millis) => Effect.sleep(millis))

  it.live("uses the ambient transaction: a rolled-back send leaves nothing", () =>
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const sql = yield* SqlClient.SqlClient
      const queue = yield* freshQueue
      yield* sql.withTransaction(Effect.zipRight(pgmq.send(queue, "doomed"), Effect.fail("rollback"))).pipe(
        Effect.ignore
      )
      yield* sql.withTransaction(pgmq.send(queue, "kept"))
      const read = yield* pgmq.read(queue, { visibilityTimeout: 30, quantity: 5 })
      assert.deepStrictEqual(read.map((m) => m.message), ["kept"])
    }).pipe(Effect.provide(live)))

  it.live("the migrations created every queue of the catalogue", () =>
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const names = (yield* pgmq.listQueues()).map((q) => q.queueName)
      for (const queue of catalogQueues) assert.include(names, queue)
    }).pipe(Effect.provide(live)))
})

describe("PgmqQueue in memory", () => {
  spec(it.effect, layerMemory, (millis) => TestClock.adjust(millis))
})

describe("queue names", () => {
  it.each(["ingest_raw", "dead_letter", "a", "q".repeat(47), "simplicity_2026_01"])("accepts %s", (name) => {
    assert.isTrue(Either.isRight(decodeQueueName(name)))
  })
  it.each(["", "Ingest", "1queue", "q".repeat(48), "a-b", "a;drop", "a--b", "a'b", "a$b", "a b", "_x"])(
    "refuses %j",
    (name) => {
      assert.isTrue(Either.isLeft(decodeQueueName(name)))
    }
  )
})

describe("pgmq versions", () => {
  it.each([["1.4.4", true], ["1.4.0", true], ["1.3.9", true], ["1.4.5", false], ["1.5.1", false], ["2.0", false]] as const)(
    "read_with_poll on %s spins: %s",
    (version, spins) => {
      assert.strictEqual(hasSpinningReadWithPoll(version), spins)
    }
  )
})
