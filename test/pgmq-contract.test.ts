/**
 * The pgmq contract of /work/shared/pgmq-api.md, through the public SQL interface only: the
 * `pgmq.*` functions and the documented `pgmq.q_<name>` / `pgmq.a_<name>` tables. Every argument
 * is cast and every result column is selected by name, so the suite passes unchanged against the
 * real extension (TEST_DATABASE_URL pointing at a server with pgmq 1.4 / 1.5). The extension's
 * version is read only to skip, or adapt to, what an old version does not guarantee.
 */
import { SqlClient } from "@effect/sql"
import { assert, inject, layer } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit } from "effect"
import { randomBytes } from "node:crypto"
import { adminQuery, databaseUrl } from "./support/admin.js"
import * as TestDatabase from "./support/TestDatabase.js"

/** The real extension's version, or undefined when the server runs our compatible schema. */
const extensionVersion: ReadonlyArray<number> | undefined = await adminQuery(
  databaseUrl(inject("adminDatabaseUrl"), inject("templateDatabase")),
  "SELECT extversion FROM pg_extension WHERE extname = 'pgmq'"
).then((result) => {
  const version: unknown = result.rows[0]?.extversion
  return typeof version === "string" ? version.split(".").map(Number) : undefined
})

const atLeast = (...wanted: ReadonlyArray<number>) => {
  if (extensionVersion === undefined) return true
  for (let i = 0; i < wanted.length; i++) {
    const have = extensionVersion[i] ?? 0
    if (have !== wanted[i]) return have > wanted[i]!
  }
  return true
}

// pgmq 1.4.x-1.5.1 take no lock in create: concurrent creates of one queue can fail there.
const createIsSerialised = atLeast(1, 5, 2)
// pgmq <= 1.4.4 spins a CPU on a sub-second poll interval; the contract says use >= 1000 ms there.
const pollIntervalMs = atLeast(1, 4, 5) ? 100 : 1_000

interface Message {
  readonly msgId: number
  readonly readCt: number
  readonly enqueuedAt: Date
  readonly vt: Date
  readonly message: unknown
}

interface MessageRow {
  readonly msg_id: string
  readonly read_ct: number
  readonly enqueued_at: Date
  readonly vt: Date
  readonly message: unknown
}

interface Metrics {
  readonly queueName: string
  readonly queueLength: number
  readonly newestMsgAgeSec: number | null
  readonly oldestMsgAgeSec: number | null
  readonly totalMessages: number
  readonly scrapeTime: Date
}

interface MetricsRow {
  readonly queue_name: string
  readonly queue_length: string
  readonly newest_msg_age_sec: number | null
  readonly oldest_msg_age_sec: number | null
  readonly total_messages: string
  readonly scrape_time: Date
}

const toMessage = (row: MessageRow): Message => ({
  msgId: Number(row.msg_id),
  readCt: row.read_ct,
  enqueuedAt: row.enqueued_at,
  vt: row.vt,
  message: row.message
})

const toMetrics = (row: MetricsRow): Metrics => ({
  queueName: row.queue_name,
  queueLength: Number(row.queue_length),
  newestMsgAgeSec: row.newest_msg_age_sec,
  oldestMsgAgeSec: row.oldest_msg_age_sec,
  totalMessages: Number(row.total_messages),
  scrapeTime: row.scrape_time
})

const ids = (rows: ReadonlyArray<{ readonly msg_id: string }>) => rows.map((row) => Number(row.msg_id))
const sorted = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)
const uniqueQueue = (label: string) => `${label}_${randomBytes(4).toString("hex")}`

