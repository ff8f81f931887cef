import { SqlClient, type SqlError } from "@effect/sql"
import { type Cause, Chunk, Deferred, Effect, Exit, Layer, Queue } from "effect"
import { DeadLetter, type DeadLetterInput } from "../deadletter/DeadLetter.js"
import type { JobEnvelope } from "../envelope/index.js"
import { type MessageId, PgmqQueue, type QueueMessage } from "../queue/PgmqQueue.js"
import type { QueueName } from "../queue/QueueName.js"
import { IdempotencyLedger } from "./IdempotencyLedger.js"
import type { Writes } from "./JobHandler.js"

/** A message this worker holds: its queue and the delivery (read_ct) it was read with. */
export interface Held {
  readonly queue: QueueName
  readonly message: QueueMessage
}

export type Settlement =
  /**
   * Done: record the key, run the job's writes, archive — one transaction. A key completed
   * before is a duplicate: archived, its writes not run.
   */
  | { readonly _tag: "Complete"; readonly held: Held; readonly envelope: JobEnvelope; readonly writes?: Writes }
  /** Give up: copy to the dead-letter queue and archive. */
  | { readonly _tag: "DeadLetter"; readonly held: Held; readonly input: DeadLetterInput }

export type SettleResult =
  | { readonly _tag: "Settled"; readonly duplicate: boolean }
  /** Another delivery of the message exists (lease lost): nothing was written. */
  | { readonly _tag: "LeaseLost" }
  /** The job's writes failed; nothing of this job was written. */
  | { readonly _tag: "WritesFailed"; readonly cause: Cause.Cause<unknown> }
  /** The transaction did not commit; the message will be delivered again. */
  | { readonly _tag: "CommitFailed"; readonly error: SqlError.SqlError }

interface Pending {
  readonly settlement: Settlement
  readonly result: Deferred.Deferred<SettleResult>
}

const MAX_GROUP = 200

/**
 * Group commit. Jobs that finish at about the same time are settled in one transaction per
 * queue: their deliveries are locked and fenced (a lost lease cannot commit), idempotency keys
 * recorded, each job's writes run in its own savepoint, dead letters sent and all of them archived
 * with one statement. One commit (one WAL flush) for many jobs is most of the runtime's speed.
 */
