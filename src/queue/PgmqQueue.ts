import { SqlClient, type SqlError, type Statement } from "@effect/sql"
import { Clock, Duration, Effect, Option, Schema } from "effect"
import type { QueueName } from "./QueueName.js"

/** pgmq returns bigint columns as decimal strings through node-postgres. */
const Count = Schema.Union(Schema.Int, Schema.NumberFromString.pipe(Schema.int()))

export const MessageId = Count.pipe(Schema.brand("MessageId"))
export type MessageId = typeof MessageId.Type

export class QueueMessage extends Schema.Class<QueueMessage>("QueueMessage")({
  msgId: Schema.propertySignature(MessageId).pipe(Schema.fromKey("msg_id")),
  /** Deliveries so far, this one included. */
  readCt: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("read_ct")),
  enqueuedAt: Schema.propertySignature(Schema.DateFromSelf).pipe(Schema.fromKey("enqueued_at")),
  /** Until when the message stays invisible to other readers. */
  vt: Schema.DateFromSelf,
  message: Schema.Unknown
}) {}

export class QueueMetrics extends Schema.Class<QueueMetrics>("QueueMetrics")({
  queueName: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("queue_name")),
  /** Messages in the queue table, visible or not. */
  queueLength: Schema.propertySignature(Count).pipe(Schema.fromKey("queue_length")),
  newestMsgAgeSec: Schema.propertySignature(Schema.NullOr(Schema.Number)).pipe(Schema.fromKey("newest_msg_age_sec")),
  oldestMsgAgeSec: Schema.propertySignature(Schema.NullOr(Schema.Number)).pipe(Schema.fromKey("oldest_msg_age_sec")),
  /** Messages ever sent. */
  totalMessages: Schema.propertySignature(Count).pipe(Schema.fromKey("total_messages")),
  scrapeTime: Schema.propertySignature(Schema.DateFromSelf).pipe(Schema.fromKey("scrape_time"))
}) {}

export class QueueInfo extends Schema.Class<QueueInfo>("QueueInfo")({
  queueName: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("queue_name")),
  isPartitioned: Schema.propertySignature(Schema.Boolean).pipe(Schema.fromKey("is_partitioned")),
  isUnlogged: Schema.propertySignature(Schema.Boolean).pipe(Schema.fromKey("is_unlogged")),
  createdAt: Schema.propertySignature(Schema.DateFromSelf).pipe(Schema.fromKey("created_at"))
}) {}

export interface ReadOptions {
  /** Seconds the taken messages stay invisible to other readers. */
  readonly visibilityTimeout: number
  readonly quantity: number
}

export interface PollOptions extends ReadOptions {
  readonly maxPollSeconds: number
  readonly pollIntervalMs: number
}

/** How an idle worker waits on the server (`awaitMessages`). */
export interface AwaitOptions {
  /** Return after this long whatever happened. */
  readonly maxWaitMs: number
  /** How often the queues' sequences are compared with `seen` (new sends). */
  readonly probeEveryMs: number
  /** How often the queues are checked for a visible message (retries, delayed sends, expired leases). */
  readonly visibleEveryMs: number
}

/** Which stored messages `find`, `findArchived` and `count` return; every condition must hold. */
export interface MessageFilter {
  readonly msgIds?: ReadonlyArray<MessageId>
  /** JSON containment (`message @> contains`), e.g. `{ reason: "invalid_envelope" }`. */
  readonly contains?: Readonly<Record<string, unknown>>
  readonly enqueuedFrom?: Date
  readonly enqueuedBefore?: Date
  /** Only messages after this id in the chosen order (a cursor). */
  readonly after?: MessageId
  readonly newestFirst?: boolean
  readonly limit?: number
  /**
   * `FOR UPDATE` on the queue table until the ambient transaction ends: `wait` for rows others
   * hold, or `skip` them.
   */
  readonly lock?: "wait" | "skip"
}

export class ArchivedMessage extends Schema.Class<ArchivedMessage>("ArchivedMessage")({
  msgId: Schema.propertySignature(MessageId).pipe(Schema.fromKey("msg_id")),
  readCt: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("read_ct")),
  enqueuedAt: Schema.propertySignature(Schema.DateFromSelf).pipe(Schema.fromKey("enqueued_at")),
  archivedAt: Schema.propertySignature(Schema.DateFromSelf).pipe(Schema.fromKey("archived_at")),
  vt: Schema.DateFromSelf,
  message: Schema.Unknown
}) {}