/** Each public pgmq function, called with cast arguments and read by column name. */
const Pgmq = Effect.map(SqlClient.SqlClient, (sql) => ({
  create: (queue: string) => sql`SELECT pgmq.create(${queue}::text)`.pipe(Effect.asVoid),
  dropQueue: (queue: string) =>
    Effect.map(sql<{ readonly dropped: boolean }>`SELECT pgmq.drop_queue(${queue}::text) AS dropped`, (rows) => rows[0]!.dropped),
  listQueues: sql<{
    readonly queue_name: string
    readonly is_partitioned: boolean
    readonly is_unlogged: boolean
    readonly created_at: Date
  }>`SELECT queue_name, is_partitioned, is_unlogged, created_at FROM pgmq.list_queues()`,
  send: (queue: string, message: unknown, delay = 0) =>
    Effect.map(
      sql<{ readonly msg_id: string }>`
        SELECT msg_id FROM pgmq.send(${queue}::text, ${JSON.stringify(message)}::jsonb, ${delay}::integer) AS t(msg_id)`,
      (rows) => ids(rows)[0]!
    ),
  sendBatch: (queue: string, messages: ReadonlyArray<unknown>, delay = 0) =>
    Effect.map(
      sql<{ readonly msg_id: string }>`
        SELECT msg_id FROM pgmq.send_batch(
          ${queue}::text, ${messages.map((message) => JSON.stringify(message))}::jsonb[], ${delay}::integer
        ) AS t(msg_id)`,
      ids
    ),
  read: (queue: string, vt: number, qty: number) =>
    Effect.map(
      sql<MessageRow>`
        SELECT msg_id, read_ct, enqueued_at, vt, message
        FROM pgmq.read(${queue}::text, ${vt}::integer, ${qty}::integer)`,
      (rows) => rows.map(toMessage)
    ),
  readWithPoll: (queue: string, vt: number, qty: number, maxPollSeconds: number, intervalMs: number) =>
    Effect.map(
      sql<MessageRow>`
        SELECT msg_id, read_ct, enqueued_at, vt, message
        FROM pgmq.read_with_poll(
          ${queue}::text, ${vt}::integer, ${qty}::integer, ${maxPollSeconds}::integer, ${intervalMs}::integer
        )`,
      (rows) => rows.map(toMessage)
    ),
  pop: (queue: string) =>
    Effect.map(
      sql<MessageRow>`SELECT msg_id, read_ct, enqueued_at, vt, message FROM pgmq.pop(${queue}::text)`,
      (rows) => rows.map(toMessage)
    ),
  deleteOne: (queue: string, msgId: number) =>
    Effect.map(
      sql<{ readonly deleted: boolean }>`SELECT pgmq.delete(${queue}::text, ${msgId}::bigint) AS deleted`,
      (rows) => rows[0]!.deleted
    ),
  deleteMany: (queue: string, msgIds: ReadonlyArray<number>) =>
    Effect.map(
      sql<{ readonly msg_id: string }>`
        SELECT msg_id FROM pgmq.delete(${queue}::text, ${msgIds}::bigint[]) AS t(msg_id)`,
      ids
    ),
  archiveOne: (queue: string, msgId: number) =>
    Effect.map(
      sql<{ readonly archived: boolean }>`SELECT pgmq.archive(${queue}::text, ${msgId}::bigint) AS archived`,
      (rows) => rows[0]!.archived
    ),
  archiveMany: (queue: string, msgIds: ReadonlyArray<number>) =>
    Effect.map(
      sql<{ readonly msg_id: string }>`
        SELECT msg_id FROM pgmq.archive(${queue}::text, ${msgIds}::bigint[]) AS t(msg_id)`,
      ids
    ),
  setVt: (queue: string, msgId: number, vt: number) =>
    Effect.map(
      sql<MessageRow>`
        SELECT msg_id, read_ct, enqueued_at, vt, message
        FROM pgmq.set_vt(${queue}::text, ${msgId}::bigint, ${vt}::integer)`,
      (rows) => rows.map(toMessage)
    ),
  purgeQueue: (queue: string) =>
    Effect.map(
      sql<{ readonly purged: string }>`SELECT pgmq.purge_queue(${queue}::text) AS purged`,
      (rows) => Number(rows[0]!.purged)
    ),
  metrics: (queue: string) =>
    Effect.map(
      sql<MetricsRow>`
        SELECT queue_name, queue_length, newest_msg_age_sec, oldest_msg_age_sec, total_messages, scrape_time
        FROM pgmq.metrics(${queue}::text)`,
      (rows) => toMetrics(rows[0]!)
    ),
  metricsAll: Effect.map(
    sql<MetricsRow>`
      SELECT queue_name, queue_length, newest_msg_age_sec, oldest_msg_age_sec, total_messages, scrape_time
      FROM pgmq.metrics_all()`,
    (rows) => rows.map(toMetrics)
  ),
  archived: (queue: string) =>
    sql<{
      readonly msg_id: string
      readonly read_ct: number
      readonly enqueued_at: Date
      readonly archived_at: Date
      readonly vt: Date
      readonly message: unknown
    }>`SELECT msg_id, read_ct, enqueued_at, archived_at, vt, message FROM pgmq.${sql(`a_${queue}`)} ORDER BY msg_id`,
  tableExists: (table: string) =>
    Effect.map(
      sql<{ readonly present: boolean }>`SELECT to_regclass(${`pgmq.${table}`}::text) IS NOT NULL AS present`,
      (rows) => rows[0]!.present
    )
}))

