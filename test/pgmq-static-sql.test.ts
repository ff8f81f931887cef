import { SqlClient } from "@effect/sql"
import { assert, layer } from "@effect/vitest"
import { Deferred, Effect, Layer } from "effect"
import { randomUUID } from "node:crypto"
import * as Envelope from "../src/envelope/index.js"
import { type MessageId, PgmqQueue, type QueueMessage } from "../src/queue/PgmqQueue.js"
import { type QueueName, queueName } from "../src/queue/QueueName.js"
import { IdempotencyLedger } from "../src/runtime/IdempotencyLedger.js"
import { WorkerIdentity } from "../src/runtime/WorkerIdentity.js"
import * as TestDatabase from "./support/TestDatabase.js"

/**
 * The worker's hot path speaks pgmq's own statements on the queue tables (`readWithLedger` is
 * pgmq.read's claim, `completeAndArchive` fences and archives like pgmq.archive) instead of calling
 * the functions. These tests pin that they behave like pgmq's functions, on whichever pgmq the
 * database has: our compatible schema, or the real extension through TEST_DATABASE_URL.
 */

let counter = 0
const freshQueue = (label: string) =>
  Effect.flatMap(PgmqQueue, (pgmq) => {
    const name = queueName(`static_${label}_${process.pid}_${++counter}`)
    return Effect.as(pgmq.create(name), name)
  })

const ORG = "00000000-0000-4000-8000-00000000057a"
const envelope = (key = randomUUID()) =>
  Envelope.encode(Envelope.make({ org_id: ORG, idempotency_key: key, entity_type: "batch", entity_id: "static", payload: { key } }))

/** The same sends on two queues: a mix of visible, delayed and already-taken messages. */
const twin = Effect.gen(function*() {
  const pgmq = yield* PgmqQueue
  const a = yield* freshQueue("a")
  const b = yield* freshQueue("b")
  const bodies = Array.from({ length: 12 }, (_, i) => ({ i }))
  for (const queue of [a, b]) {
    yield* pgmq.sendBatch(queue, bodies.slice(0, 5))
    yield* pgmq.sendBatch(queue, bodies.slice(5, 8), { delaySeconds: 60 })
    yield* pgmq.sendBatch(queue, bodies.slice(8))
    // One taken by someone else (invisible for a minute) on both.
    yield* pgmq.read(queue, { visibilityTimeout: 60, quantity: 1 })
  }
  return { a, b }
})

const shape = (messages: ReadonlyArray<QueueMessage>) => messages.map((m) => ({ message: m.message, readCt: m.readCt }))

const vtWithin = (messages: ReadonlyArray<QueueMessage>, from: number, seconds: number) => {
  for (const m of messages) {
    const lead = m.vt.getTime() - from
    assert.isTrue(lead >= seconds * 1000 - 1000 && lead <= seconds * 1000 + 5000, `vt ${lead} ms ahead, wanted ~${seconds} s`)
  }
}

const ledgerLayer = IdempotencyLedger.Default.pipe(
  Layer.provide(Layer.succeed(WorkerIdentity, WorkerIdentity.make("static-sql")))
)

