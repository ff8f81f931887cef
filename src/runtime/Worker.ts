import { Cause, Clock, Duration, Effect, Either, Fiber, FiberSet, Layer, Option, Ref, Schedule } from "effect"
import { Alert, Discord } from "../alerts/index.js"
import { WorkerConfig } from "../config/index.js"
import type { DeadLetterReason, ErrorInfo } from "../deadletter/DeadLetter.js"
import * as Envelope from "../envelope/index.js"
import { Heartbeat } from "../heartbeat/Heartbeat.js"
import { type Consumes, DEAD_LETTER_QUEUE } from "../queue/catalog.js"
import { PgmqQueue } from "../queue/PgmqQueue.js"
import type { QueueName } from "../queue/QueueName.js"
import { Acknowledger, type Settlement } from "./Acknowledger.js"
import { attemptsUsed, Deliveries, type DeliveryHistory, firstDelivery, type Held } from "./Deliveries.js"
import { JobHandler, noWrites, type Writes } from "./JobHandler.js"
import { redeliveryDelaySeconds } from "./retryPolicy.js"
import * as Slots from "./Slots.js"
import { WorkerIdentity } from "./WorkerIdentity.js"

/** A read message with its envelope decoded (or the reason it is not one) and what its earlier deliveries left. */
interface Taken {
  readonly held: Held
  readonly envelope: Either.Either<Envelope.JobEnvelope, Envelope.InvalidEnvelope>
  readonly alreadyCompleted: boolean
  readonly history: DeliveryHistory
}

const FIRST_IDLE_POLL = Duration.millis(5)
/** Under load, how long the poller may wait for a whole batch of free slots before reading fewer. */
const GATHER_WINDOW = Duration.millis(20)

/** Tag, message and details of whatever a job failed with: typed error, defect or SQL error. */
const errorInfo = (cause: Cause.Cause<unknown>): ErrorInfo => {
  const failure = Option.orElse(Cause.failureOption(cause), () => Cause.dieOption(cause))
  if (Option.isNone(failure)) return { tag: "Interrupted", message: "interrupted" }
  const error = failure.value
  if (typeof error === "object" && error !== null) {
    const tagged = error as { readonly _tag?: unknown; readonly message?: unknown; readonly details?: unknown; readonly problems?: unknown }
    const tag = typeof tagged._tag === "string" ? tagged._tag : error instanceof Error ? error.name : "Error"
    const own = typeof tagged.message === "string" && tagged.message !== "" ? tagged.message : String(error)
    // An SqlError says "Failed to execute statement"; what the database said is in its cause.
    const cause = error instanceof Error ? error.cause : undefined
    const message = cause instanceof Error && cause.message !== "" && !own.includes(cause.message)
      ? `${own}: ${cause.message}`
      : own
    const details = tagged.details ?? tagged.problems
    return details === undefined ? { tag, message } : { tag, message, details }
  }
  return { tag: "Error", message: String(error) }
}

const describe = (consumes: Consumes) => consumes._tag === "Queue" ? consumes.queue : `${consumes.prefix}*`

const times = (n: number) => `${n} time${n === 1 ? "" : "s"}`

/** Why a job is out of attempts, for its dead letter. */
const exhausted = (history: DeliveryHistory, delivery: number, limit: number): ErrorInfo => ({
  tag: "MaxAttemptsExceeded",
  message: `out of attempts (limit ${limit}): failed ${times(history.failures)}, and took its worker down ${
    times(history.crashes)
  } while running alone (the process died or hung); delivered ${times(delivery)}`,
  details: { failures: history.failures, crashes: history.crashes, deliveries: delivery, limit }
})

/** The bound on writing a delivery's end when it is handed back (shutdown, failed commit). */
const RELEASE_TIMEOUT = Duration.seconds(5)

