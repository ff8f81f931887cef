import { SqlClient } from "@effect/sql"
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer } from "effect"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { queueName } from "../src/queue/QueueName.js"
import * as TestDatabase from "./support/TestDatabase.js"

/**
 * An idle worker without notifications waits on the server (`awaitMessages`, migration 0013): one
 * statement that returns when a send moved a queue's sequence or a message became visible. On the
 * compatible schema and, through TEST_DATABASE_URL, on the real pgmq extension (identity columns).
 */

let counter = 0
const freshQueue = (label: string) =>
  Effect.flatMap(PgmqQueue, (pgmq) => {
    const name = queueName(`await_${label}_${process.pid}_${++counter}`)
    return Effect.as(pgmq.create(name), name)
  })

const quick = { maxWaitMs: 60_000, probeEveryMs: 20, visibleEveryMs: 100 }

/** Until the wait is running on the server, so that what follows happens during it. */
const untilWaiting = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  for (let i = 0; i < 600; i++) {
    const rows = yield* sql<{ readonly n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE state = 'active' AND query LIKE '%workers.await_messages%' AND pid <> pg_backend_pid()`
    if (rows[0]!.n > 0) return
    yield* Effect.sleep("50 millis")
  }
  assert.fail("the wait never started")
})

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.timed(effect), ([duration, value]) => ({ millis: Duration.toMillis(duration), value }))

layer(PgmqQueue.Default.pipe(Layer.provideMerge(TestDatabase.layer({ poolSize: 4 }))), {
  excludeTestServices: true,
  timeout: "120 seconds"
})("an idle worker's wait on the server", (it) => {
  it.effect("returns at once without what it saw last, one value per queue", () =>
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const a = yield* freshQueue("a")
      const b = yield* freshQueue("b")
      yield* pgmq.sendBatch(b, [{ n: 1 }, { n: 2 }])
      const seen = yield* pgmq.awaitMessages([a, b], undefined, quick)
      assert.deepStrictEqual(seen, ["0", "2"])
    }))

  it.effect("waits its longest when nothing is sent and nothing becomes visible", () =>
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const a = yield* freshQueue("idle")
      yield* pgmq.send(a, { n: 1 })
      yield* pgmq.read(a, { visibilityTimeout: 120, quantity: 1 })
      const seen = yield* pgmq.awaitMessages([a], undefined, quick)
      const { millis, value } = yield* timed(pgmq.awaitMessages([a], seen, { ...quick, maxWaitMs: 400 }))
      assert.isAtLeast(millis, 390)
      assert.deepStrictEqual(value, seen)
    }))

  it.effect("a send to any of its queues during the wait ends it", () =>
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const a = yield* freshQueue("first")
      const b = yield* freshQueue("second")
      const seen = yield* pgmq.awaitMessages([a, b], undefined, quick)
      const waiting = yield* Effect.fork(pgmq.awaitMessages([a, b], seen, quick))
      yield* untilWaiting
      yield* pgmq.send(b, { n: 1 })
      const after = yield* Fiber.join(waiting)
      assert.deepStrictEqual(after, ["0", "1"])
      // What it returned is what the next wait compares with: once the message is taken, it waits again.
      yield* pgmq.read(b, { visibilityTimeout: 120, quantity: 1 })
      const { millis } = yield* timed(pgmq.awaitMessages([a, b], after, { ...quick, maxWaitMs: 300 }))
      assert.isAtLeast(millis, 290)
    }))

  it.effect("a message becoming visible (a delayed send, a retry) ends it without a send", () =>
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const a = yield* freshQueue("delayed")
      yield* pgmq.send(a, { n: 1 }, { delaySeconds: 2 })
      const seen = yield* pgmq.awaitMessages([a], undefined, quick)
      const { millis, value } = yield* timed(pgmq.awaitMessages([a], seen, quick))
      assert.isBelow(millis, 50_000, "ended by its longest wait (60 s), not by the visible message")
      assert.deepStrictEqual(value, seen)
      const [message] = yield* pgmq.read(a, { visibilityTimeout: 30, quantity: 1 })
      assert.deepStrictEqual(message?.message, { n: 1 })
    }))
})