export class Acknowledger extends Effect.Service<Acknowledger>()("runtime/Acknowledger", {
  scoped: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const pgmq = yield* PgmqQueue
    const ledger = yield* IdempotencyLedger
    const deadLetter = yield* DeadLetter
    const pending = yield* Queue.unbounded<Pending>()

    const settleGroup = (queue: QueueName, group: ReadonlyArray<Pending>) =>
      Effect.gen(function*() {
        const results = new Map<Pending, SettleResult>()
        const locked = yield* pgmq.lockDeliveries(queue, group.map((p) => p.settlement.held.message.msgId))
        const fenced = group.filter((p) => {
          const current = locked.get(p.settlement.held.message.msgId)
          const ours = current !== undefined && current === p.settlement.held.message.readCt
          if (!ours) results.set(p, { _tag: "LeaseLost" })
          return ours
        })
        const toArchive: Array<MessageId> = []
        const settled = (p: Pending, duplicate: boolean) => {
          results.set(p, { _tag: "Settled", duplicate })
          toArchive.push(p.settlement.held.message.msgId)
        }

        const plain = fenced.filter((p) => p.settlement._tag === "Complete" && p.settlement.writes === undefined)
        const entries = plain.map((p) => {
          const s = p.settlement as Extract<Settlement, { _tag: "Complete" }>
          return { envelope: s.envelope, queue, msgId: s.held.message.msgId }
        })
        const recorded = yield* ledger.complete(entries)
        plain.forEach((p, i) => settled(p, !recorded.has(ledger.keyOf(entries[i]!.envelope))))

        for (const p of fenced) {
          const s = p.settlement
          if (s._tag !== "Complete" || s.writes === undefined) continue
          const writes = s.writes
          const entry = { envelope: s.envelope, queue, msgId: s.held.message.msgId }
          const exit = yield* sql.withTransaction(
            Effect.flatMap(ledger.complete([entry]), (fresh) => (fresh.size === 1 ? Effect.as(writes, false) : Effect.succeed(true)))
          ).pipe(Effect.exit)
          if (Exit.isSuccess(exit)) settled(p, exit.value)
          else results.set(p, { _tag: "WritesFailed", cause: exit.cause })
        }

        const dead = fenced.filter((p) => p.settlement._tag === "DeadLetter")
        yield* deadLetter.sendAll(dead.map((p) => (p.settlement as Extract<Settlement, { _tag: "DeadLetter" }>).input))
        for (const p of dead) settled(p, false)

        yield* pgmq.archiveBatch(queue, toArchive)
        return results
      }).pipe(sql.withTransaction)

    /** The common case, jobs without writes: one statement, no explicit transaction. */
    const settlePlain = (queue: QueueName, group: ReadonlyArray<Pending>) =>
      Effect.gen(function*() {
        const outcomes = yield* ledger.completeAndArchive(
          queue,
          group.map((p) => {
            const s = p.settlement as Extract<Settlement, { _tag: "Complete" }>
            return { envelope: s.envelope, queue, msgId: s.held.message.msgId, readCt: s.held.message.readCt }
          })
        )
        return new Map(group.map((p): [Pending, SettleResult] => {
          const outcome = outcomes.get(p.settlement.held.message.msgId)
          return [p, outcome === "completed" || outcome === "duplicate"
            ? { _tag: "Settled", duplicate: outcome === "duplicate" }
            : { _tag: "LeaseLost" }]
        }))
      })

    const isPlain = (p: Pending) => p.settlement._tag === "Complete" && p.settlement.writes === undefined

    const settleAll = (batch: ReadonlyArray<Pending>) =>
      Effect.forEach(
        groupByQueue(batch),
        ([queue, group]) =>
          (group.every(isPlain) ? settlePlain(queue, group) : settleGroup(queue, group)).pipe(
            Effect.matchEffect({
              onFailure: (error) =>
                Effect.logError("settling jobs failed; their messages will be delivered again", error).pipe(
                  Effect.zipRight(Effect.forEach(group, (p) => Deferred.succeed(p.result, { _tag: "CommitFailed" as const, error })))
                ),
              onSuccess: (results) =>
                Effect.forEach(group, (p) => Deferred.succeed(p.result, results.get(p) ?? { _tag: "LeaseLost" as const }))
            })
          ),
        { discard: true }
      )

    // After the first settlement, let the other jobs that finished in the same tick queue theirs.
    const nextGroup = Effect.gen(function*() {
      const first = yield* Queue.take(pending)
      yield* Effect.yieldNow()
      return [first, ...Chunk.toReadonlyArray(yield* Queue.takeUpTo(pending, MAX_GROUP - 1))]
    })

    yield* nextGroup.pipe(
      Effect.flatMap(settleAll),
      Effect.catchAllCause((cause) => Effect.logError("acknowledger loop", cause)),
      Effect.forever,
      Effect.forkScoped
    )

    /** Waits for the transaction that settles this job. */
    const settle = (settlement: Settlement): Effect.Effect<SettleResult> =>
      Effect.flatMap(Deferred.make<SettleResult>(), (result) =>
        Queue.offer(pending, { settlement, result }).pipe(Effect.zipRight(Deferred.await(result))))

    return { settle } as const
  })
}) {
  /**
   * One settlement at a time, without transactions, over the memory PgmqQueue and ledger: the
   * same outcomes (fencing, duplicates, writes, dead letters) for unit tests of the runtime.
   */
  static readonly layerMemory: Layer.Layer<Acknowledger, never, PgmqQueue | IdempotencyLedger | DeadLetter> = Layer.effect(
    Acknowledger,
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const ledger = yield* IdempotencyLedger
      const deadLetter = yield* DeadLetter
      const settle = (settlement: Settlement): Effect.Effect<SettleResult> =>
        Effect.gen(function*() {
          const { message, queue } = settlement.held
          const locked = yield* pgmq.lockDeliveries(queue, [message.msgId])
          if (locked.get(message.msgId) !== message.readCt) return { _tag: "LeaseLost" } as const
          if (settlement._tag === "DeadLetter") {
            yield* deadLetter.sendAll([settlement.input])
            yield* pgmq.archive(queue, message.msgId)
            return { _tag: "Settled", duplicate: false } as const
          }
          const duplicate = (yield* ledger.completed([settlement.envelope])).size === 1
          if (!duplicate && settlement.writes !== undefined) {
            const exit = yield* Effect.exit(settlement.writes)
            if (Exit.isFailure(exit)) return { _tag: "WritesFailed", cause: exit.cause } as const
          }
          yield* ledger.complete([{ envelope: settlement.envelope, queue, msgId: message.msgId }])
          yield* pgmq.archive(queue, message.msgId)
          return { _tag: "Settled", duplicate } as const
        }).pipe(Effect.catchAll((error) => Effect.succeed({ _tag: "CommitFailed", error } as const)))
      return Acknowledger.make({ settle })
    })
  )
}

const groupByQueue = (batch: ReadonlyArray<Pending>) => {
  const groups = new Map<QueueName, Array<Pending>>()
  for (const p of batch) {
    const queue = p.settlement.held.queue
    const group = groups.get(queue)
    if (group) group.push(p)
    else groups.set(queue, [p])
  }
  return groups
}
