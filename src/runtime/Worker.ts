import { Cause, Context, DefaultServices, Duration, Effect, Either, Exit, Fiber, FiberRef, FiberRefs, FiberSet, HashMap, Layer, Option, Queue, Ref, Schedule, Stream, Tracer } from "effect"
import { Discord } from "../alerts/index.js"
import { WorkerConfig } from "../config/index.js"
import * as Envelope from "../envelope/index.js"
import { Heartbeat } from "../heartbeat/Heartbeat.js"
import * as Metrics from "../observability/Metrics.js"
import { type Consumes, DEAD_LETTER_QUEUE } from "../queue/catalog.js"
import { JobNotifications } from "../queue/JobNotifications.js"
import { PgmqQueue } from "../queue/PgmqQueue.js"
import type { QueueName } from "../queue/QueueName.js"
import { Acknowledger, type SettleResult } from "./Acknowledger.js"
import { attemptsUsed, Deliveries, type DeliveryHistory, type Held } from "./Deliveries.js"
import { JobHandler, noWrites, type Writes } from "./JobHandler.js"
import * as Leases from "./Leases.js"
import * as Outcomes from "./Outcomes.js"
import * as Poller from "./Poller.js"
import { WorkerIdentity } from "./WorkerIdentity.js"

const describe = (consumes: Consumes) => consumes._tag === "Queue" ? consumes.queue : `${consumes.prefix}*`

const times = (n: number) => `${n} time${n === 1 ? "" : "s"}`

/**
 * Handlers this fast on average let the poller read a few batches ahead of the free slots, but no
 * more than this worker starts in a sixth of the visibility timeout: a message read ahead waits
 * with its lease running, and one that waits too long (a busy machine) is lost to another worker
 * and then runs alone, as a suspect.
 */
const READ_AHEAD_BELOW_MILLIS = 50
const READ_AHEAD_BATCHES = 2
const READ_AHEAD_LEASE_SHARE = 1 / 6
/** Reads in flight at once while there is work. */
const MAX_READS = 3

/**
 * From its enqueue to its start: the time in the queue by the database's clock (its read set `vt` to
 * the database's now plus the visibility timeout), then the time this worker held it before starting
 * it. The worker's wall clock, which may be skewed, plays no part.
 */
const queueWaitSeconds = (taken: Poller.Taken, startedAt: number, visibilityTimeoutSeconds: number) => {
  const { enqueuedAt, vt } = taken.held.message
  const inQueue = vt.getTime() - visibilityTimeoutSeconds * 1000 - enqueuedAt.getTime()
  return Math.max(0, inQueue + startedAt - taken.readAt) / 1000
}

/** The tracer a program has when nobody installed one: job spans are only built for a real one. */
const defaultTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** One job of a read: what was taken, and whether its completion went to the group commit. */
interface Job {
  readonly taken: Poller.Taken
  submitted: boolean
  /** `performance.now()` when it started. */
  readonly began: number
  readonly metrics: Metrics.QueueMetrics
}