export interface SendOptions {
  /** Seconds before the message becomes visible. */
  readonly delaySeconds?: number
}

const FIRST_FIXED_READ_WITH_POLL = [1, 4, 5] as const

/** pgmq ≤ 1.4.4 spins a server CPU in read_with_poll with sub-second intervals (integer division). */
export const hasSpinningReadWithPoll = (version: string) => {
  const parts = version.split(".").map((part) => Number.parseInt(part, 10) || 0)
  for (let i = 0; i < FIRST_FIXED_READ_WITH_POLL.length; i++) {
    const part = parts[i] ?? 0
    if (part !== FIRST_FIXED_READ_WITH_POLL[i]) return part < FIRST_FIXED_READ_WITH_POLL[i]!
  }
  return false
}

/** `read_with_poll` done from the client: read, sleep `pollIntervalMs`, until rows or `maxPollSeconds`. */
export const pollByReading = <E>(
  read: (queue: QueueName, options: ReadOptions) => Effect.Effect<ReadonlyArray<QueueMessage>, E>,
  queue: QueueName,
  options: PollOptions
) =>
  Effect.gen(function*() {
    // On the monotonic clock: a step of the wall clock must not stretch or cut a poll.
    const monotonicMillis = Effect.map(Clock.currentTimeNanos, (nanos) => Number(nanos / 1_000_000n))
    const deadline = (yield* monotonicMillis) + options.maxPollSeconds * 1000
    while (true) {
      const batch = yield* read(queue, options)
      const now = yield* monotonicMillis
      if (batch.length > 0 || now >= deadline) return batch
      yield* Effect.sleep(Duration.millis(Math.min(options.pollIntervalMs, deadline - now)))
    }
  })

/**
 * The call `pgmq.send(queue, message, delay)` as a fragment of a caller's statement: a send that
 * commits or rolls back with the statement's other writes, in one round trip. It evaluates to
 * the new message's id (a bigint).
 */
export const sendCall = (
  sql: SqlClient.SqlClient,
  queue: QueueName,
  message: unknown,
  options?: SendOptions
): Statement.Fragment => {
  const delay = options?.delaySeconds ?? 0
  // A message visible at once also wakes the workers listening (delivered only if it commits).
  return delay > 0
    ? sql`pgmq.send(${queue}::text, ${JSON.stringify(message)}::jsonb, ${delay}::integer)`
    : sql`(SELECT s.id FROM pgmq.send(${queue}::text, ${JSON.stringify(message)}::jsonb, 0::integer) AS s(id), ${notifyCall(sql, queue)})`
}

/**
 * The channel our senders notify, in the sending transaction, with the queue's name as payload:
 * Postgres delivers it when (and only if) the send commits (see JobNotifications).
 */
export const CHANNEL = "dragonfly_jobs"

/** `pg_notify` of the job channel for `queue`, as a FROM item (one row). */
export const notifyCall = (sql: SqlClient.SqlClient, queue: QueueName): Statement.Fragment =>
  sql`pg_notify(${CHANNEL}::text, ${queue}::text)`

const MESSAGE_COLUMNS = "msg_id, read_ct, enqueued_at, vt, message"
const UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
const METRICS_COLUMNS = "queue_name, queue_length, newest_msg_age_sec, oldest_msg_age_sec, total_messages, scrape_time"

const decodeMessages = Schema.decodeUnknown(Schema.Array(QueueMessage))
const decodeMetrics = Schema.decodeUnknown(Schema.Array(QueueMetrics))
const decodeQueues = Schema.decodeUnknown(Schema.Array(QueueInfo))
const decodeIds = Schema.decodeUnknown(Schema.Array(Schema.Struct({ id: MessageId })))
const decodeArchived = Schema.decodeUnknown(Schema.Array(ArchivedMessage))

interface ClaimRow {
  readonly msg_id: string
  readonly read_ct: number
  /** Epoch milliseconds: a float parses far faster than a timestamp's text, for every message read. */
  readonly enqueued_ms: number
  readonly vt_ms: number
  readonly message: unknown
  readonly completed: boolean
}

const claimStatements = new Map<QueueName, string>()

