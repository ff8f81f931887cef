import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option } from "effect"
import { type MessageId, PgmqQueue, type QueueMessage } from "../queue/PgmqQueue.js"
import type { QueueName } from "../queue/QueueName.js"

/** A message this worker holds: its queue and the delivery (read_ct) it was read with. */
export interface Held {
  readonly queue: QueueName
  readonly message: QueueMessage
}

/** What the earlier deliveries of a message left behind (see migration 0010 for the rules). */
export interface DeliveryHistory {
  /** Attempts that failed with an error. */
  readonly failures: number
  /** Deliveries that ran alone and ended without a trace: the job took its worker down, or hung it. */
  readonly crashes: number
  /**
   * An earlier delivery ended without a trace while other jobs may have run beside it (the worker
   * died, hung or lost its lease), and no delivery run alone has ended since: it may be a poison.
   */
  readonly suspect: boolean
}

export const firstDelivery: DeliveryHistory = { failures: 0, crashes: 0, suspect: false }

/** The attempts held against a job: failures and crashes, never a delivery lost with other jobs. */
export const attemptsUsed = (history: DeliveryHistory) => history.failures + history.crashes

/** A message's row in `workers.deliveries`. */
interface Record {
  readonly lastEnded: number
  readonly suspect: boolean
  readonly failures: number
  readonly crashes: number
  readonly isolated: number
}

const emptyRecord: Record = { lastEnded: 0, suspect: false, failures: 0, crashes: 0, isolated: 0 }

/** The history delivery `readCt` sees. */
const historyOf = (record: Record, readCt: number): DeliveryHistory => ({
  failures: record.failures,
  crashes: record.crashes + (record.isolated > record.lastEnded ? 1 : 0),
  suspect: record.suspect || record.lastEnded < readCt - 1
})

// The two transitions below are those of workers.isolate_delivery and workers.end_deliveries,
// for the memory layer.
const isolated = (record: Record, readCt: number): Record => ({
  ...record,
  crashes: record.crashes + (record.isolated > record.lastEnded ? 1 : 0),
  suspect: true,
  isolated: readCt
})

const ended = (record: Record, readCt: number, failure: boolean): Record => ({
  lastEnded: readCt,
  suspect: failure && record.isolated === readCt ? false : record.suspect || record.lastEnded < readCt - 1,
  failures: record.failures + (failure ? 1 : 0),
  crashes: record.crashes + (record.isolated > record.lastEnded && record.isolated < readCt ? 1 : 0),
  isolated: 0
})

interface RecordRow {
  readonly msg_id: string
  readonly enqueued_at: Date
  readonly last_ended: number
  readonly suspect: boolean
  readonly failures: number
  readonly crashes: number
  readonly isolated: number
}

/**
 * Counts attempts fairly. pgmq's read_ct counts every delivery, also those that died with their
 * worker because another job (a poison message) killed the process. Here a delivery that ends
 * without a trace only makes its message a suspect; a suspect runs alone, so the next crash can
 * only be its own, and only failures and crashes while alone count against the attempt limit.
 */
