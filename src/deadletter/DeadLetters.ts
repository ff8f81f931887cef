import { SqlClient } from "@effect/sql"
import { Data, Effect, Option, Schema } from "effect"
import { DEAD_LETTER_QUEUE } from "../queue/catalog.js"
import { type MessageFilter, type MessageId, PgmqQueue } from "../queue/PgmqQueue.js"
import { QueueDirectory } from "../queue/QueueDirectory.js"
import type { QueueName } from "../queue/QueueName.js"
import { DeadLetterRecord, TOO_DEEP } from "./DeadLetter.js"

/** A dead-letter record as stored, read leniently: a reason added later must not hide it. */
export const StoredRecord = Schema.Struct({ ...DeadLetterRecord.fields, reason: Schema.String })
export type StoredRecord = typeof StoredRecord.Type
const decodeRecord = Schema.decodeUnknownOption(StoredRecord)

export interface ReplayRecord {
  readonly deadLetterId: number
  readonly sourceQueue: string
  readonly newMsgId: number
  readonly jobId: string | null
  readonly replayedAt: Date
  readonly replayedBy: string
  readonly reason: string
}

export const DeadLetterStates = ["pending", "replayed", "archived"] as const
export type DeadLetterState = (typeof DeadLetterStates)[number]

export interface DeadLetterEntry {
  readonly id: number
  readonly state: DeadLetterState
  readonly deadLetteredAt: Date
  readonly record: StoredRecord
  readonly replay: ReplayRecord | null
}

export interface DeadLetterQuery {
  readonly sourceQueue?: string | undefined
  readonly reason?: string | undefined
  readonly since?: Date | undefined
  readonly until?: Date | undefined
  /** The error's signature (`workers.error_signature`), as a group shows it. */
  readonly signature?: string | undefined
}

/** Pending dead letters alike: one source queue, reason and error signature. */
export interface DeadLetterGroup {
  readonly sourceQueue: string
  readonly reason: string
  readonly signature: string
  readonly deadLetters: number
  readonly firstDeadLetteredAt: Date
  readonly lastDeadLetteredAt: Date
  readonly newestId: number
  readonly newestError: string
}

/** A replay in the audit trail, with what its dead letter said. */
export interface ReplayAudit extends ReplayRecord {
  readonly deadLetterReason: string | null
  readonly signature: string | null
  readonly error: string | null
}

export interface Page {
  readonly entries: ReadonlyArray<DeadLetterEntry>
  readonly nextCursor: number | null
}

export interface ReplayAuthor {
  readonly replayedBy: string
  readonly reason: string
}

export class DeadLetterNotFound extends Data.TaggedError("DeadLetterNotFound")<{ readonly id: number }> {
  override get message() {
    return `no dead letter ${this.id}`
  }
}

/** The dead letter left the queue before: replayed (`replay` says when and by whom) or archived. */
export class AlreadyResolved extends Data.TaggedError("AlreadyResolved")<{
  readonly id: number
  readonly replay: ReplayRecord | null
}> {
  override get message() {
    return this.replay === null
      ? `dead letter ${this.id} was archived without a replay`
      : `dead letter ${this.id} was replayed at ${this.replay.replayedAt.toISOString()} by ${this.replay.replayedBy}` +
        ` (message ${this.replay.newMsgId} on ${this.replay.sourceQueue})`
  }
}

export class NotReplayable extends Data.TaggedError("NotReplayable")<{ readonly id: number; readonly why: string }> {
  override get message() {
    return `dead letter ${this.id} cannot be replayed: ${this.why}`
  }
}

interface ReplayRow {
  readonly dead_letter_msg_id: string
  readonly source_queue: string
  readonly new_msg_id: string
  readonly job_id: string | null
  readonly replayed_at: Date
  readonly replayed_by: string
  readonly reason: string
}

interface GroupRow {
  readonly source_queue: string
  readonly reason: string
  readonly signature: string
  readonly dead_letters: string
  readonly first_dead_lettered_at: Date
  readonly last_dead_lettered_at: Date
  readonly newest_id: string
  readonly newest_error: string | null
}