/**
 * The worker runtime: a Layer with no output. One poller fills the free slots of a bounded pool
 * of job fibers by reading batches from the consumed queues; each job is decoded, deduplicated,
 * handled under a lease, then acknowledged, retried later or dead-lettered. On shutdown it stops
 * reading, lets in-flight jobs finish within the grace period and hands the rest back.
 */
export const layer = (consumes: Consumes): Layer.Layer<
  never,
  never,
  WorkerConfig | PgmqQueue | JobHandler | Acknowledger | Deliveries | Heartbeat | Discord | WorkerIdentity
> =>
  Layer.scopedDiscard(Effect.gen(function*() {
    const config = yield* WorkerConfig
    const pgmq = yield* PgmqQueue
    const handler = yield* JobHandler
    const acknowledger = yield* Acknowledger
    const deliveries = yield* Deliveries
    const heartbeat = yield* Heartbeat
    const discord = yield* Discord
    const identity = yield* WorkerIdentity
    const vt = config.visibilityTimeoutSeconds

    const resolveQueues = consumes._tag === "Queue"
      ? Effect.succeed([consumes.queue])
      : pgmq.listQueues().pipe(
        Effect.map((all) =>
          all.map((q) => q.queueName as QueueName).filter((q) => q.startsWith(consumes.prefix) && q !== DEAD_LETTER_QUEUE)
        )
      )
    const queues = yield* Ref.make<ReadonlyArray<QueueName>>([])
    const refreshQueues = resolveQueues.pipe(
      Effect.tap((found) => Ref.set(queues, found)),
      Effect.tap((found) => heartbeat.setQueues(describe(consumes), found)),
      Effect.catchAllCause((cause) => Effect.logWarning("could not refresh the consumed queues", cause))
    )
    yield* refreshQueues
    if (consumes._tag === "Family") {
      yield* refreshQueues.pipe(Effect.repeat(Schedule.spaced(config.queueRefresh)), Effect.delay(config.queueRefresh), Effect.forkScoped)
    }

    // --- one job ---------------------------------------------------------------------------

    /**
     * Leases: while a job runs its message stays invisible to other workers. One keeper fiber
     * extends, every third of the visibility timeout, the leases of the jobs that have been running
     * at least that long (fenced by read_ct, so a lost lease is never extended for someone else).
     */
    const leaseEvery = Duration.seconds(Math.max(1, Math.floor(vt / 3)))
    const running = new Map<string, { readonly held: Held; readonly since: number }>()
    const leaseKey = (held: Held) => `${held.queue}/${held.message.msgId}`
    const extendLeases = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const due = [...running.values()].filter((lease) => now - lease.since >= Duration.toMillis(leaseEvery))
      const byQueue = new Map<QueueName, Array<Held>>()
      for (const { held } of due) byQueue.set(held.queue, [...(byQueue.get(held.queue) ?? []), held])
      yield* Effect.forEach(byQueue, ([queue, helds]) =>
        pgmq.extendLeases(queue, helds.map((held) => held.message), vt).pipe(
          Effect.flatMap(({ lost }) =>
            Effect.forEach(lost, (msgId) =>
              Effect.logWarning("lease lost: another delivery holds the message").pipe(
                Effect.annotateLogs({ queue, msg_id: msgId })
              ), { discard: true })
          )
        ), { discard: true })
    }).pipe(Effect.catchAllCause((cause) => Effect.logWarning("leases not extended", cause)))
    yield* extendLeases.pipe(Effect.repeat(Schedule.spaced(leaseEvery)), Effect.forkScoped)

    /** From now on the keeper extends the lease (kept as it is for a suspect held since its read). */
    const lease = (held: Held) =>
      Effect.flatMap(Clock.currentTimeMillis, (since) =>
        Effect.sync(() => {
          if (!running.has(leaseKey(held))) running.set(leaseKey(held), { held, since })
        }))
    const withLease = <A, E, R>(held: Held, self: Effect.Effect<A, E, R>) =>
      Effect.acquireUseRelease(lease(held), () => self, () => Effect.sync(() => running.delete(leaseKey(held))))

    /** Hands messages back unfinished, visible at once; no attempt is counted against them. */
    const release = (queue: QueueName, helds: ReadonlyArray<Held>) =>
      deliveries.release(queue, helds.map((held) => held.message)).pipe(
        Effect.timeout(RELEASE_TIMEOUT),
        Effect.catchAllCause((cause) =>
          Effect.logWarning("could not hand the message back; it is delivered again when its lease expires", cause)
        )
      )

    const deadLetter = (held: Held, reason: DeadLetterReason, error: ErrorInfo) =>
      Effect.gen(function*() {
        const result = yield* acknowledger.settle({ _tag: "DeadLetter", held, input: { queue: held.queue, message: held.message, reason, error } })
        if (result._tag !== "Settled") return yield* Effect.logWarning(`not dead-lettered (${result._tag})`)
        yield* heartbeat.deadLettered
        yield* Effect.logError(`dead-lettered: ${reason}`, error)
        const envelope = held.message.message as { readonly job_id?: unknown; readonly trace_id?: unknown } | null
        yield* discord.notify(Alert.DeadLettered({
          queue: held.queue,
          msgId: held.message.msgId,
          reason,
          readCt: held.message.readCt,
          errorTag: error.tag,
          errorMessage: error.message,
          jobId: typeof envelope?.job_id === "string" ? envelope.job_id : null,
          traceId: typeof envelope?.trace_id === "string" ? envelope.trace_id : null,
          workerId: identity.workerId
        }))
      })

    /** A failed attempt: dead-letter what can never succeed, otherwise hand it back after the retry delay. */
    const failed = (held: Held, cause: Cause.Cause<unknown>, attempt: number) =>
      Effect.gen(function*() {
        const error = errorInfo(cause)
        yield* heartbeat.failed(`${error.tag}: ${error.message}`)
        if (error.tag === "InvalidPayload") return yield* deadLetter(held, "invalid_payload", error)
        if (error.tag === "Permanent") return yield* deadLetter(held, "permanent_failure", error)
        if (attempt >= config.maxAttempts) return yield* deadLetter(held, "max_attempts_exceeded", error)
        const delay = yield* redeliveryDelaySeconds(attempt)
        const recorded = yield* deliveries.failed(held, delay, `${error.tag}: ${error.message}`.slice(0, 2000)).pipe(Effect.either)
        if (Either.isLeft(recorded)) {
          return yield* Effect.logWarning(
            `attempt ${attempt} failed, and its retry could not be scheduled (${recorded.left.message}): the message is delivered again when its lease expires`,
            error
          )
        }
        yield* Effect.logWarning(
          recorded.right ? `attempt ${attempt} failed; next delivery in ${delay}s` : `attempt ${attempt} failed; lease already lost`,
          error
        )
      })

    /** Whether the job gave its slot back early (see `Slots.handOff`). */
    interface Slot {
      handedOff: boolean
    }

    const complete = (held: Held, envelope: Envelope.JobEnvelope, writes: Writes | undefined, slot: Slot, attempt: number) =>
      Effect.gen(function*() {
        const settlement: Settlement = writes === undefined
          ? { _tag: "Complete", held, envelope }
          : { _tag: "Complete", held, envelope, writes }
        slot.handedOff = true
        yield* slots.handOff
        const result = yield* acknowledger.settle(settlement).pipe(Effect.ensuring(slots.settled))
        switch (result._tag) {
          case "Settled":
            yield* heartbeat.processed(1)
            return yield* Effect.logDebug(result.duplicate ? "duplicate: already completed elsewhere" : "completed")
          case "WritesFailed":
            return yield* failed(held, result.cause, attempt)
          case "LeaseLost":
            return yield* Effect.logWarning("lease lost before commit: another delivery will complete the job")
          case "CommitFailed": {
            const error = errorInfo(result.cause)
            yield* heartbeat.failed(`commit failed: ${error.tag}: ${error.message}`)
            yield* Effect.logWarning("commit failed or unconfirmed; the message will be delivered again", error)
            return yield* release(held.queue, [held])
          }
        }
      })

    /**
     * One job. `alone`: a suspect, run while nothing else runs in this process, so that if it takes
     * the process down it takes down only itself (see Deliveries).
     */
    const runJob = (taken: Taken, slot: Slot, alone: boolean) => {
      const { held } = taken
      const decoded = Either.getOrUndefined(taken.envelope)
      const delivery = held.message.readCt
      // One set of annotations per job, for its logs and its span.
      const annotations = decoded === undefined
        ? { queue: held.queue, msg_id: held.message.msgId }
        : { queue: held.queue, msg_id: held.message.msgId, job_id: decoded.job_id, trace_id: decoded.trace_id }
      return Effect.gen(function*() {
        if (Either.isLeft(taken.envelope)) {
          return yield* deadLetter(held, "invalid_envelope", {
            tag: "InvalidEnvelope",
            message: taken.envelope.left.message,
            details: taken.envelope.left.problems
          })
        }
        const envelope = taken.envelope.right
        yield* withLease(
          held,
          Effect.gen(function*() {
            if (taken.alreadyCompleted) return yield* complete(held, envelope, undefined, slot, 1)
            let history = taken.history
            if (alone) {
              const marked = yield* deliveries.isolate(held)
              if (Option.isNone(marked)) return yield* Effect.logWarning("lease lost before the job could run alone")
              history = marked.value
              yield* Effect.logInfo(
                `running alone: delivery ${delivery} after one that ended without a trace (failed ${
                  times(history.failures)
                }, took its worker down ${times(history.crashes)} so far)`
              )
            }
            if (attemptsUsed(history) >= config.maxAttempts) {
              return yield* deadLetter(held, "max_attempts_exceeded", exhausted(history, delivery, config.maxAttempts))
            }
            const attempt = attemptsUsed(history) + 1
            const outcome = yield* handler.handle({ envelope, queue: held.queue, msgId: held.message.msgId, attempt, delivery })
              .pipe(Effect.exit)
            if (outcome._tag === "Failure") {
              if (Cause.isInterruptedOnly(outcome.cause)) return yield* Effect.interrupt
              return yield* failed(held, outcome.cause, attempt)
            }
            yield* complete(held, envelope, outcome.value === noWrites ? undefined : outcome.value, slot, attempt)
          })
        )
      }).pipe(
        Effect.annotateLogs(annotations),
        Effect.withSpan("Worker.job", {
          attributes: decoded === undefined
            ? annotations
            : { ...annotations, "envelope.attempt": decoded.attempt, "delivery": delivery, "alone": alone },
          captureStackTrace: false
        }),
        // Interrupted by shutdown before settling: hand the message back at once.
        Effect.onInterrupt(() => release(held.queue, [held])),
        Effect.catchAllCause((cause) => Effect.logError("job runner failed; the message will be delivered again", cause))
      )
    }

    // --- the poller ----------------------------------------------------------------------------

    const slots = yield* Slots.make(config.concurrency, config.batchSize, GATHER_WINDOW)
    const jobs = yield* FiberSet.make<void, never>()
    const rotation = yield* Ref.make(0)

    /** Up to `wanted` messages, starting from a different queue each round so none starves. */
    const readRound = (wanted: number) =>
      Effect.gen(function*() {
        const all = yield* Ref.get(queues)
        const start = yield* Ref.getAndUpdate(rotation, (n) => n + 1)
        const taken: Array<Taken> = []
        for (let i = 0; i < all.length && taken.length < wanted; i++) {
          const queue = all[(start + i) % all.length]!
          const read = yield* pgmq.readWithLedger(queue, { visibilityTimeout: vt, quantity: wanted - taken.length })
          // Only a redelivered message has a past worth a query.
          const histories = read.some((r) => r.message.readCt > 1)
            ? yield* deliveries.history(queue, read.map((r) => r.message))
            : undefined
          for (const { completed, message } of read) {
            taken.push({
              held: { queue, message },
              envelope: Envelope.decodeEither(message.message),
              alreadyCompleted: completed,
              history: histories?.get(message.msgId) ?? firstDelivery
            })
          }
        }
        return taken
      })

    /** A suspect that would run its handler (and is not out of attempts already) must run alone. */
    const mustRunAlone = (taken: Taken) =>
      taken.history.suspect && Either.isRight(taken.envelope) && !taken.alreadyCompleted &&
      attemptsUsed(taken.history) < config.maxAttempts

    /** Suspects read and held (their leases kept) until nothing else runs here. */
    const suspects: Array<Taken> = []

    const start = (taken: Taken, alone: boolean) =>
      Effect.gen(function*() {
        yield* heartbeat.jobStarted
        const slot: Slot = { handedOff: false }
        yield* FiberSet.run(
          jobs,
          runJob(taken, slot, alone).pipe(
            Effect.ensuring(Effect.zipRight(heartbeat.jobEnded, Effect.suspend(() => slot.handedOff ? Effect.void : slots.release(1))))
          )
        )
      })

    /** Waits until nothing runs, then runs the next suspect by itself to its end. */
    const runNextSuspect = Effect.gen(function*() {
      yield* FiberSet.awaitEmpty(jobs)
      const free = yield* slots.acquire
      yield* slots.release(free - 1)
      // Held until it has started, so that a shutdown in between still hands it back.
      yield* start(suspects[0]!, true)
      suspects.shift()
      yield* FiberSet.awaitEmpty(jobs)
    })

    const idleDelay = yield* Ref.make(FIRST_IDLE_POLL)
    const pollOnce = Effect.gen(function*() {
      if (suspects.length > 0) return yield* runNextSuspect
      const free = yield* slots.acquire
      const taken = yield* readRound(free).pipe(Effect.onError(() => slots.release(free)))
      const together = taken.filter((t) => !mustRunAlone(t))
      yield* slots.release(free - together.length)
      if (taken.length === 0) {
        const delay = yield* Ref.getAndUpdate(idleDelay, (d) => Duration.min(Duration.times(d, 2), config.idlePoll))
        return yield* Effect.sleep(delay)
      }
      yield* Ref.set(idleDelay, FIRST_IDLE_POLL)
      for (const suspect of taken.filter(mustRunAlone)) {
        yield* lease(suspect.held)
        suspects.push(suspect)
      }
      for (const job of together) yield* start(job, false)
    })

    const poller = yield* pollOnce.pipe(
      Effect.catchAllCause((cause) =>
        Effect.logError("poll failed; retrying", cause).pipe(Effect.zipRight(Effect.sleep("1 second")))
      ),
      Effect.forever,
      Effect.annotateLogs({ service: identity.service, worker_id: identity.workerId }),
      Effect.forkScoped
    )

    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        yield* heartbeat.setStatus("draining")
        yield* Effect.logInfo("stopping: no new jobs; waiting for jobs in flight")
        yield* Fiber.interrupt(poller)
        const drained = yield* FiberSet.awaitEmpty(jobs).pipe(
          Effect.interruptible,
          Effect.timeout(config.shutdownGrace),
          Effect.isSuccess
        )
        if (!drained) {
          const left = yield* FiberSet.size(jobs)
          yield* Effect.logWarning(`${left} job(s) still running after the grace period; handing their messages back`)
          yield* FiberSet.clear(jobs)
        }
        const unrun = suspects.splice(0).map((taken) => taken.held)
        for (const held of unrun) running.delete(leaseKey(held))
        for (const queue of new Set(unrun.map((held) => held.queue))) {
          yield* release(queue, unrun.filter((held) => held.queue === queue))
        }
      })
    )

    yield* heartbeat.setStatus("running")
    yield* Effect.logInfo(`consuming ${describe(consumes)} with ${config.concurrency} slots`)
  }))
