import { Cause, Clock, Duration, Effect, Either, Fiber, FiberSet, Layer, Option, Ref, Schedule } from "effect"
import { Alert, Discord } from "../alerts/index.js"
import { WorkerConfig } from "../config/index.js"
import type { DeadLetterReason, ErrorInfo } from "../deadletter/DeadLetter.js"
import * as Envelope from "../envelope/index.js"
import { Heartbeat } from "../heartbeat/Heartbeat.js"
import { type Consumes, DEAD_LETTER_QUEUE } from "../queue/catalog.js"
import { PgmqQueue } from "../queue/PgmqQueue.js"
import type { QueueName } from "../queue/QueueName.js"
import { Acknowledger, type Held, type Settlement } from "./Acknowledger.js"
import { JobHandler, noWrites, type Writes } from "./JobHandler.js"
import { redeliveryDelaySeconds } from "./retryPolicy.js"
import * as Slots from "./Slots.js"
import { WorkerIdentity } from "./WorkerIdentity.js"

/** A read message with its envelope decoded (or the reason it is not one). */
interface Taken {
  readonly held: Held
  readonly envelope: Either.Either<Envelope.JobEnvelope, Envelope.InvalidEnvelope>
  readonly alreadyCompleted: boolean
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
    const message = typeof tagged.message === "string" && tagged.message !== "" ? tagged.message : String(error)
    const details = tagged.details ?? tagged.problems
    return details === undefined ? { tag, message } : { tag, message, details }
  }
  return { tag: "Error", message: String(error) }
}

const describe = (consumes: Consumes) => consumes._tag === "Queue" ? consumes.queue : `${consumes.prefix}*`

/**
 * The worker runtime: a Layer with no output. One poller fills the free slots of a bounded pool
 * of job fibers by reading batches from the consumed queues; each job is decoded, deduplicated,
 * handled under a lease, then acknowledged, retried later or dead-lettered. On shutdown it stops
 * reading, lets in-flight jobs finish within the grace period and hands the rest back.
 */
export const layer = (consumes: Consumes): Layer.Layer<
  never,
  never,
  WorkerConfig | PgmqQueue | JobHandler | Acknowledger | Heartbeat | Discord | WorkerIdentity
