import { SqlClient, type SqlError } from "@effect/sql"
import { Cause, Chunk, Data, Deferred, Duration, Effect, Exit, Fiber, Layer, Queue, Schedule } from "effect"
import { WorkerConfig } from "../config/index.js"
import { DeadLetter, type DeadLetterInput } from "../deadletter/DeadLetter.js"
import type { JobEnvelope } from "../envelope/index.js"
import { type MessageId, PgmqQueue } from "../queue/PgmqQueue.js"
import type { QueueName } from "../queue/QueueName.js"
import { Deliveries, type Held } from "./Deliveries.js"
import { IdempotencyLedger } from "./IdempotencyLedger.js"
import { monotonicMillis, monotonicMillisOf } from "./monotonic.js"
import type { JobFailure } from "./errors.js"
import type { Writes } from "./JobHandler.js"
import * as Metrics from "../observability/Metrics.js"

const recordBatchSize = Metrics.commitBatchSize({})

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
  | { readonly _tag: "WritesFailed"; readonly cause: Cause.Cause<JobFailure | SqlError.SqlError> }
  /**
   * The transaction did not commit, or its outcome is unknown (the connection dropped during
   * COMMIT, no answer in time, the acknowledger stopped). Fencing and the ledger make either case
   * safe: the message is archived exactly when the job's writes committed.
   */
  | { readonly _tag: "CommitFailed"; readonly cause: Cause.Cause<unknown> }

/**
 * Told the outcome of a settlement, once, on the acknowledger's fiber: it must be quick (fork
 * anything slow) and cannot fail.
 */
export type Answer = (result: SettleResult) => Effect.Effect<void>

interface Pending {
  readonly settlement: Settlement
  readonly answer: Answer
  /** Monotonic milliseconds when it was submitted. */
  readonly submittedAt: number
  /** Watchdog rounds it has waited through. */
  waited: number
  /** Of those, the last rounds in a row in which no group was settled. */
  stalled: number
  answered: boolean
}

const MAX_GROUP = 500
/** The share of the settle timeout a group may spend running jobs' writes before it commits. */
const WRITES_BUDGET_SHARE = 1 / 3
/** How often the watchdog looks for jobs waiting too long. */
const WATCH_EVERY = Duration.seconds(1)
/** Beyond the settle timeout, how long a job waits for the acknowledger before the watchdog answers it. */
const ANSWER_GRACE = Duration.seconds(5)
/**
 * While groups are being settled, a job waits its turn (its lease kept), up to this many times that
 * long; the limit is only for a job the acknowledger has lost track of.
 */
const WAIT_LIMIT_FACTOR = 10

class SettleTimedOut extends Data.TaggedError("SettleTimedOut")<{ readonly after: Duration.Duration }> {
  override get message() {
    return `no answer from the database within ${Duration.format(this.after)}`
  }
}

class AcknowledgerStopped extends Data.TaggedError("AcknowledgerStopped")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

const stopped = Cause.fail(new AcknowledgerStopped({ reason: "the acknowledger stopped before settling the job" }))
const notAnswered = Cause.fail(new AcknowledgerStopped({ reason: "the acknowledger did not answer in time" }))

/**
 * Group commit. Jobs that finish at about the same time are settled in one transaction per
 * queue: their deliveries are locked and fenced (a lost lease cannot commit), idempotency keys
 * recorded, each job's writes run in its own savepoint, dead letters sent and all of them archived
 * with one statement. One commit (one WAL flush) for many jobs is most of the runtime's speed.
 *
 * Every job waiting on a settlement gets an answer, whatever happens to it: committed, failed,
 * died (a COMMIT whose connection dropped is a defect in @effect/sql), timed out after the
 * visibility timeout, or interrupted because the worker stops; and a job waits a bounded time.
 */