/** pgmq.read (1.4–1.5.1 and our compatible schema) on `pgmq.q_<queue>`, joined with the ledger. */
const claimStatement = (queue: QueueName) => {
  let text = claimStatements.get(queue)
  if (text === undefined) {
    const table = `pgmq."q_${queue}"`
    text = `WITH ready AS (
        SELECT msg_id FROM ${table} WHERE vt <= clock_timestamp() ORDER BY msg_id LIMIT $1 FOR UPDATE SKIP LOCKED
      ), taken AS (
        UPDATE ${table} q SET vt = clock_timestamp() + make_interval(secs => $2::integer), read_ct = q.read_ct + 1
        FROM ready WHERE q.msg_id = ready.msg_id
        RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message
      )
      SELECT t.msg_id, t.read_ct, (extract(epoch FROM t.enqueued_at) * 1000)::float8 AS enqueued_ms,
        (extract(epoch FROM t.vt) * 1000)::float8 AS vt_ms, t.message, c.done IS NOT NULL AS completed
      FROM taken t
      -- LATERAL … LIMIT 1 keeps this an index probe per message; a plain EXISTS may hash the ledger.
      LEFT JOIN LATERAL (
        SELECT true AS done FROM workers.job_ledger l
        WHERE l.org_id = CASE WHEN t.message->>'org_id' ~* '${UUID_PATTERN}' THEN (t.message->>'org_id')::uuid END
          AND l.idempotency_key = t.message->>'idempotency_key'
        LIMIT 1
      ) c ON true
      ORDER BY t.msg_id`
    claimStatements.set(queue, text)
  }
  return text
}

const claimed = (row: ClaimRow) => ({
  message: new QueueMessage({
    msgId: Number(row.msg_id) as MessageId,
    readCt: row.read_ct,
    enqueuedAt: new Date(row.enqueued_ms),
    vt: new Date(row.vt_ms),
    message: row.message
  }, true),
  completed: row.completed
})

/**
 * The one place that speaks pgmq SQL. Works the same on the pgmq extension (1.4+) and on our
 * compatible schema. Every call runs on the ambient transaction when there is one, so a send or an
 * archive can commit together with a handler's writes. Rows that do not match the contract are
 * defects; database failures stay typed (`SqlError`) for callers that retry.
 */