/**
 * The worker runtime: a Layer with no output. The poller reads batches from the consumed queues
 * whenever there is room; up to WORKER_CONCURRENCY jobs run at once, each in a fiber of its own,
 * and while short jobs run one batch more is read ahead. A job whose handler is done hands its
 * completion to the group commit and frees its slot at once, so reading, running and committing
 * overlap. Leases keep every held message invisible; outcome routing dead-letters, retries or
 * hands back what did not complete. On shutdown it stops reading, lets in-flight jobs finish within
 * the grace period and hands the rest back.
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
    const capacity = config.concurrency
    // A read waits for room for this many (unless nothing is left to run) and takes at most batchSize.
    const batch = Math.min(config.batchSize, capacity)
    // Jobs waiting for their commit hold messages too; beyond this many the poller waits.
    const maxSettling = Math.max(200, 4 * (capacity + config.batchSize))
    // Nor does it read or start jobs while its commits are this far behind (`backlogMillis`): when
    // commits are slow (slow writes, a struggling database), more jobs would only wait longer, and
    // past the visibility timeout be given up on and run again.
    const maxSettleBacklogMillis = (config.visibilityTimeoutSeconds * 1000) / 3

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

    const leases = yield* Leases.make(pgmq, config.visibilityTimeoutSeconds)
    const outcomes = Outcomes.make({ config, acknowledger, deliveries, heartbeat, discord, identity })
    const jobs = yield* FiberSet.make<void, never>()
    const workerAnnotations = { service: identity.service, worker_id: identity.workerId }
    const runFork = yield* FiberSet.runtime(jobs)().pipe(Effect.annotateLogs(workerAnnotations))
    const traced = (yield* Effect.tracer) !== defaultTracer

    // --- the pool: what runs, what waits to run, what waits for its commit ------------------

    let running = 0
    let settling = 0
    let stopping = false
    let aloneRunning = false
    /** Mean handler time of recent jobs in ms; unknown until one has finished. */
    let meanMillis: number | undefined
    const ready: Array<Poller.Taken> = []
    /** Suspects read and held (their leases kept) until nothing else runs here. */
    const suspects: Array<Poller.Taken> = []
    const changed = yield* Queue.sliding<void>(1)
    const wake = () => void Queue.unsafeOffer(changed, undefined)
    yield* heartbeat.countInFlight(() => running)

    /** Jobs started, and the rate of starts per second measured from it (none until a second has passed). */
    let started = 0
    let startedBefore = 0
    let startsPerSecond: number | undefined
    const measureStarts = Effect.sync(() => {
      const last = started - startedBefore
      startedBefore = started
      startsPerSecond = startsPerSecond === undefined ? last : 0.5 * startsPerSecond + 0.5 * last
    })
    yield* measureStarts.pipe(Effect.repeat(Schedule.spaced("1 second")), Effect.delay("1 second"), Effect.forkScoped)

    const readAhead = () => {
      if (meanMillis === undefined || meanMillis >= READ_AHEAD_BELOW_MILLIS) return 0
      // Until a rate is measured, what the slots would do at the handlers' mean time.
      const rate = startsPerSecond ?? capacity * 1000 / Math.max(meanMillis, 0.001)
      return Math.min(READ_AHEAD_BATCHES * config.batchSize, Math.floor(rate * config.visibilityTimeoutSeconds * READ_AHEAD_LEASE_SHARE))
    }
    /**
     * While reading ahead, a read waits for half of what may be held (a whole batch at most): what is
     * still ready covers its round trip.
     */
    const minimumRead = (ahead: number) =>
      ahead > 0 ? Math.min(config.batchSize, Math.max(batch, Math.floor((capacity + ahead) / 2))) : batch

    /** Settled or given up on: nothing of it is held any more. */
    const done = (held: Held) =>
      Effect.sync(() => {
        leases.drop(held)
        wake()
      })

    /** What the group commit said about a completion. */
    const answer = (job: Job, attempt: number) => (result: SettleResult): Effect.Effect<void> => {
      const { held } = job.taken
      settling--
      fill()
      wake()
      if (result._tag === "Settled") {
        leases.drop(held)
        job.metrics.completed((performance.now() - job.began) / 1000)
        return result.duplicate ? Effect.logDebug("duplicate: already completed elsewhere") : Effect.void
      }
      return Effect.sync(() =>
        void runFork(
          outcomes.unsettled(held, result, attempt).pipe(
            Effect.ensuring(done(held)),
            Effect.annotateLogs({ queue: held.queue, msg_id: held.message.msgId })
          )
        )
      )
    }

    /** When traced, the writes run (in the group commit's fiber) as children of the job's span. */
    const inJobSpan = (writes: Writes): Effect.Effect<Writes> =>
      !traced || writes === noWrites
        ? Effect.succeed(writes)
        : Effect.map(Effect.option(Effect.currentSpan), Option.match({
          onNone: () => writes,
          onSome: (span) => Effect.withParentSpan(writes, span)
        }))

    const complete = (job: Job, envelope: Envelope.JobEnvelope, given: Writes, attempt: number) =>
      Effect.flatMap(inJobSpan(given), (writes) => {
        const held = job.taken.held
        job.submitted = true
        settling++
        return acknowledger.submit(
          writes === noWrites ? { _tag: "Complete", held, envelope } : { _tag: "Complete", held, envelope, writes },
          answer(job, attempt)
        )
      })

    const handle = (job: Job, envelope: Envelope.JobEnvelope, attempt: number) => {
      const { held } = job.taken
      return handler.handle({ envelope, queue: held.queue, msgId: held.message.msgId, attempt, delivery: held.message.readCt })
        .pipe(
          Effect.matchCauseEffect({
            onFailure: (cause) => Cause.isInterruptedOnly(cause) ? Effect.interrupt : outcomes.failed(held, cause, attempt),
            onSuccess: (writes) => complete(job, envelope, writes, attempt)
          })
        )
    }

    /**
     * One job. `alone`: a suspect, run while nothing else runs in this process, so that if it takes
     * the process down it takes down only itself (see Deliveries).
     */
    const runJob = (job: Job, alone: boolean) => {
      const { taken } = job
      const { held } = taken
      if (Either.isLeft(taken.envelope)) {
        return outcomes.deadLetter(held, "invalid_envelope", {
          tag: "InvalidEnvelope",
          message: taken.envelope.left.message,
          details: taken.envelope.left.problems
        })
      }
      const envelope = taken.envelope.right
      if (taken.alreadyCompleted) return complete(job, envelope, noWrites, 1)
      const delivery = held.message.readCt
      /** The next attempt after `history`, or a dead letter when none is left. */
      const attemptAfter = (history: DeliveryHistory) =>
        attemptsUsed(history) >= config.maxAttempts
          ? outcomes.deadLetter(held, "max_attempts_exceeded", Outcomes.exhausted(history, delivery, config.maxAttempts))
          : handle(job, envelope, attemptsUsed(history) + 1)
      const body = alone
        ? Effect.gen(function*() {
          const marked = yield* deliveries.isolate(held)
          if (Option.isNone(marked)) return yield* Effect.logWarning("lease lost before the job could run alone")
          const history = marked.value
          yield* Effect.logInfo(
            `running alone: delivery ${delivery} after one that ended without a trace (failed ${
              times(history.failures)
            }, took its worker down ${times(history.crashes)} so far)`
          )
          yield* attemptAfter(history)
        })
        : attemptAfter(taken.history)
      if (!traced) return body
      return Effect.withSpan(body, "Worker.job", {
        parent: Envelope.TraceLink.parentOf(envelope, held.message.message),
        attributes: {
          queue: held.queue,
          msg_id: held.message.msgId,
          job_id: envelope.job_id,
          trace_id: envelope.trace_id,
          "envelope.attempt": envelope.attempt,
          delivery,
          alone
        },
        captureStackTrace: false
      })
    }

    /** The job's logs carry its queue, message and, for a valid envelope, job and trace ids. */
    const annotated = (inherited: HashMap.HashMap<string, unknown>, taken: Poller.Taken) => {
      const withMessage = HashMap.set(HashMap.set(inherited, "queue", taken.held.queue), "msg_id", taken.held.message.msgId)
      if (Either.isLeft(taken.envelope)) return withMessage
      return HashMap.set(HashMap.set(withMessage, "job_id", taken.envelope.right.job_id), "trace_id", taken.envelope.right.trace_id)
    }

    const start = (taken: Poller.Taken, alone: boolean) => {
      const began = performance.now()
      const job: Job = { taken, submitted: false, began, metrics: Metrics.forQueue(taken.held.queue) }
      job.metrics.started()
      job.metrics.waited(queueWaitSeconds(taken, began, config.visibilityTimeoutSeconds))
      running++
      started++
      if (alone) aloneRunning = true
      const fiber = runFork(
        runJob(job, alone).pipe(
          Effect.catchAllCause((cause) =>
            Cause.isInterruptedOnly(cause)
              ? Effect.interrupt
              : Effect.logError("job runner failed; the message will be delivered again", cause)
          )
        ),
        {
          updateRefs: (refs, fiberId) =>
            FiberRefs.updateAs(refs, {
              fiberId,
              fiberRef: FiberRef.currentLogAnnotations,
              value: annotated(FiberRefs.getOrDefault(refs, FiberRef.currentLogAnnotations), taken)
            })
        }
      )
      fiber.addObserver((exit) => {
        running--
        if (alone) aloneRunning = false
        const took = performance.now() - began
        meanMillis = meanMillis === undefined ? took : 0.9 * meanMillis + 0.1 * took
        // Interrupted (shutdown) before its completion was handed over: released by the drain.
        if (!job.submitted && !Exit.isInterrupted(exit)) leases.drop(taken.held)
        fill()
        wake()
      })
    }

    const commitsKeepUp = () => acknowledger.backlogMillis() < maxSettleBacklogMillis

    /** Starts ready jobs while there are free slots and commits keep up (none while a suspect runs alone). */
    const fill = () => {
      // Starting jobs does not change the commit backlog: one look per fill.
      if (stopping || aloneRunning || ready.length === 0 || running >= capacity || !commitsKeepUp()) return
      while (running < capacity && ready.length > 0) start(ready.shift()!, false)
    }

    /** A suspect that would run its handler (and is not out of attempts already) must run alone. */
    const mustRunAlone = (taken: Poller.Taken) =>
      taken.history.suspect && Either.isRight(taken.envelope) && !taken.alreadyCompleted &&
      attemptsUsed(taken.history) < config.maxAttempts

    const deliver = (taken: ReadonlyArray<Poller.Taken>) =>
      Effect.sync(() => {
        for (const t of taken) {
          leases.hold(t.held)
          if (mustRunAlone(t)) suspects.push(t)
          else ready.push(t)
        }
        fill()
        // The room reserved for this read is free again, whatever it found.
        wake()
      })

    const waitForChange = Queue.take(changed)

    /**
     * Waits until nothing runs, waits to run or waits for its commit, then runs the next suspect by
     * itself to its end (its commit included).
     */
    const runNextSuspect = Effect.gen(function*() {
      while (running > 0 || ready.length > 0 || settling > 0) yield* waitForChange
      start(suspects.shift()!, true)
      while (running > 0 || settling > 0) yield* waitForChange
    })

    /** Room promised to reads in flight. */
    let reserved = 0

    /**
     * Room for a read: slots free (counting the jobs ready to run and the reads in flight), plus
     * read-ahead while jobs are short. Reads stay batched under load: it waits for a whole batch of
     * room unless nothing is left to run. Every read costs the same round trip and bookkeeping
     * whatever it takes, so fewer, fuller reads are most of a fast queue's speed.
     */
    const room = Effect.gen(function*() {
      while (true) {
        if (suspects.length > 0) {
          yield* runNextSuspect
          continue
        }
        const ahead = readAhead()
        const free = capacity + ahead - running - ready.length - reserved
        if (settling < maxSettling && commitsKeepUp() && (free >= minimumRead(ahead) || (free > 0 && ready.length === 0 && reserved === 0))) {
          const wanted = Math.min(free, config.batchSize)
          reserved += wanted
          return wanted
        }
        yield* waitForChange
      }
    })

    // Where sends are notified, an idle worker reads as soon as one of its queues has a new message;
    // elsewhere (a transaction pooler) the server watches for sends while the worker is idle.
    const notifications = yield* Effect.serviceOption(JobNotifications)
    const poller = yield* Poller.make({
      config,
      pgmq,
      deliveries,
      queues,
      room,
      deliver: (taken, wanted) => Effect.zipRight(Effect.sync(() => void (reserved -= wanted)), deliver(taken)),
      maxReads: MAX_READS,
      waitOnServer: Option.isNone(notifications) || !notifications.value.listening
    })
    const polling = yield* poller.loop.pipe(Effect.annotateLogs(workerAnnotations), Effect.forkScoped)

    if (Option.isSome(notifications)) {
      yield* notifications.value.queues.pipe(
        Stream.runForEach((queue) =>
          Effect.flatMap(Ref.get(queues), (consumed) => (consumed.includes(queue as QueueName) ? poller.nudge : Effect.void))
        ),
        Effect.annotateLogs(workerAnnotations),
        Effect.forkScoped
      )
    }

    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        yield* heartbeat.setStatus("draining")
        yield* Effect.logInfo("stopping: no new jobs; waiting for jobs in flight")
        yield* Fiber.interrupt(polling)
        stopping = true
        yield* poller.settled
        const drained = yield* FiberSet.awaitEmpty(jobs).pipe(
          Effect.interruptible,
          Effect.timeout(config.shutdownGrace),
          Effect.isSuccess
        )
        if (!drained) {
          yield* Effect.logWarning(`${running} job(s) still running after the grace period; handing their messages back`)
          yield* FiberSet.clear(jobs)
        }
        // Completions already handed over are answered (committed, or given up on) before the rest goes back.
        yield* Effect.gen(function*() {
          while (settling > 0) yield* waitForChange
          yield* FiberSet.awaitEmpty(jobs)
        }).pipe(Effect.interruptible, Effect.timeout(Duration.seconds(config.visibilityTimeoutSeconds)), Effect.ignore)
        const unfinished = leases.all()
        for (const held of unfinished) leases.drop(held)
        for (const queue of new Set(unfinished.map((held) => held.queue))) {
          yield* outcomes.release(queue, unfinished.filter((held) => held.queue === queue))
        }
      })
    )

    yield* heartbeat.setStatus("running")
    yield* Effect.logInfo(`consuming ${describe(consumes)} with ${config.concurrency} slots`)
  }))