interface ReplayAuditRow extends ReplayRow {
  readonly dead_letter_reason: string | null
  readonly signature: string | null
  readonly error: string | null
}

const toReplay = (row: ReplayRow): ReplayRecord => ({
  deadLetterId: Number(row.dead_letter_msg_id),
  sourceQueue: row.source_queue,
  newMsgId: Number(row.new_msg_id),
  jobId: row.job_id,
  replayedAt: row.replayed_at,
  replayedBy: row.replayed_by,
  reason: row.reason
})

const jobIdOf = (original: unknown) => {
  const value = typeof original === "object" && original !== null ? (original as Record<string, unknown>)["job_id"] : null
  return typeof value === "string" && /^[0-9a-f-]{36}$/i.test(value) ? value : null
}

/** What a record that is not one of ours shows, so that it can still be listed and looked at. */
const unreadable = (message: unknown, enqueuedAt: Date): StoredRecord => ({
  source_queue: "",
  source_msg_id: 0,
  read_ct: 0,
  enqueued_at: enqueuedAt.toISOString(),
  reason: "unknown",
  error: { tag: "Unknown", message: "not a dead-letter record" },
  job_id: null,
  trace_id: null,
  worker_id: "",
  dead_lettered_at: enqueuedAt.toISOString(),
  original: message
})

/**
 * The dead-letter queue for people: listing, looking at, and replaying. A replay sends the
 * original message to its source queue as a new message (so its delivery count starts again),
 * records who did it and why in `workers.dead_letter_replays`, and archives the dead letter, in
 * one transaction: a dead letter is pending (in `pgmq.q_dead_letter`) until replayed once.
 */
