import { Duration, Effect, type Either, FiberSet, Queue, Ref } from "effect"
import type { WorkerSettings } from "../config/index.js"
import * as Envelope from "../envelope/index.js"
import type { PgmqQueue } from "../queue/PgmqQueue.js"
import type { QueueName } from "../queue/QueueName.js"
import { type Deliveries, type DeliveryHistory, firstDelivery, type Held } from "./Deliveries.js"

/** A read message with its envelope decoded (or the reason it is not one) and what its earlier deliveries left. */
export interface Taken {
  readonly held: Held
  readonly envelope: Either.Either<Envelope.JobEnvelope, Envelope.InvalidEnvelope>
  readonly alreadyCompleted: boolean
  readonly history: DeliveryHistory
  /** `performance.now()` when it was read. */
  readonly readAt: number
}

export interface PollerDeps {
  readonly config: WorkerSettings
  readonly pgmq: PgmqQueue
  readonly deliveries: Deliveries
  readonly queues: Ref.Ref<ReadonlyArray<QueueName>>
  /** Waits until the worker has room and reserves it for a read: how many messages (at least 1). */
  readonly room: Effect.Effect<number>
  /** Takes what a read found, and gives back the room reserved for it (`reserved`). */
  readonly deliver: (taken: ReadonlyArray<Taken>, reserved: number) => Effect.Effect<void>
  /** How many reads may be in flight at once while there is work. */
  readonly maxReads: number
  /**
   * Idle, wait on the server for sends (`PgmqQueue.awaitMessages`) rather than in this process;
   * for workers without notifications of sends, whose pickup would otherwise wait for the next poll.
   */
  readonly waitOnServer: boolean
}

const FIRST_IDLE_POLL = Duration.millis(5)
/** An idle worker's wait on the server: how often it looks for new sends, and its longest statement. */
const SEND_PROBE_EVERY_MS = 20
const SERVER_WAIT_MS = 1_000

/**
 * The poller: whenever the worker has room, a read round over the consumed queues, starting from a
 * different queue each round so that none starves. While rounds find work, up to `maxReads` of
 * them are in flight at once (reading overlaps running and committing, and Postgres flushes the
 * reads' commits together). Once one finds nothing, reads go one at a time after a delay, from 5 ms
 * doubling up to WORKER_IDLE_POLL_MS, until one finds work again. The delay ends early on a nudge
 * (a notified send) or, without notifications, is spent waiting on the server, which ends it as
 * soon as a send moves one of the queues' sequences.
 */
export const make = ({ config, deliver, deliveries, maxReads, pgmq, queues, room, waitOnServer }: PollerDeps) =>
  Effect.gen(function*() {
    const vt = config.visibilityTimeoutSeconds
    let rotation = 0
    let idleDelay = FIRST_IDLE_POLL

    const readRound = (wanted: number) =>
      Effect.gen(function*() {
        const all = yield* Ref.get(queues)
        const start = rotation++
        const taken: Array<Taken> = []
        for (let i = 0; i < all.length && taken.length < wanted; i++) {
          const queue = all[(start + i) % all.length]!
          const read = yield* pgmq.readWithLedger(queue, { visibilityTimeout: vt, quantity: wanted - taken.length })
          // Only a redelivered message has a past worth a query.
          const histories = read.some((r) => r.message.readCt > 1)
            ? yield* deliveries.history(queue, read.map((r) => r.message))
            : undefined
          const readAt = performance.now()
          for (const { completed, message } of read) {
            taken.push({
              held: { queue, message },
              envelope: Envelope.decodeEither(message.message),
              alreadyCompleted: completed,
              history: histories?.get(message.msgId) ?? firstDelivery,
              readAt
            })
          }
        }
        return taken
      })

    const reads = yield* Effect.makeSemaphore(maxReads)
    const nudges = yield* Queue.sliding<void>(1)
    const inFlight = yield* FiberSet.make<void, never>()
    /** Whether the last read that ended found nothing: then reads go one at a time, spaced out. */
    let idle = false
    /** The queues' sequences when the server last looked, for which queues they belong to. */
    let seen: { readonly queues: ReadonlyArray<QueueName>; readonly values: ReadonlyArray<string> } | undefined

    /** Until a send, a visible message, or `delay` (only the next probe for a visible one, on the server). */
    const idleWait = (delay: Duration.Duration) =>
      waitOnServer
        ? Effect.gen(function*() {
          const all = yield* Ref.get(queues)
          const since = seen !== undefined && seen.queues === all ? seen.values : undefined
          // Disconnected: stopping the worker does not wait for a cancel of the statement (a round
          // trip of its own, and none at all when Postgres is going down too); it ends by itself.
          const values = yield* Effect.disconnect(pgmq.awaitMessages(all, since, {
            maxWaitMs: SERVER_WAIT_MS,
            probeEveryMs: SEND_PROBE_EVERY_MS,
            visibleEveryMs: Duration.toMillis(delay)
          }))
          seen = { queues: all, values }
        }).pipe(
          Effect.catchAllCause((cause) => {
            seen = undefined
            return Effect.logWarning("could not wait for messages on the server; polling", cause).pipe(
              Effect.zipRight(Effect.sleep(delay))
            )
          })
        )
        : Queue.take(nudges).pipe(Effect.timeoutOption(delay))

    const read = (wanted: number) =>
      readRound(wanted).pipe(
        Effect.tap((taken) => Effect.sync(() => void (idle = taken.length === 0))),
        Effect.onError(() => Effect.sync(() => void (idle = true))),
        Effect.matchCauseEffect({
          onSuccess: (taken) => deliver(taken, wanted),
          onFailure: (cause) =>
            Effect.zipRight(
              deliver([], wanted),
              Effect.logError("poll failed; retrying", cause).pipe(Effect.zipRight(Effect.sleep("1 second")))
            )
        })
      )

    const pollOnce = Effect.gen(function*() {
      if (idle) {
        // Wait for the reads in flight, then one read after the idle delay.
        yield* reads.withPermits(maxReads)(Effect.void)
        if (idle) {
          const delay = idleDelay
          idleDelay = Duration.min(Duration.times(idleDelay, 2), config.idlePoll)
          // A nudge (a send to one of our queues was notified), or a send seen by the server, ends the wait early.
          yield* idleWait(delay)
          yield* reads.withPermits(1)(read(yield* room))
          return
        }
      }
      idleDelay = FIRST_IDLE_POLL
      yield* reads.take(1)
      const wanted = yield* room.pipe(Effect.onInterrupt(() => reads.release(1)))
      // Not a child of the loop: a read under way when the worker stops still delivers what it took.
      yield* FiberSet.run(inFlight, read(wanted).pipe(Effect.ensuring(reads.release(1))))
    })

    return {
      /** The loop; interrupt it to stop reading. */
      loop: pollOnce.pipe(Effect.forever) as Effect.Effect<never>,
      /** Waits for the reads under way (after the loop was interrupted). */
      settled: FiberSet.awaitEmpty(inFlight),
      /** Something was sent: an idle poller reads now rather than after its delay. */
      nudge: Queue.offer(nudges, undefined).pipe(Effect.asVoid)
    } as const
  })