export class Acknowledger extends Effect.Service<Acknowledger>()("runtime/Acknowledger", {
  scoped: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const pgmq = yield* PgmqQueue
    const ledger = yield* IdempotencyLedger
    const deadLetter = yield* DeadLetter
    const deliveries = yield* Deliveries
    const config = yield* WorkerConfig
    const settleTimeout = Duration.seconds(config.visibilityTimeoutSeconds)
    const writesBudgetMillis = Duration.toMillis(settleTimeout) * WRITES_BUDGET_SHARE
    // Twice the settle timeout: the jobs have their answer (a timeout) before the server gives up.
    const idleInTransactionTimeout = String(2 * Duration.toMillis(settleTimeout))
    const pending = yield* Queue.unbounded<Pending>()
    const now = monotonicMillisOf(yield* Effect.clock)
    /** Settlements offered and not yet answered, so none is forgotten when the loop stops. */
    const outstanding = new Set<Pending>()
    let closed = false

    const answer = (p: Pending, result: SettleResult) =>
      Effect.suspend(() => {
        if (p.answered) return Effect.void
        p.answered = true
        outstanding.delete(p)
        return p.answer(result)
      })

    const settleGroup = (queue: QueueName, group: ReadonlyArray<Pending>, since: number) =>
      Effect.gen(function*() {
        // Should this connection stall (the network, not the server, failing), the server ends the
        // transaction by itself instead of keeping these messages locked, and unreadable, for hours.
        yield* sql`SELECT set_config('idle_in_transaction_session_timeout', ${idleInTransactionTimeout}, true)`
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

        // Jobs' writes run one after another: once the group has used its share of the settle
        // timeout, the rest wait for the next group instead of making this one overrun (and be
        // given up on, all of it) when writes are slow.
        const deferred = new Set<Pending>()
        let ranWrites = 0
        for (const p of fenced) {
          const s = p.settlement
          if (s._tag !== "Complete" || s.writes === undefined) continue
          if (ranWrites > 0 && (yield* monotonicMillis) - since >= writesBudgetMillis) {
            deferred.add(p)
            continue
          }
          ranWrites++
          const writes = s.writes
          const entry = { envelope: s.envelope, queue, msgId: s.held.message.msgId }
          const exit = yield* sql.withTransaction(
            Effect.flatMap(ledger.complete([entry]), (fresh) => (fresh.size === 1 ? Effect.as(writes, false) : Effect.succeed(true)))
          ).pipe(Effect.exit)
          if (Exit.isSuccess(exit)) settled(p, exit.value)
          else results.set(p, { _tag: "WritesFailed", cause: exit.cause })
        }

        // Locked by this transaction, the deferred jobs' leases were not extended meanwhile.
        if (deferred.size > 0) {
          yield* pgmq.extendLeases(queue, [...deferred].map((p) => p.settlement.held.message), config.visibilityTimeoutSeconds)
        }

        const dead = fenced.filter((p) => p.settlement._tag === "DeadLetter")
        yield* deadLetter.sendAll(dead.map((p) => (p.settlement as Extract<Settlement, { _tag: "DeadLetter" }>).input))
        for (const p of dead) settled(p, false)

        yield* pgmq.archiveBatch(queue, toArchive)
        yield* deliveries.forget(queue, fenced.filter((p) => !deferred.has(p)).map((p) => p.settlement.held.message))
        return { results, deferred }
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
        const results = new Map(group.map((p): [Pending, SettleResult] => {
          const outcome = outcomes.get(p.settlement.held.message.msgId)
          return [p, outcome === "completed" || outcome === "duplicate"
            ? { _tag: "Settled", duplicate: outcome === "duplicate" }
            : { _tag: "LeaseLost" }]
        }))
        return { results, deferred: new Set<Pending>() }
      })

    const isPlain = (p: Pending) => p.settlement._tag === "Complete" && p.settlement.writes === undefined

    /** Groups settled (or failed) so far: the watchdog tells a slow acknowledger from a stalled one. */
    let groupsSettled = 0
    let groupsSeen = 0

    /** Jobs settled per millisecond of group commit, a moving average (none measured yet: no limit). */
    let jobsPerMilli = Number.POSITIVE_INFINITY

    /** Jobs whose writes a group deferred to the next one (see `writesBudgetMillis`). */
    const carried: Array<Pending> = []

    /**
     * The group being settled and when it started, with the rest of its batch: the watchdog gives
     * up on a settlement that takes longer than the settle timeout.
     */
    let inFlight: { readonly group: ReadonlyArray<Pending>; readonly later: ReadonlyArray<Pending>; readonly since: number } | undefined

    const settleQueue = (queue: QueueName, group: ReadonlyArray<Pending>, later: ReadonlyArray<Pending>) =>
      Effect.flatMap(monotonicMillis, (since) => {
        const current = { group, later, since }
        recordBatchSize(group.length)
        inFlight = current
        return (group.every(isPlain) ? settlePlain(queue, group) : settleGroup(queue, group, since)).pipe(
          Effect.exit,
          // A group given up on by the watchdog (interrupted) does not count as settled.
          Effect.tap(() =>
            Effect.sync(() => {
              groupsSettled++
            })
          ),
          Effect.flatMap((exit) =>
            Exit.isSuccess(exit)
              ? Effect.zipRight(
                Effect.forEach(
                  group,
                  (p) => exit.value.deferred.has(p) ? Effect.void : answer(p, exit.value.results.get(p) ?? { _tag: "LeaseLost" }),
                  { discard: true }
                ),
                Effect.sync(() => {
                  carried.push(...exit.value.deferred)
                  const rate = (group.length - exit.value.deferred.size) / Math.max(1, now() - since)
                  jobsPerMilli = Number.isFinite(jobsPerMilli) ? 0.7 * jobsPerMilli + 0.3 * rate : rate
                })
              )
              : Effect.logError("settling jobs failed; their messages will be delivered again", exit.cause).pipe(
                Effect.zipRight(Effect.forEach(group, (p) => answer(p, { _tag: "CommitFailed", cause: exit.cause }), { discard: true }))
              )
          ),
          Effect.ensuring(Effect.sync(() => {
            if (inFlight === current) inFlight = undefined
          }))
        )
      })

    const settleAll = (taken: ReadonlyArray<Pending>) => {
      // A job the watchdog answered (told its commit failed) is not committed after all.
      const groups = [...groupByQueue(taken.filter((p) => !p.answered))]
      return Effect.forEach(
        groups,
        ([queue, group], i) => settleQueue(queue, group, groups.slice(i + 1).flatMap(([, rest]) => rest)),
        { discard: true }
      )
    }

    // After the first settlement, let the other jobs that finished in the same tick queue theirs.
    // Jobs a group deferred go first in the next one.
    const nextGroup = Effect.gen(function*() {
      const first = carried.length > 0 ? carried.splice(0, MAX_GROUP) : [yield* Queue.take(pending)]
      yield* Effect.yieldNow()
      return [...first, ...Chunk.toReadonlyArray(yield* Queue.takeUpTo(pending, MAX_GROUP - first.length))]
    })

    const loop = nextGroup.pipe(
      Effect.flatMap(settleAll),
      Effect.catchAllCause((cause) => Effect.logError("acknowledger loop", cause)),
      Effect.forever
    )

    // Runs after the loop and the watchdog are interrupted (finalizers run in reverse order).
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closed = true
        return Effect.forEach([...outstanding], (p) => answer(p, { _tag: "CommitFailed", cause: stopped }), { discard: true })
      })
    )
    // Disconnected: interrupting the loop never waits for a COMMIT on a stalled connection, which
    // cannot be interrupted.
    const scope = yield* Effect.scope
    const startLoop = Effect.forkIn(Effect.disconnect(loop), scope)
    let loopFiber = yield* startLoop

    /**
     * One watchdog bounds every wait, cheaper than a timer per job or per transaction: a settlement
     * running longer than the settle timeout is given up on (its jobs answered, the loop replaced,
     * the rest of its batch handed to the new one), and a job is answered whatever the loop is
     * doing when no group has been settled for that long and 5 s more, or when it has waited ten
     * times that.
     */
    const settleMillis = Duration.toMillis(settleTimeout)
    const patience = Math.ceil(Duration.toMillis(Duration.sum(settleTimeout, ANSWER_GRACE)) / Duration.toMillis(WATCH_EVERY))
    const watch = Effect.gen(function*() {
      const now = yield* monotonicMillis
      const stuck = inFlight
      if (stuck !== undefined && now - stuck.since >= settleMillis) {
        inFlight = undefined
        const cause = Cause.fail(new SettleTimedOut({ after: settleTimeout }))
        yield* Effect.logError(`settling ${stuck.group.length} job(s) took longer than ${Duration.format(settleTimeout)}; giving up on it`)
        yield* Effect.forEach(stuck.group, (p) => answer(p, { _tag: "CommitFailed", cause }), { discard: true })
        yield* Fiber.interruptFork(loopFiber)
        yield* Queue.offerAll(pending, stuck.later)
        loopFiber = yield* startLoop
      }
      const stalled = groupsSettled === groupsSeen
      groupsSeen = groupsSettled
      const overdue: Array<Pending> = []
      for (const p of outstanding) {
        p.stalled = stalled ? p.stalled + 1 : 0
        if (p.stalled > patience || ++p.waited > patience * WAIT_LIMIT_FACTOR) overdue.push(p)
      }
      yield* Effect.forEach(overdue, (p) => answer(p, { _tag: "CommitFailed", cause: notAnswered }), { discard: true })
    })
    yield* watch.pipe(Effect.repeat(Schedule.spaced(WATCH_EVERY)), Effect.forkScoped)

    /**
     * Hands the job to the next group commit without waiting for it; `answer` is told the outcome
     * (bounded: see the watchdog). The worker's hot path: no fiber waits per job.
     */
    const submit = (settlement: Settlement, answer: Answer): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (closed) return answer({ _tag: "CommitFailed", cause: stopped })
        const p: Pending = { settlement, answer, submittedAt: now(), waited: 0, stalled: 0, answered: false }
        outstanding.add(p)
        return Queue.offer(pending, p)
      })

    /** Waits for the transaction that settles this job (bounded: see the watchdog). */
    const settle = (settlement: Settlement): Effect.Effect<SettleResult> =>
      Effect.flatMap(Deferred.make<SettleResult>(), (result) =>
        Effect.zipRight(
          submit(settlement, (outcome) => Deferred.succeed(result, outcome)),
          Deferred.await(result)
        ))

    /**
     * How far behind the commits are: the wait so far of the oldest settlement not yet answered, or
     * the time the ones waiting will take at the recent commit rate (bounded by the group in flight),
     * whichever is longer. The worker neither reads nor starts jobs while it is high.
     */
    const backlogMillis = () => {
      const oldest = outstanding.values().next()
      if (oldest.done) return 0
      const at = now()
      const current = inFlight
      const rate = current === undefined
        ? jobsPerMilli
        : Math.min(jobsPerMilli, current.group.length / Math.max(1, at - current.since))
      return Math.max(at - oldest.value.submittedAt, outstanding.size / rate)
    }

    return { settle, submit, backlogMillis } as const
  })
}) {
  /**
   * One settlement at a time, without transactions, over the memory PgmqQueue and ledger: the
   * same outcomes (fencing, duplicates, writes, dead letters) for unit tests of the runtime.
   */
  static readonly layerMemory: Layer.Layer<Acknowledger, never, PgmqQueue | IdempotencyLedger | DeadLetter | Deliveries> = Layer.effect(
    Acknowledger,
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const ledger = yield* IdempotencyLedger
      const deadLetter = yield* DeadLetter
      const deliveries = yield* Deliveries
      const settle = (settlement: Settlement): Effect.Effect<SettleResult> =>
        Effect.gen(function*() {
          const { message, queue } = settlement.held
          const locked = yield* pgmq.lockDeliveries(queue, [message.msgId])
          if (locked.get(message.msgId) !== message.readCt) return { _tag: "LeaseLost" } as const
          if (settlement._tag === "DeadLetter") {
            yield* deadLetter.sendAll([settlement.input])
            yield* pgmq.archive(queue, message.msgId)
            yield* deliveries.forget(queue, [message])
            return { _tag: "Settled", duplicate: false } as const
          }
          const duplicate = (yield* ledger.completed([settlement.envelope])).size === 1
          if (!duplicate && settlement.writes !== undefined) {
            const exit = yield* Effect.exit(settlement.writes)
            if (Exit.isFailure(exit)) return { _tag: "WritesFailed", cause: exit.cause } as const
          }
          yield* ledger.complete([{ envelope: settlement.envelope, queue, msgId: message.msgId }])
          yield* pgmq.archive(queue, message.msgId)
          yield* deliveries.forget(queue, [message])
          return { _tag: "Settled", duplicate } as const
        }).pipe(Effect.catchAllCause((cause) => Effect.succeed({ _tag: "CommitFailed", cause } as const)))
      const submit = (settlement: Settlement, answer: Answer) =>
        settle(settlement).pipe(Effect.flatMap(answer), Effect.forkDaemon, Effect.asVoid)
      return Acknowledger.make({ settle, submit, backlogMillis: () => 0 })
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