layer(
  Layer.mergeAll(ledgerLayer, PgmqQueue.Default).pipe(Layer.provideMerge(TestDatabase.layer({ poolSize: 8 }))),
  { excludeTestServices: true, timeout: "60 seconds" }
)("pgmq's statements on the queue tables behave like pgmq's functions", (it) => {
  it.effect("readWithLedger takes the messages pgmq.read takes, in the same order, with the same vt and read_ct", () =>
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const { a, b } = yield* twin
      const now = Date.now()
      for (const quantity of [3, 10, 10]) {
        const viaFunction = yield* pgmq.read(a, { visibilityTimeout: 45, quantity })
        const viaStatement = (yield* pgmq.readWithLedger(b, { visibilityTimeout: 45, quantity })).map((r) => r.message)
        assert.deepStrictEqual(shape(viaStatement), shape(viaFunction))
        vtWithin(viaStatement, now, 45)
        vtWithin(viaFunction, now, 45)
      }
      // Both queues are left the same: the delayed and taken rows untouched, nothing else visible.
      const left = (queue: QueueName) =>
        Effect.map(pgmq.peek(queue, 100), (rows) => rows.map((m) => ({ message: m.message, readCt: m.readCt })))
      assert.deepStrictEqual(yield* left(b), yield* left(a))
      assert.lengthOf(yield* left(a), 12)
    }))

  it.effect("readWithLedger skips a row another transaction holds, as pgmq.read does", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const pgmq = yield* PgmqQueue
      const queue = yield* freshQueue("locked")
      const [first, second] = yield* pgmq.sendBatch(queue, [{ n: 1 }, { n: 2 }])
      const locked = yield* Deferred.make<void>()
      const finished = yield* Deferred.make<void>()
      const holder = yield* sql.withTransaction(Effect.gen(function*() {
        yield* pgmq.find(queue, { msgIds: [first!], lock: "wait" })
        yield* Deferred.succeed(locked, undefined)
        yield* Deferred.await(finished)
      })).pipe(Effect.fork)
      yield* Deferred.await(locked)
      const taken = yield* pgmq.readWithLedger(queue, { visibilityTimeout: 30, quantity: 10 })
      assert.deepStrictEqual(taken.map((r) => r.message.msgId), [second!])
      yield* Deferred.succeed(finished, undefined)
      yield* holder.await
      assert.deepStrictEqual((yield* pgmq.readWithLedger(queue, { visibilityTimeout: 30, quantity: 10 })).map((r) => r.message.msgId), [first!])
    }))

  it.effect("readers of both kinds on one queue take each of 2,000 messages exactly once", () =>
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const queue = yield* freshQueue("mixed")
      const sent = yield* pgmq.sendBatch(queue, Array.from({ length: 2_000 }, (_, i) => ({ i })))
      const reader = (viaStatement: boolean) =>
        Effect.gen(function*() {
          const taken: Array<MessageId> = []
          while (true) {
            const batch = viaStatement
              ? (yield* pgmq.readWithLedger(queue, { visibilityTimeout: 30, quantity: 25 })).map((r) => r.message)
              : yield* pgmq.read(queue, { visibilityTimeout: 30, quantity: 25 })
            if (batch.length === 0) return taken
            taken.push(...batch.map((m) => m.msgId))
            assert.isTrue(batch.every((m) => m.readCt === 1))
          }
        })
      const all = (yield* Effect.all([reader(true), reader(false), reader(true), reader(false)], { concurrency: 4 })).flat()
      assert.strictEqual(all.length, 2_000)
      assert.strictEqual(new Set(all).size, 2_000)
      assert.deepStrictEqual([...all].sort((x, y) => x - y), [...sent].sort((x, y) => x - y))
    }))

  it.effect("completeAndArchive archives like pgmq.archive, fenced by read_ct, recording each key once", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const pgmq = yield* PgmqQueue
      const ledger = yield* IdempotencyLedger
      const a = yield* freshQueue("arch_a")
      const b = yield* freshQueue("arch_b")
      const keys = [randomUUID(), randomUUID(), randomUUID()]
      const bodies = keys.map((key) => envelope(key))
      for (const queue of [a, b]) yield* pgmq.sendBatch(queue, bodies)
      const readA = yield* pgmq.read(a, { visibilityTimeout: 30, quantity: 3 })
      yield* pgmq.archiveBatch(a, readA.map((m) => m.msgId))
      const readB = (yield* pgmq.readWithLedger(b, { visibilityTimeout: 30, quantity: 3 })).map((r) => r.message)
      const entries = readB.map((m) => ({
        envelope: Envelope.decodeEither(m.message).pipe((e) => (e._tag === "Right" ? e.right : assert.fail("invalid"))),
        queue: b,
        msgId: m.msgId,
        // The last one's delivery is stale: another delivery holds it now.
        readCt: m.msgId === readB[2]!.msgId ? m.readCt - 1 : m.readCt
      }))
      const outcomes = yield* ledger.completeAndArchive(b, entries)
      assert.deepStrictEqual(readB.map((m) => outcomes.get(m.msgId)), ["completed", "completed", "lease_lost"])

      type ArchivedRow = { msg_id: string; read_ct: number; enqueued_at: Date; vt: Date; message: unknown; archived_at: Date }
      const archived = (queue: QueueName) =>
        sql.unsafe<ArchivedRow>(`SELECT msg_id, read_ct, enqueued_at, vt, message, archived_at FROM pgmq."a_${queue}" ORDER BY msg_id`)
      const [viaFunction, viaStatement] = [yield* archived(a), yield* archived(b)]
      const columns = (rows: ReadonlyArray<ArchivedRow>) => rows.map((r) => ({ read_ct: r.read_ct, message: r.message }))
      assert.deepStrictEqual(columns(viaStatement), columns(viaFunction).slice(0, 2))
      for (const [row, read] of viaStatement.map((r, i) => [r, readB[i]!] as const)) {
        assert.strictEqual(Number(row.msg_id), read.msgId)
        assert.strictEqual(row.enqueued_at.getTime(), read.enqueuedAt.getTime())
        assert.strictEqual(row.vt.getTime(), read.vt.getTime())
        assert.isTrue(row.archived_at.getTime() >= read.enqueuedAt.getTime())
      }
      // The fenced-out message stays in the queue, untouched.
      assert.deepStrictEqual((yield* pgmq.peek(b, 10)).map((m) => [m.msgId, m.readCt]), [[readB[2]!.msgId, readB[2]!.readCt]])

      // The ledger has the two keys, and a claim now reports their jobs as completed.
      const recorded = yield* ledger.completed(entries.map((e) => e.envelope))
      assert.strictEqual(recorded.size, 2)
      const again = yield* freshQueue("arch_again")
      yield* pgmq.sendBatch(again, [envelope(keys[0]), envelope(keys[2])])
      const claimed = yield* pgmq.readWithLedger(again, { visibilityTimeout: 30, quantity: 10 })
      assert.deepStrictEqual(claimed.map((r) => r.completed), [true, false])

      // A second completion of a recorded key is a duplicate: archived, not recorded again.
      const dup = claimed[0]!.message
      const second = yield* ledger.completeAndArchive(again, [{ envelope: entries[0]!.envelope, queue: again, msgId: dup.msgId, readCt: dup.readCt }])
      assert.strictEqual(second.get(dup.msgId), "duplicate")
      assert.lengthOf(yield* archived(again), 1)
      const rows = yield* sql<{ n: string }>`SELECT count(*)::text AS n FROM workers.job_ledger WHERE idempotency_key = ${keys[0]!}`
      assert.strictEqual(rows[0]!.n, "1")
    }))
})