export class Deliveries extends Effect.Service<Deliveries>()("runtime/Deliveries", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    /** The history of each message; only redelivered ones (read_ct > 1) can have one. */
    const history = Effect.fn("Deliveries.history")(
      function*(queue: QueueName, messages: ReadonlyArray<QueueMessage>) {
        const histories = new Map<MessageId, DeliveryHistory>()
        const redelivered = messages.filter((m) => m.readCt > 1)
        for (const m of messages) histories.set(m.msgId, m.readCt > 1 ? historyOf(emptyRecord, m.readCt) : firstDelivery)
        if (redelivered.length === 0) return histories
        const rows = yield* sql<RecordRow>`
          SELECT msg_id, enqueued_at, last_ended, suspect, failures, crashes, isolated FROM workers.deliveries
          WHERE queue_name = ${queue} AND msg_id = ANY(${redelivered.map((m) => m.msgId)}::bigint[])`
        const byId = new Map(rows.map((row) => [Number(row.msg_id), row]))
        for (const m of redelivered) {
          const row = byId.get(m.msgId)
          if (row === undefined || row.enqueued_at.getTime() !== m.enqueuedAt.getTime()) continue
          histories.set(m.msgId, historyOf({
            lastEnded: row.last_ended,
            suspect: row.suspect,
            failures: row.failures,
            crashes: row.crashes,
            isolated: row.isolated
          }, m.readCt))
        }
        return histories
      }
    )

    /**
     * Marks the delivery as run alone, before it runs, and returns the attempts held against it
     * (the crash of an earlier run alone included). None when the delivery is no longer current.
     */
    const isolate = Effect.fn("Deliveries.isolate")(function*(held: Held) {
      const rows = yield* sql<{ readonly counted_failures: number; readonly counted_crashes: number }>`
        SELECT counted_failures, counted_crashes
        FROM workers.isolate_delivery(${held.queue}::text, ${held.message.msgId}::bigint, ${held.message.readCt}::integer)`
      return Option.map(Option.fromNullable(rows[0]), (row): DeliveryHistory => ({
        failures: row.counted_failures,
        crashes: row.counted_crashes,
        suspect: true
      }))
    })

    const end = (queue: QueueName, messages: ReadonlyArray<QueueMessage>, delaySeconds: number, failure: string | null) =>
      Effect.map(
        sql<{ readonly id: string }>`
          SELECT id FROM workers.end_deliveries(
            ${queue}::text,
            ${messages.map((m) => m.msgId)}::bigint[],
            ${messages.map((m) => m.readCt)}::integer[],
            ${delaySeconds}::integer,
            ${failure !== null}::boolean,
            ${failure}::text
          ) AS id`,
        (rows) => rows.map((row) => Number(row.id) as MessageId)
      )

    /**
     * A failed attempt: counted, recorded with its error, and the message delivered again after
     * `delaySeconds`. False when the delivery is no longer current (the lease was lost).
     */
    const failed = Effect.fn("Deliveries.failed")(function*(held: Held, delaySeconds: number, error: string) {
      return (yield* end(held.queue, [held.message], delaySeconds, error)).length === 1
    })

    /** Hands messages back unfinished (shutdown, a failed commit): visible at once, no attempt counted. */
    const release = Effect.fn("Deliveries.release")(function*(queue: QueueName, messages: ReadonlyArray<QueueMessage>) {
      if (messages.length === 0) return []
      return yield* end(queue, messages, 0, null)
    })

    /** Drops the records of settled messages; in the settling transaction. */
    const forget = Effect.fn("Deliveries.forget")(function*(queue: QueueName, messages: ReadonlyArray<QueueMessage>) {
      const redelivered = messages.filter((m) => m.readCt > 1).map((m) => m.msgId)
      if (redelivered.length === 0) return
      yield* sql`DELETE FROM workers.deliveries WHERE queue_name = ${queue} AND msg_id = ANY(${redelivered}::bigint[])`
    })

    return { history, isolate, failed, release, forget } as const
  })
}) {
  /** The same rules in memory, fenced through the (memory) PgmqQueue: for unit tests of the runtime. */
  static readonly layerMemory: Layer.Layer<Deliveries, never, PgmqQueue> = Layer.effect(
    Deliveries,
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const records = new Map<string, Record>()
      const keyOf = (queue: QueueName, msgId: MessageId) => `${queue}/${msgId}`
      const recordOf = (queue: QueueName, msgId: MessageId) => records.get(keyOf(queue, msgId)) ?? emptyRecord
      const current = (held: Held) =>
        Effect.map(
          pgmq.lockDeliveries(held.queue, [held.message.msgId]),
          (locked) => locked.get(held.message.msgId) === held.message.readCt
        )
      const end = (queue: QueueName, messages: ReadonlyArray<QueueMessage>, delaySeconds: number, failure: boolean) =>
        Effect.filter(messages, (m) =>
          Effect.tap(pgmq.setVtIfDelivery(queue, m.msgId, m.readCt, delaySeconds), (ours) =>
            Effect.sync(() => {
              if (ours) records.set(keyOf(queue, m.msgId), ended(recordOf(queue, m.msgId), m.readCt, failure))
            }))).pipe(Effect.map((done) => done.map((m) => m.msgId)))

      return Deliveries.make({
        history: (queue, messages) =>
          Effect.sync(() =>
            new Map(messages.map((m) => [m.msgId, m.readCt > 1 ? historyOf(recordOf(queue, m.msgId), m.readCt) : firstDelivery]))
          ),
        isolate: (held) =>
          Effect.flatMap(current(held), (ours) =>
            Effect.sync(() => {
              if (!ours) return Option.none()
              const record = isolated(recordOf(held.queue, held.message.msgId), held.message.readCt)
              records.set(keyOf(held.queue, held.message.msgId), record)
              return Option.some({ failures: record.failures, crashes: record.crashes, suspect: true })
            })),
        failed: (held, delaySeconds) =>
          Effect.map(end(held.queue, [held.message], delaySeconds, true), (ids) => ids.length === 1),
        release: (queue, messages) => end(queue, messages, 0, false),
        forget: (queue, messages) =>
          Effect.sync(() => {
            for (const m of messages) records.delete(keyOf(queue, m.msgId))
          })
      })
    })
  )
}