export class DeadLetters extends Effect.Service<DeadLetters>()("deadletter/DeadLetters", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const pgmq = yield* PgmqQueue
    const directory = yield* QueueDirectory

    const replaysOf = (ids: ReadonlyArray<number>) =>
      ids.length === 0
        ? Effect.succeed(new Map<number, ReplayRecord>())
        : Effect.map(
          sql<ReplayRow>`
            SELECT dead_letter_msg_id::text, source_queue, new_msg_id::text, job_id::text, replayed_at, replayed_by, reason
            FROM workers.dead_letter_replays WHERE dead_letter_msg_id = ANY(${ids}::bigint[])`,
          (rows) => new Map(rows.map((row) => [Number(row.dead_letter_msg_id), toReplay(row)]))
        )

    const entries = (
      messages: ReadonlyArray<{ readonly msgId: number; readonly enqueuedAt: Date; readonly message: unknown }>,
      pending: boolean
    ) =>
      Effect.map(replaysOf(pending ? [] : messages.map((m) => m.msgId)), (replays) =>
        messages.map((m): DeadLetterEntry => {
          const replay = replays.get(m.msgId) ?? null
          return {
            id: m.msgId,
            state: pending ? "pending" : replay === null ? "archived" : "replayed",
            deadLetteredAt: m.enqueuedAt,
            record: Option.getOrElse(decodeRecord(m.message), () => unreadable(m.message, m.enqueuedAt)),
            replay
          }
        }))

    /** The query as a filter of the dead-letter queue (`archived`: of its archive). */
    const filterOf = (query: DeadLetterQuery, archived = false) =>
      Effect.gen(function*() {
        const contains: Record<string, string> = {}
        if (query.sourceQueue !== undefined) contains["source_queue"] = query.sourceQueue
        if (query.reason !== undefined) contains["reason"] = query.reason
        const withSignature = query.signature === undefined ? [] : yield* sql<{ readonly id: string }>`
          SELECT id::text FROM workers.dead_letter_ids_with_signature(${query.signature}, ${archived}) AS id`
        return {
          ...(Object.keys(contains).length > 0 ? { contains } : {}),
          ...(query.signature !== undefined ? { msgIds: withSignature.map((row) => Number(row.id) as MessageId) } : {}),
          ...(query.since !== undefined ? { enqueuedFrom: query.since } : {}),
          ...(query.until !== undefined ? { enqueuedBefore: query.until } : {})
        } satisfies MessageFilter
      })

    /** Newest first; `resolved` lists those replayed or archived. */
    const list = Effect.fn("DeadLetters.list")(function*(
      query: DeadLetterQuery,
      options: { readonly resolved: boolean; readonly cursor?: number | undefined; readonly limit: number }
    ) {
      const filter: MessageFilter = {
        ...(yield* filterOf(query, options.resolved)),
        newestFirst: true,
        limit: options.limit + 1,
        ...(options.cursor !== undefined ? { after: options.cursor as MessageId } : {})
      }
      const found = options.resolved
        ? yield* pgmq.findArchived(DEAD_LETTER_QUEUE, filter)
        : yield* pgmq.find(DEAD_LETTER_QUEUE, filter)
      const page = found.slice(0, options.limit)
      return {
        entries: yield* entries(page, !options.resolved),
        nextCursor: found.length > options.limit ? page[page.length - 1]!.msgId : null
      } satisfies Page
    }, Effect.orDie)

    const get = Effect.fn("DeadLetters.get")(function*(id: number) {
      const pending = yield* pgmq.find(DEAD_LETTER_QUEUE, { msgIds: [id as MessageId] })
      if (pending.length > 0) return (yield* entries(pending, true))[0]!
      const resolved = yield* pgmq.findArchived(DEAD_LETTER_QUEUE, { msgIds: [id as MessageId] })
      if (resolved.length > 0) return (yield* entries(resolved, false))[0]!
      return yield* new DeadLetterNotFound({ id })
    }, Effect.catchTag("SqlError", Effect.die))

    /**
     * Replays pending dead letters already locked by the caller's transaction: sends each
     * original to its source queue (one batch per queue), records the replays, archives them.
     */
    const replayLocked = (
      locked: ReadonlyArray<{ readonly id: number; readonly record: StoredRecord; readonly queue: QueueName }>,
      author: ReplayAuthor
    ) =>
      Effect.gen(function*() {
        const byQueue = new Map<QueueName, Array<(typeof locked)[number]>>()
        for (const item of locked) byQueue.set(item.queue, [...(byQueue.get(item.queue) ?? []), item])
        const rows: Array<Record<string, unknown>> = []
        for (const [queue, items] of byQueue) {
          const ids = yield* pgmq.sendBatch(queue, items.map((item) => item.record.original))
          items.forEach((item, i) =>
            rows.push({
              dead_letter_msg_id: item.id,
              source_queue: queue,
              new_msg_id: ids[i]!,
              job_id: jobIdOf(item.record.original),
              replayed_by: author.replayedBy,
              reason: author.reason
            })
          )
        }
        if (rows.length === 0) return []
        // A plain INSERT: a dead letter replayed before would fail the whole transaction, sends included.
        const inserted = yield* sql<ReplayRow>`
          INSERT INTO workers.dead_letter_replays ${sql.insert(rows)}
          RETURNING dead_letter_msg_id::text, source_queue, new_msg_id::text, job_id::text, replayed_at, replayed_by, reason`
        yield* pgmq.archiveBatch(DEAD_LETTER_QUEUE, locked.map((item) => item.id as MessageId))
        return inserted.map(toReplay).sort((a, b) => a.deadLetterId - b.deadLetterId)
      })

    const replayable = (id: number, message: unknown) =>
      Effect.gen(function*() {
        const record = Option.getOrUndefined(decodeRecord(message))
        if (record === undefined) return yield* new NotReplayable({ id, why: "it is not a dead-letter record" })
        const original = record.original
        if (typeof original === "object" && original !== null && TOO_DEEP in original) {
          return yield* new NotReplayable({ id, why: `its original was not copied: ${String((original as Record<string, unknown>)[TOO_DEEP])}` })
        }
        const queue = yield* directory.resolve(record.source_queue, { forJobs: true }).pipe(
          Effect.catchTag("UnknownQueue", () =>
            new NotReplayable({ id, why: `its source queue '${record.source_queue}' does not exist` }))
        )
        return { id, record, queue }
      })

    const replay = Effect.fn("DeadLetters.replay")(function*(id: number, author: ReplayAuthor) {
      const replayed = yield* sql.withTransaction(Effect.gen(function*() {
        // Waits for a concurrent replay of the same dead letter, then finds it gone.
        const [message] = yield* pgmq.find(DEAD_LETTER_QUEUE, { msgIds: [id as MessageId], lock: "wait" })
        if (message === undefined) return Option.none()
        return Option.some(yield* replayLocked([yield* replayable(id, message.message)], author))
      }))
      if (Option.isSome(replayed)) return replayed.value[0]!
      const resolved = yield* pgmq.findArchived(DEAD_LETTER_QUEUE, { msgIds: [id as MessageId] })
      if (resolved.length === 0) return yield* new DeadLetterNotFound({ id })
      const replays = yield* replaysOf([id])
      return yield* new AlreadyResolved({ id, replay: replays.get(id) ?? null })
    }, Effect.catchTag("SqlError", Effect.die))

    /** How many pending dead letters match. */
    const count = Effect.fn("DeadLetters.count")(function*(query: DeadLetterQuery) {
      return yield* pgmq.count(DEAD_LETTER_QUEUE, yield* filterOf(query))
    }, Effect.orDie)

    /**
     * Replays up to `limit` matching pending dead letters, oldest first. Those another replay holds
     * are skipped, and so are those that cannot be replayed (they stay pending).
     */
    const replayMatching = Effect.fn("DeadLetters.replayMatching")(
      function*(query: DeadLetterQuery, limit: number, author: ReplayAuthor) {
        return yield* sql.withTransaction(Effect.gen(function*() {
          const messages = yield* pgmq.find(DEAD_LETTER_QUEUE, { ...(yield* filterOf(query)), limit, lock: "skip" })
          const locked = yield* Effect.forEach(messages, (message) =>
            Effect.option(replayable(message.msgId, message.message)))
          return yield* replayLocked(locked.flatMap(Option.toArray), author)
        }))
      },
      Effect.orDie
    )

    /** The pending dead letters by source queue, reason and error signature, the largest groups first. */
    const groups = Effect.fn("DeadLetters.groups")(function*(limit: number) {
      const rows = yield* sql<GroupRow>`
        SELECT source_queue, reason, signature, dead_letters::text, first_dead_lettered_at, last_dead_lettered_at,
               newest_id::text, newest_error
        FROM workers.v_dead_letter_groups
        ORDER BY dead_letters DESC, last_dead_lettered_at DESC, source_queue, reason, signature
        LIMIT ${limit}`
      return rows.map((row): DeadLetterGroup => ({
        sourceQueue: row.source_queue,
        reason: row.reason,
        signature: row.signature,
        deadLetters: Number(row.dead_letters),
        firstDeadLetteredAt: row.first_dead_lettered_at,
        lastDeadLetteredAt: row.last_dead_lettered_at,
        newestId: Number(row.newest_id),
        newestError: row.newest_error ?? ""
      }))
    }, Effect.orDie)

    /** The audit trail: the latest replays first. */
    const replays = Effect.fn("DeadLetters.replays")(function*(
      query: { readonly sourceQueue?: string | undefined; readonly replayedBy?: string | undefined },
      limit: number
    ) {
      const where = [sql`true`]
      if (query.sourceQueue !== undefined) where.push(sql`source_queue = ${query.sourceQueue}`)
      if (query.replayedBy !== undefined) where.push(sql`replayed_by = ${query.replayedBy}`)
      const rows = yield* sql<ReplayAuditRow>`
        SELECT dead_letter_msg_id::text, source_queue, new_msg_id::text, job_id::text, replayed_at, replayed_by, reason,
               dead_letter_reason, signature, error
        FROM workers.v_dead_letter_replays WHERE ${sql.and(where)}
        ORDER BY replayed_at DESC, dead_letter_msg_id DESC LIMIT ${limit}`
      return rows.map((row): ReplayAudit => ({
        ...toReplay(row),
        deadLetterReason: row.dead_letter_reason,
        signature: row.signature,
        error: row.error
      }))
    }, Effect.orDie)

    return { list, get, replay, count, replayMatching, groups, replays } as const
  }),
  dependencies: [QueueDirectory.Default]
}) {}