/** A queue of its own for one test, created through the contract. */
const freshQueue = (label: string) =>
  Effect.gen(function*() {
    const pgmq = yield* Pgmq
    const queue = uniqueQueue(label)
    yield* pgmq.create(queue)
    return queue
  })

// Long enough for a 1 s visibility timeout to lapse on the server.
const pastOneSecond = Effect.sleep("1200 millis")

// Live clock: the tests wait for real visibility timeouts on the server.
layer(TestDatabase.layer({ poolSize: 10 }), { excludeTestServices: true, timeout: "60 seconds" })(
  "pgmq contract",
  (it) => {
    it.effect("create makes both tables and is idempotent", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("create")
        assert.isTrue(yield* pgmq.tableExists(`q_${queue}`))
        assert.isTrue(yield* pgmq.tableExists(`a_${queue}`))
        const kept = yield* pgmq.send(queue, { keep: true })
        yield* pgmq.create(queue)
        assert.strictEqual((yield* pgmq.metrics(queue)).queueLength, 1)
        assert.deepStrictEqual((yield* pgmq.read(queue, 30, 10)).map((m) => m.msgId), [kept])
        const listed = (yield* pgmq.listQueues).map((row) => row.queue_name)
        assert.strictEqual(listed.filter((name) => name === queue).length, 1)
      }))

    it.effect.skipIf(!createIsSerialised)("8 concurrent creates of one queue all succeed", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const pgmq = yield* Pgmq
        // Eight open connections first, so that the creates really overlap.
        yield* Effect.all(Array.from({ length: 8 }, () => sql`SELECT pg_sleep(0.05)`), { concurrency: 8, discard: true })
        const queue = uniqueQueue("race")
        yield* Effect.all(Array.from({ length: 8 }, () => pgmq.create(queue)), { concurrency: 8, discard: true })
        const listed = (yield* pgmq.listQueues).map((row) => row.queue_name)
        assert.strictEqual(listed.filter((name) => name === queue).length, 1)
        assert.isNumber(yield* pgmq.send(queue, { ok: true }))
      }))

    it.effect("invalid queue names are refused", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const suffix = randomBytes(3).toString("hex")
        const invalid = [
          `long_${suffix}_${"x".repeat(48)}`.slice(0, 48),
          `dollar$${suffix}`,
          `semi;${suffix}`,
          `dash--${suffix}`,
          `quote'${suffix}`
        ]
        for (const name of invalid) {
          const error = yield* Effect.flip(pgmq.create(name))
          assert.strictEqual(error._tag, "SqlError", name)
        }
        const listed = (yield* pgmq.listQueues).map((row) => row.queue_name)
        for (const name of invalid) assert.notInclude(listed, name)

        const longest = `l${suffix}_${"x".repeat(47)}`.slice(0, 47)
        yield* pgmq.create(longest)
        assert.isNumber(yield* pgmq.send(longest, { at: "limit" }))
        assert.isTrue(yield* pgmq.dropQueue(longest))
      }))

    it.effect("read hides a message for vt seconds, and read_ct counts deliveries", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("vt")
        const msgId = yield* pgmq.send(queue, { hello: "world", n: 1 })

        const [first, ...restFirst] = yield* pgmq.read(queue, 1, 10)
        assert.deepStrictEqual(restFirst, [])
        assert.strictEqual(first!.msgId, msgId)
        assert.strictEqual(first!.readCt, 1)
        assert.deepStrictEqual(first!.message, { hello: "world", n: 1 })
        assert.isTrue(first!.vt.getTime() > first!.enqueuedAt.getTime())

        assert.deepStrictEqual(yield* pgmq.read(queue, 1, 10), [])
        yield* pastOneSecond
        const [second, ...restSecond] = yield* pgmq.read(queue, 30, 10)
        assert.deepStrictEqual(restSecond, [])
        assert.strictEqual(second!.msgId, msgId)
        assert.strictEqual(second!.readCt, 2)
        assert.deepStrictEqual(yield* pgmq.read(queue, 30, 10), [])
      }))

    it.effect("send with a delay keeps the message invisible until the delay has passed", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("delay")
        const msgId = yield* pgmq.send(queue, { later: true }, 1)
        assert.deepStrictEqual(yield* pgmq.read(queue, 30, 10), [])
        assert.strictEqual((yield* pgmq.metrics(queue)).queueLength, 1)
        yield* pastOneSecond
        const taken = yield* pgmq.read(queue, 30, 10)
        assert.deepStrictEqual(taken.map((m) => [m.msgId, m.readCt]), [[msgId, 1]])
      }))

    it.effect("send_batch returns the new ids in input order", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("batch")
        const messages = Array.from({ length: 7 }, (_, i) => ({ i }))
        const sent = yield* pgmq.sendBatch(queue, messages)
        assert.strictEqual(sent.length, 7)
        assert.deepStrictEqual(sent, sorted(sent))
        assert.strictEqual(new Set(sent).size, 7)
        const taken = yield* pgmq.read(queue, 30, 10)
        const byId = new Map(taken.map((m) => [m.msgId, m.message]))
        sent.forEach((msgId, i) => assert.deepStrictEqual(byId.get(msgId), { i }))

        const delayed = yield* freshQueue("batch_delay")
        assert.strictEqual((yield* pgmq.sendBatch(delayed, [{ a: 1 }, { a: 2 }], 30)).length, 2)
        assert.deepStrictEqual(yield* pgmq.read(delayed, 30, 10), [])
      }))

    it.effect("read takes at most qty messages, lowest msg_id first", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("order")
        const sent: Array<number> = []
        for (let i = 0; i < 5; i++) sent.push(yield* pgmq.send(queue, { i }))
        const first = yield* pgmq.read(queue, 30, 2)
        assert.deepStrictEqual(sorted(first.map((m) => m.msgId)), sent.slice(0, 2))
        const rest = yield* pgmq.read(queue, 30, 10)
        assert.deepStrictEqual(sorted(rest.map((m) => m.msgId)), sent.slice(2))
        assert.deepStrictEqual(yield* pgmq.read(queue, 30, 10), [])
      }))

    it.effect("set_vt 0 hands a message back at once; a later vt hides it", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("setvt")
        const msgId = yield* pgmq.send(queue, { lease: 1 })
        assert.strictEqual((yield* pgmq.read(queue, 30, 1))[0]!.msgId, msgId)
        assert.deepStrictEqual(yield* pgmq.read(queue, 30, 1), [])

        const released = yield* pgmq.setVt(queue, msgId, 0)
        assert.deepStrictEqual(released.map((m) => [m.msgId, m.readCt]), [[msgId, 1]])
        const again = yield* pgmq.read(queue, 30, 1)
        assert.deepStrictEqual(again.map((m) => [m.msgId, m.readCt]), [[msgId, 2]])

        yield* pgmq.setVt(queue, msgId, 0)
        const hidden = yield* pgmq.setVt(queue, msgId, 1)
        assert.isTrue(hidden[0]!.vt.getTime() > Date.now() - 1000)
        assert.deepStrictEqual(yield* pgmq.read(queue, 30, 1), [])
        yield* pastOneSecond
        const later = yield* pgmq.read(queue, 30, 1)
        assert.deepStrictEqual(later.map((m) => [m.msgId, m.readCt]), [[msgId, 3]])

        assert.deepStrictEqual(yield* pgmq.setVt(queue, msgId + 1_000_000, 0), [])
      }))

    it.effect("delete: one (false when absent) and many (only the ids that existed)", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("delete")
        const [a, b, c] = yield* pgmq.sendBatch(queue, [{ n: 1 }, { n: 2 }, { n: 3 }])
        assert.isTrue(yield* pgmq.deleteOne(queue, a!))
        assert.isFalse(yield* pgmq.deleteOne(queue, a!))
        const deleted = yield* pgmq.deleteMany(queue, [b!, a!, c! + 1_000_000, c!])
        assert.deepStrictEqual(sorted(deleted), [b!, c!])
        assert.deepStrictEqual(yield* pgmq.deleteMany(queue, [a!, b!]), [])
        assert.strictEqual((yield* pgmq.metrics(queue)).queueLength, 0)
        assert.deepStrictEqual(yield* pgmq.archived(queue), [])
      }))

    it.effect("archive: one and many move rows to a_<queue> with archived_at, read_ct and message", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("archive")
        const [a, b, c] = yield* pgmq.sendBatch(queue, [{ n: 1 }, { n: 2 }, { n: 3 }])
        assert.strictEqual((yield* pgmq.read(queue, 30, 1))[0]!.msgId, a)
        assert.isTrue(yield* pgmq.archiveOne(queue, a!))
        assert.isFalse(yield* pgmq.archiveOne(queue, a!))
        const archived = yield* pgmq.archiveMany(queue, [c!, a!, c! + 1_000_000, b!])
        assert.deepStrictEqual(sorted(archived), [b!, c!])
        assert.deepStrictEqual(yield* pgmq.archiveMany(queue, [a!]), [])
        assert.strictEqual((yield* pgmq.metrics(queue)).queueLength, 0)

        const rows = yield* pgmq.archived(queue)
        assert.deepStrictEqual(
          rows.map((row) => [Number(row.msg_id), row.read_ct, row.message]),
          [[a!, 1, { n: 1 }], [b!, 0, { n: 2 }], [c!, 0, { n: 3 }]]
        )
        for (const row of rows) {
          assert.instanceOf(row.archived_at, Date)
          assert.isTrue(row.archived_at.getTime() >= row.enqueued_at.getTime())
        }
      }))

    it.effect("pop reads and deletes the lowest visible message", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("pop")
        const [a, b] = yield* pgmq.sendBatch(queue, [{ p: 1 }, { p: 2 }])
        const popped = yield* pgmq.pop(queue)
        assert.deepStrictEqual(popped.map((m) => [m.msgId, m.message]), [[a!, { p: 1 }]])
        assert.strictEqual((yield* pgmq.metrics(queue)).queueLength, 1)
        assert.strictEqual((yield* pgmq.read(queue, 30, 1))[0]!.msgId, b)
        assert.deepStrictEqual(yield* pgmq.pop(queue), [])
        yield* pgmq.setVt(queue, b!, 0)
        assert.deepStrictEqual((yield* pgmq.pop(queue)).map((m) => m.msgId), [b!])
        assert.deepStrictEqual(yield* pgmq.pop(queue), [])
        assert.deepStrictEqual(yield* pgmq.archived(queue), [])
      }))

    it.effect("purge_queue deletes every message, visible or not, and returns the count", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("purge")
        yield* pgmq.sendBatch(queue, [{ x: 1 }, { x: 2 }, { x: 3 }, { x: 4 }])
        yield* pgmq.read(queue, 30, 2)
        assert.strictEqual(yield* pgmq.purgeQueue(queue), 4)
        assert.strictEqual((yield* pgmq.metrics(queue)).queueLength, 0)
        assert.strictEqual(yield* pgmq.purgeQueue(queue), 0)
      }))

    it.effect("metrics: empty queue, after sends, after deletes", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("metrics")
        const empty = yield* pgmq.metrics(queue)
        assert.strictEqual(empty.queueName, queue)
        assert.strictEqual(empty.queueLength, 0)
        assert.isNull(empty.newestMsgAgeSec)
        assert.isNull(empty.oldestMsgAgeSec)
        assert.strictEqual(empty.totalMessages, 0)
        assert.instanceOf(empty.scrapeTime, Date)

        const [a, b] = yield* pgmq.sendBatch(queue, [{ m: 1 }, { m: 2 }])
        yield* pgmq.send(queue, { m: 3 }, 30)
        const full = yield* pgmq.metrics(queue)
        assert.strictEqual(full.queueLength, 3)
        assert.strictEqual(full.totalMessages, 3)
        assert.isNotNull(full.newestMsgAgeSec)
        assert.isNotNull(full.oldestMsgAgeSec)
        assert.isAtLeast(full.newestMsgAgeSec!, 0)
        assert.isAtLeast(full.oldestMsgAgeSec!, full.newestMsgAgeSec!)
        assert.isAtMost(full.oldestMsgAgeSec!, 60)

        yield* pgmq.deleteMany(queue, [a!, b!])
        const afterDelete = yield* pgmq.metrics(queue)
        assert.strictEqual(afterDelete.queueLength, 1)
        assert.strictEqual(afterDelete.totalMessages, 3)

        yield* pgmq.purgeQueue(queue)
        const purged = yield* pgmq.metrics(queue)
        assert.strictEqual(purged.queueLength, 0)
        assert.strictEqual(purged.totalMessages, 3)
        assert.isNull(purged.newestMsgAgeSec)
        assert.isNull(purged.oldestMsgAgeSec)
      }))

    it.effect("list_queues and metrics_all cover every queue", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const one = yield* freshQueue("all_one")
        const two = yield* freshQueue("all_two")
        yield* pgmq.sendBatch(two, [{ t: 1 }, { t: 2 }])

        const listed = yield* pgmq.listQueues
        const names = listed.map((row) => row.queue_name)
        assert.includeMembers(names, [one, two])
        const row = listed.find((r) => r.queue_name === two)!
        assert.isFalse(row.is_partitioned)
        assert.isFalse(row.is_unlogged)
        assert.instanceOf(row.created_at, Date)

        const all = yield* pgmq.metricsAll
        assert.sameMembers(all.map((m) => m.queueName), names)
        const ofTwo = all.find((m) => m.queueName === two)!
        assert.strictEqual(ofTwo.queueLength, 2)
        assert.strictEqual(ofTwo.totalMessages, 2)
        assert.strictEqual(all.find((m) => m.queueName === one)!.queueLength, 0)
      }))

    it.effect("drop_queue removes the queue, both tables and its list entry", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("drop")
        yield* pgmq.send(queue, { doomed: true })
        assert.isTrue(yield* pgmq.dropQueue(queue))
        assert.notInclude((yield* pgmq.listQueues).map((row) => row.queue_name), queue)
        assert.isFalse(yield* pgmq.tableExists(`q_${queue}`))
        assert.isFalse(yield* pgmq.tableExists(`a_${queue}`))
        assert.isTrue(Exit.isFailure(yield* Effect.exit(pgmq.send(queue, { gone: true }))))
      }))

    it.effect("read_with_poll returns as soon as a message becomes visible", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("poll")
        const [[elapsed, taken], msgId] = yield* Effect.all([
          Effect.timed(pgmq.readWithPoll(queue, 30, 5, 5, pollIntervalMs)),
          Effect.sleep("300 millis").pipe(Effect.zipRight(pgmq.send(queue, { polled: true })))
        ], { concurrency: 2 })
        assert.deepStrictEqual(taken.map((m) => [m.msgId, m.readCt]), [[msgId, 1]])
        assert.isAtLeast(Duration.toMillis(elapsed), 250)
        assert.isBelow(Duration.toMillis(elapsed), 2_000)
      }))

    it.effect("read_with_poll returns nothing after max_poll_seconds", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("poll_empty")
        const [elapsed, taken] = yield* Effect.timed(pgmq.readWithPoll(queue, 30, 5, 1, pollIntervalMs))
        assert.deepStrictEqual(taken, [])
        assert.isAtLeast(Duration.toMillis(elapsed), 900)
        assert.isBelow(Duration.toMillis(elapsed), 3_000)
      }))

    it.effect("read and ack in one transaction: other readers skip the row, a rollback undoes both", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("atomic")
        const [a, b] = yield* pgmq.sendBatch(queue, [{ job: "a" }, { job: "b" }])

        const taken = yield* Deferred.make<void>()
        const othersDone = yield* Deferred.make<void>()
        const [inTransaction, byOther] = yield* Effect.all([
          sql.withTransaction(Effect.gen(function*() {
            const [message] = yield* pgmq.read(queue, 30, 1)
            yield* Deferred.succeed(taken, undefined)
            yield* Deferred.await(othersDone)
            assert.isTrue(yield* pgmq.deleteOne(queue, message!.msgId))
            return message!.msgId
          })),
          Deferred.await(taken).pipe(
            Effect.zipRight(pgmq.read(queue, 30, 10).pipe(Effect.timeout("5 seconds"))),
            Effect.ensuring(Deferred.succeed(othersDone, undefined))
          )
        ], { concurrency: 2 })
        assert.strictEqual(inTransaction, a)
        assert.deepStrictEqual(byOther.map((m) => m.msgId), [b!])
        assert.strictEqual((yield* pgmq.metrics(queue)).queueLength, 1)

        yield* pgmq.setVt(queue, b!, 0)
        const rolledBack = yield* Effect.exit(sql.withTransaction(Effect.gen(function*() {
          const [message] = yield* pgmq.read(queue, 30, 1)
          assert.isTrue(yield* pgmq.archiveOne(queue, message!.msgId))
          return yield* Effect.fail("handler failed" as const)
        })))
        assert.isTrue(Exit.isFailure(rolledBack))
        const redelivered = yield* pgmq.read(queue, 30, 1)
        assert.deepStrictEqual(redelivered.map((m) => [m.msgId, m.readCt]), [[b!, 2]])
        assert.deepStrictEqual(yield* pgmq.archived(queue), [])
      }))

    it.effect("send inside a transaction enqueues only if the transaction commits", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("txsend")
        const failed = yield* Effect.exit(sql.withTransaction(
          pgmq.send(queue, { never: true }).pipe(Effect.zipRight(Effect.fail("rolled back" as const)))
        ))
        assert.isTrue(Exit.isFailure(failed))
        assert.strictEqual((yield* pgmq.metrics(queue)).queueLength, 0)
        const committed = yield* sql.withTransaction(pgmq.send(queue, { once: true }))
        assert.deepStrictEqual((yield* pgmq.read(queue, 30, 10)).map((m) => m.msgId), [committed])
      }))

    it.effect("4 concurrent readers take each of 2,000 messages exactly once", () =>
      Effect.gen(function*() {
        const pgmq = yield* Pgmq
        const queue = yield* freshQueue("readers")
        const sent = yield* pgmq.sendBatch(queue, Array.from({ length: 2_000 }, (_, i) => ({ i })))
        assert.strictEqual(sent.length, 2_000)

        const reader = Effect.gen(function*() {
          const taken: Array<number> = []
          while (true) {
            const batch = yield* pgmq.read(queue, 30, 50)
            if (batch.length === 0) return taken
            const batchIds = batch.map((m) => m.msgId)
            const archived = yield* pgmq.archiveMany(queue, batchIds)
            assert.deepStrictEqual(sorted(archived), sorted(batchIds))
            taken.push(...batchIds)
          }
        })
        const perReader = yield* Effect.all(Array.from({ length: 4 }, () => reader), { concurrency: 4 })

        const all = perReader.flat()
        assert.strictEqual(all.length, 2_000)
        assert.strictEqual(new Set(all).size, 2_000)
        assert.deepStrictEqual(sorted(all), sorted(sent))
        const rows = yield* pgmq.archived(queue)
        assert.deepStrictEqual(rows.map((row) => Number(row.msg_id)), sorted(sent))
        assert.isTrue(rows.every((row) => row.read_ct === 1))
        assert.strictEqual((yield* pgmq.metrics(queue)).queueLength, 0)
      }))
  }
)