> =>
  Layer.scopedDiscard(Effect.gen(function*() {
    const config = yield* WorkerConfig
    const pgmq = yield* PgmqQueue
    const handler = yield* JobHandler
    const acknowledger = yield* Acknowledger
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
      yield* Effect.forEach(due, ({ held }) =>
        pgmq.setVtIfDelivery(held.queue, held.message.msgId, held.message.readCt, vt).pipe(
          Effect.flatMap((ours) =>
            ours ? Effect.void : Effect.logWarning("lease lost: another delivery holds the message").pipe(
              Effect.annotateLogs({ queue: held.queue, msg_id: held.message.msgId })
            )
          )
        ), { discard: true })
    }).pipe(Effect.catchAllCause((cause) => Effect.logWarning("leases not extended", cause)))
    yield* extendLeases.pipe(Effect.repeat(Schedule.spaced(leaseEvery)), Effect.forkScoped)

    const withLease = <A, E, R>(held: Held, self: Effect.Effect<A, E, R>) =>
      Effect.acquireUseRelease(
        Effect.flatMap(Clock.currentTimeMillis, (since) => Effect.sync(() => running.set(leaseKey(held), { held, since }))),
        () => self,
        () => Effect.sync(() => running.delete(leaseKey(held)))
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
    const failed = (held: Held, cause: Cause.Cause<unknown>) =>
      Effect.gen(function*() {
        const error = errorInfo(cause)
        yield* heartbeat.failed(`${error.tag}: ${error.message}`)
        if (error.tag === "InvalidPayload") return yield* deadLetter(held, "invalid_payload", error)
        if (error.tag === "Permanent") return yield* deadLetter(held, "permanent_failure", error)
        const attempt = held.message.readCt
        if (attempt >= config.maxAttempts) return yield* deadLetter(held, "max_attempts_exceeded", error)
        const delay = yield* redeliveryDelaySeconds(attempt)
        const ours = yield* pgmq.setVtIfDelivery(held.queue, held.message.msgId, attempt, delay).pipe(
          Effect.catchAll((sqlError) => Effect.as(Effect.logWarning("retry delay not set", sqlError), true))
        )
        yield* Effect.logWarning(
          ours ? `attempt ${attempt} failed; next delivery in ${delay}s` : `attempt ${attempt} failed; lease already lost`,
          error
        )
      })

    /** Whether the job gave its slot back early (see `Slots.handOff`). */
    interface Slot {
      handedOff: boolean
    }

    const complete = (held: Held, envelope: Envelope.JobEnvelope, writes: Writes | undefined, slot: Slot) =>
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
            return yield* failed(held, result.cause)
          case "LeaseLost":
            return yield* Effect.logWarning("lease lost before commit: another delivery will complete the job")
          case "CommitFailed":
            return yield* heartbeat.failed(`commit failed: ${result.error.message}`)
        }
      })

    const runJob = (taken: Taken, slot: Slot) => {
      const { held } = taken
      const decoded = Either.getOrUndefined(taken.envelope)
      // One set of annotations per job, for its logs and its span.
      const annotations = decoded === undefined
        ? { queue: held.queue, msg_id: held.message.msgId }
        : { queue: held.queue, msg_id: held.message.msgId, job_id: decoded.job_id, trace_id: decoded.trace_id }
      return Effect.gen(function*() {
        const attempt = held.message.readCt
        if (attempt > config.maxAttempts) {
          return yield* deadLetter(held, "max_attempts_exceeded", {
            tag: "MaxAttemptsExceeded",
            message: `delivered ${attempt} times (limit ${config.maxAttempts}) without completing: the worker crashed or lost its lease each time`
          })
        }
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
            if (taken.alreadyCompleted) return yield* complete(held, envelope, undefined, slot)
            const outcome = yield* handler.handle({ envelope, queue: held.queue, msgId: held.message.msgId, attempt }).pipe(
              Effect.exit
            )
            if (outcome._tag === "Failure") {
              if (Cause.isInterruptedOnly(outcome.cause)) return yield* Effect.interrupt
              return yield* failed(held, outcome.cause)
            }
            yield* complete(held, envelope, outcome.value === noWrites ? undefined : outcome.value, slot)
          })
        )
      }).pipe(
        Effect.annotateLogs(annotations),
        Effect.withSpan("Worker.job", {
          attributes: decoded === undefined ? annotations : { ...annotations, "envelope.attempt": decoded.attempt },
          captureStackTrace: false
        }),
        // Interrupted by shutdown before settling: hand the message back at once.
        Effect.onInterrupt(() =>
          pgmq.setVtIfDelivery(held.queue, held.message.msgId, held.message.readCt, 0).pipe(Effect.ignore)
        ),
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
          for (const { completed, message } of read) {
            taken.push({ held: { queue, message }, envelope: Envelope.decodeEither(message.message), alreadyCompleted: completed })
          }
        }
        return taken
      })

    const idleDelay = yield* Ref.make(FIRST_IDLE_POLL)
    const pollOnce = Effect.gen(function*() {
      const free = yield* slots.acquire
      const taken = yield* readRound(free).pipe(Effect.onError(() => slots.release(free)))
      yield* slots.release(free - taken.length)
      if (taken.length === 0) {
        const delay = yield* Ref.getAndUpdate(idleDelay, (d) => Duration.min(Duration.times(d, 2), config.idlePoll))
        return yield* Effect.sleep(delay)
      }
      yield* Ref.set(idleDelay, FIRST_IDLE_POLL)
      for (const job of taken) {
        yield* heartbeat.jobStarted
        const slot: Slot = { handedOff: false }
        yield* FiberSet.run(
          jobs,
          runJob(job, slot).pipe(
            Effect.ensuring(Effect.zipRight(heartbeat.jobEnded, Effect.suspend(() => slot.handedOff ? Effect.void : slots.release(1))))
          )
        )
      }
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
      })
    )

    yield* heartbeat.setStatus("running")
    yield* Effect.logInfo(`consuming ${describe(consumes)} with ${config.concurrency} slots`)
  }))