export class PgmqQueue extends Effect.Service<PgmqQueue>()("queue/PgmqQueue", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const extension = yield* sql<{ readonly extversion: string }>`
      SELECT extversion FROM pg_extension WHERE extname = 'pgmq'`.pipe(Effect.orDie)
    const pollOnServer = Option.match(Option.fromNullable(extension[0]?.extversion), {
      onNone: () => true,
      onSome: (version) => !hasSpinningReadWithPoll(version)
    })

    const ids = (rows: ReadonlyArray<unknown>) =>
      Effect.map(Effect.orDie(decodeIds(rows)), (decoded) => decoded.map((row) => row.id))
    const messages = (rows: ReadonlyArray<unknown>) => Effect.orDie(decodeMessages(rows))
    const single = <A>(rows: ReadonlyArray<A>) => Option.fromNullable(rows[0])

    const send = Effect.fn("PgmqQueue.send")(function*(queue: QueueName, message: unknown, options?: SendOptions) {
      const rows = yield* sql`SELECT ${sendCall(sql, queue, message, options)} AS id`
      return (yield* ids(rows))[0]!
    })

    const sendBatch = Effect.fn("PgmqQueue.sendBatch")(
      function*(queue: QueueName, batch: ReadonlyArray<unknown>, options?: SendOptions) {
        if (batch.length === 0) return []
        const delay = options?.delaySeconds ?? 0
        const rows = yield* sql`SELECT s.id FROM pgmq.send_batch(${queue}::text, ${
          batch.map((message) => JSON.stringify(message))
        }::jsonb[], ${delay}::integer) AS s(id)${delay > 0 ? sql`` : sql`, ${notifyCall(sql, queue)}`}`
        return yield* ids(rows)
      }
    )

    const read = Effect.fn("PgmqQueue.read")(function*(queue: QueueName, options: ReadOptions) {
      return yield* messages(
        yield* sql.unsafe(`SELECT ${MESSAGE_COLUMNS} FROM pgmq.read($1::text, $2::integer, $3::integer)`, [
          queue,
          options.visibilityTimeout,
          options.quantity
        ])
      )
    })

    /**
     * `read`, and for each message whether its job is already completed: its envelope's
     * (org_id, idempotency_key) is in the runtime's ledger (workers.job_ledger). The worker's hot
     * path, so it is pgmq.read's own statement on the queue table (pgmq-api.md "Storage"), text
     * fixed per queue, rather than the function's SQL built on every call; the contract suite pins
     * that the two take the same messages. Rows are mapped by hand: the columns are ours.
     */
    const readWithLedger = Effect.fnUntraced(function*(queue: QueueName, options: ReadOptions) {
      const rows = yield* sql.unsafe<ClaimRow>(claimStatement(queue), [options.quantity, options.visibilityTimeout])
      return rows.map(claimed)
    })

    /** Waits up to `maxPollSeconds` for a message, returning as soon as one is visible. */
    const readWithPoll = Effect.fn("PgmqQueue.readWithPoll")(function*(queue: QueueName, options: PollOptions) {
      if (!pollOnServer && options.pollIntervalMs < 1000) return yield* pollByReading(read, queue, options)
      return yield* messages(
        yield* sql.unsafe(
          `SELECT ${MESSAGE_COLUMNS} FROM pgmq.read_with_poll($1::text, $2::integer, $3::integer, $4::integer, $5::integer)`,
          [queue, options.visibilityTimeout, options.quantity, options.maxPollSeconds, options.pollIntervalMs]
        )
      )
    })

    /**
     * Waits on the server until one of `queues` may have a message to read (a send since `seen`,
     * or a visible message) or `maxWaitMs` passed, in one statement: see migration 0013. Returns
     * what to pass as `seen` next time; without `seen` it returns at once.
     */
    const awaitMessages = Effect.fn("PgmqQueue.awaitMessages")(
      function*(queues: ReadonlyArray<QueueName>, seen: ReadonlyArray<string> | undefined, options: AwaitOptions) {
        const rows = yield* sql.unsafe<{ readonly current: ReadonlyArray<string> }>(
          "SELECT workers.await_messages($1::text[], $2::bigint[], $3::integer, $4::integer, $5::integer) AS current",
          [queues, seen ?? null, options.maxWaitMs, options.probeEveryMs, options.visibleEveryMs]
        )
        return rows[0]!.current
      }
    )

    const deleteOne = Effect.fn("PgmqQueue.delete")(function*(queue: QueueName, msgId: MessageId) {
      const rows = yield* sql<{ readonly deleted: boolean }>`
        SELECT pgmq.delete(${queue}::text, ${msgId}::bigint) AS deleted`
      return rows[0]?.deleted === true
    })

    const deleteBatch = Effect.fn("PgmqQueue.deleteBatch")(
      function*(queue: QueueName, msgIds: ReadonlyArray<MessageId>) {
        if (msgIds.length === 0) return []
        return yield* ids(yield* sql`SELECT pgmq.delete(${queue}::text, ${msgIds}::bigint[]) AS id`)
      }
    )

    const archive = Effect.fn("PgmqQueue.archive")(function*(queue: QueueName, msgId: MessageId) {
      const rows = yield* sql<{ readonly archived: boolean }>`
        SELECT pgmq.archive(${queue}::text, ${msgId}::bigint) AS archived`
      return rows[0]?.archived === true
    })

    const archiveBatch = Effect.fn("PgmqQueue.archiveBatch")(
      function*(queue: QueueName, msgIds: ReadonlyArray<MessageId>) {
        if (msgIds.length === 0) return []
        return yield* ids(yield* sql`SELECT pgmq.archive(${queue}::text, ${msgIds}::bigint[]) AS id`)
      }
    )

    /** Visible again after `seconds` (0 = now); none when the message is gone. */
    const setVt = Effect.fn("PgmqQueue.setVt")(function*(queue: QueueName, msgId: MessageId, seconds: number) {
      const rows = yield* sql.unsafe(
        `SELECT ${MESSAGE_COLUMNS} FROM pgmq.set_vt($1::text, $2::bigint, $3::integer)`,
        [queue, msgId, seconds]
      )
      return single(yield* messages(rows))
    })

    const metrics = Effect.fn("PgmqQueue.metrics")(function*(queue: QueueName) {
      const rows = yield* sql.unsafe(`SELECT ${METRICS_COLUMNS} FROM pgmq.metrics($1::text)`, [queue])
      return (yield* Effect.orDie(decodeMetrics(rows)))[0]!
    })

    const metricsAll = Effect.fn("PgmqQueue.metricsAll")(function*() {
      const rows = yield* sql.unsafe(`SELECT ${METRICS_COLUMNS} FROM pgmq.metrics_all() ORDER BY queue_name`)
      return yield* Effect.orDie(decodeMetrics(rows))
    })

    const listQueues = Effect.fn("PgmqQueue.listQueues")(function*() {
      const rows = yield* sql.unsafe(
        `SELECT queue_name, is_partitioned, is_unlogged, created_at FROM pgmq.list_queues() ORDER BY queue_name`
      )
      return yield* Effect.orDie(decodeQueues(rows))
    })

    /** Idempotent: creating an existing queue changes nothing. */
    const create = Effect.fn("PgmqQueue.create")(function*(queue: QueueName) {
      yield* sql`SELECT pgmq.create(${queue}::text)`
    })

    /** Deletes every message; returns how many. */
    const purge = Effect.fn("PgmqQueue.purge")(function*(queue: QueueName) {
      const rows = yield* sql<{ readonly purged: string | number }>`
        SELECT pgmq.purge_queue(${queue}::text) AS purged`
      return Number(rows[0]?.purged ?? 0)
    })

    // The two fenced operations below work on the queue table itself (pgmq-api.md "Storage"):
    // pgmq has no call that acts only while a given delivery (read_ct) is still the current one.
    const table = (queue: QueueName) => sql(`pgmq.q_${queue}`)

    /**
     * Locks the given messages until the ambient transaction ends and returns the delivery count
     * of each one still in the queue. A delivery whose count changed was re-read by someone else.
     */
    const lockDeliveries = Effect.fn("PgmqQueue.lockDeliveries")(
      function*(queue: QueueName, msgIds: ReadonlyArray<MessageId>) {
        if (msgIds.length === 0) return new Map<MessageId, number>()
        const rows = yield* sql<{ readonly msg_id: string; readonly read_ct: number }>`
          SELECT msg_id, read_ct FROM ${table(queue)}
          WHERE msg_id = ANY(${msgIds}::bigint[]) ORDER BY msg_id FOR UPDATE`
        return new Map(rows.map((row) => [Number(row.msg_id) as MessageId, row.read_ct]))
      }
    )

    /** `setVt`, but only while `readCt` is still the message's delivery count; false otherwise. */
    const setVtIfDelivery = Effect.fn("PgmqQueue.setVtIfDelivery")(
      function*(queue: QueueName, msgId: MessageId, readCt: number, seconds: number) {
        const rows = yield* sql`
          UPDATE ${table(queue)} SET vt = clock_timestamp() + make_interval(secs => ${seconds}::integer)
          WHERE msg_id = ${msgId}::bigint AND read_ct = ${readCt}::integer
          RETURNING msg_id`
        return rows.length === 1
      }
    )

    /**
     * Extends the leases of the given deliveries by `seconds` from now, one statement per queue.
     * A message locked by someone (its settling transaction, say) is skipped this time, not waited
     * for. `lost`: deliveries whose message now has another delivery count (re-read by someone else).
     */
    const extendLeases = Effect.fn("PgmqQueue.extendLeases")(
      function*(queue: QueueName, leases: ReadonlyArray<{ readonly msgId: MessageId; readonly readCt: number }>, seconds: number) {
        if (leases.length === 0) return { extended: [] as Array<MessageId>, lost: [] as Array<MessageId> }
        const rows = yield* sql<{ readonly msg_id: string; readonly extended: boolean }>`
          WITH wanted AS (
            SELECT * FROM unnest(${leases.map((l) => l.msgId)}::bigint[], ${leases.map((l) => l.readCt)}::integer[]) AS w(msg_id, read_ct)
          ),
          free AS (
            SELECT q.msg_id, q.read_ct FROM ${table(queue)} q JOIN wanted w ON w.msg_id = q.msg_id
            ORDER BY q.msg_id FOR UPDATE OF q SKIP LOCKED
          ),
          moved AS (
            UPDATE ${table(queue)} q SET vt = clock_timestamp() + make_interval(secs => ${seconds}::integer)
            FROM free f JOIN wanted w ON w.msg_id = f.msg_id AND w.read_ct = f.read_ct
            WHERE q.msg_id = f.msg_id
            RETURNING q.msg_id
          )
          SELECT f.msg_id, m.msg_id IS NOT NULL AS extended FROM free f LEFT JOIN moved m ON m.msg_id = f.msg_id`
        const extended: Array<MessageId> = []
        const lost: Array<MessageId> = []
        for (const row of rows) (row.extended ? extended : lost).push(Number(row.msg_id) as MessageId)
        return { extended, lost }
      }
    )

    const archiveTable = (queue: QueueName) => sql(`pgmq.a_${queue}`)

    const conditions = (filter: MessageFilter, withCursor = true) => {
      const where = [sql`true`]
      if (filter.msgIds !== undefined) where.push(sql`msg_id = ANY(${filter.msgIds}::bigint[])`)
      if (filter.contains !== undefined) where.push(sql`message @> ${JSON.stringify(filter.contains)}::jsonb`)
      if (filter.enqueuedFrom !== undefined) where.push(sql`enqueued_at >= ${filter.enqueuedFrom}`)
      if (filter.enqueuedBefore !== undefined) where.push(sql`enqueued_at < ${filter.enqueuedBefore}`)
      if (withCursor && filter.after !== undefined) {
        where.push(filter.newestFirst === true ? sql`msg_id < ${filter.after}::bigint` : sql`msg_id > ${filter.after}::bigint`)
      }
      return sql.and(where)
    }
    const ordering = (filter: MessageFilter, withLock = true) =>
      sql.literal(`ORDER BY msg_id ${filter.newestFirst === true ? "DESC" : "ASC"}${
        filter.limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`
      }${!withLock || filter.lock === undefined ? "" : filter.lock === "skip" ? " FOR UPDATE SKIP LOCKED" : " FOR UPDATE"}`)

    /**
     * The next `limit` messages in queue order, visible or not, as they are stored: reading them
     * changes neither their visibility nor their delivery count.
     */
    const peek = Effect.fn("PgmqQueue.peek")(function*(queue: QueueName, limit: number) {
      return yield* messages(
        yield* sql`SELECT ${sql.literal(MESSAGE_COLUMNS)} FROM ${table(queue)} ORDER BY msg_id LIMIT ${limit}`
      )
    })

    /** Messages in the queue table that match, without touching their visibility (see `MessageFilter.lock`). */
    const find = Effect.fn("PgmqQueue.find")(function*(queue: QueueName, filter: MessageFilter = {}) {
      return yield* messages(
        yield* sql`SELECT ${sql.literal(MESSAGE_COLUMNS)} FROM ${table(queue)} WHERE ${conditions(filter)} ${
          ordering(filter)
        }`
      )
    })

    /** Messages in the queue's archive that match (`lock` does not apply). */
    const findArchived = Effect.fn("PgmqQueue.findArchived")(function*(queue: QueueName, filter: MessageFilter = {}) {
      const rows = yield* sql`
        SELECT msg_id, read_ct, enqueued_at, archived_at, vt, message FROM ${archiveTable(queue)}
        WHERE ${conditions(filter)} ${ordering(filter, false)}`
      return yield* Effect.orDie(decodeArchived(rows))
    })

    /** How many messages in the queue table match (`after`, `limit` and `lock` do not apply). */
    const count = Effect.fn("PgmqQueue.count")(function*(queue: QueueName, filter: MessageFilter = {}) {
      const rows = yield* sql<{ readonly n: string }>`
        SELECT count(*)::text AS n FROM ${table(queue)} WHERE ${conditions(filter, false)}`
      return Number(rows[0]?.n ?? 0)
    })

    const drop = Effect.fn("PgmqQueue.drop")(function*(queue: QueueName) {
      const rows = yield* sql<{ readonly dropped: boolean }>`SELECT pgmq.drop_queue(${queue}::text) AS dropped`
      return rows[0]?.dropped === true
    })

    return {
      send,
      sendBatch,
      read,
      readWithLedger,
      readWithPoll,
      awaitMessages,
      delete: deleteOne,
      deleteBatch,
      archive,
      archiveBatch,
      setVt,
      metrics,
      metricsAll,
      listQueues,
      create,
      purge,
      drop,
      lockDeliveries,
      setVtIfDelivery,
      extendLeases,
      peek,
      find,
      findArchived,
      count
    } satisfies Record<string, (...args: Array<any>) => Effect.Effect<unknown, SqlError.SqlError>>
  })
}) {}
