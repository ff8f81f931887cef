import { Duration, Effect, Schedule, type Scope } from "effect"
import type { MessageId, PgmqQueue } from "../queue/PgmqQueue.js"
import type { QueueName } from "../queue/QueueName.js"
import type { Held } from "./Deliveries.js"
import * as Metrics from "../observability/Metrics.js"
import { monotonicMillisOf } from "./monotonic.js"

export interface Leases {
  /** From now on the keeper extends this delivery's lease (a message held twice keeps its first time). */
  readonly hold: (held: Held) => void
  /** The delivery is settled or handed back: no more extensions. */
  readonly drop: (held: Held) => void
  /** Every delivery held, in no particular order. */
  readonly all: () => Array<Held>
}

interface Lease {
  readonly held: Held
  readonly since: number
}

/**
 * Leases: while this worker holds a message (read ahead, running, or waiting for its commit) it
 * stays invisible to other workers. One keeper fiber extends, every third of the visibility
 * timeout, the leases of the deliveries held at least that long, one statement per queue, fenced by
 * read_ct so that a lost lease is never extended for someone else. Holding and dropping are
 * synchronous: they happen for every job.
 */
export const make = (pgmq: PgmqQueue, visibilityTimeoutSeconds: number): Effect.Effect<Leases, never, Scope.Scope> =>
  Effect.gen(function*() {
    const every = Duration.seconds(Math.max(1, Math.floor(visibilityTimeoutSeconds / 3)))
    const everyMillis = Duration.toMillis(every)
    const byQueue = new Map<QueueName, Map<MessageId, Lease>>()
    const now = monotonicMillisOf(yield* Effect.clock)

    const leases: Leases = {
      hold: (held) => {
        let queue = byQueue.get(held.queue)
        if (queue === undefined) byQueue.set(held.queue, queue = new Map())
        if (queue.has(held.message.msgId)) return
        queue.set(held.message.msgId, { held, since: now() })
      },
      drop: (held) => {
        const queue = byQueue.get(held.queue)
        const lease = queue?.get(held.message.msgId)
        // Only this delivery's lease: a newer delivery of the same message may be held meanwhile.
        if (lease === undefined || lease.held.message.readCt !== held.message.readCt) return
        queue!.delete(held.message.msgId)
      },
      all: () => [...byQueue.values()].flatMap((queue) => [...queue.values()].map((lease) => lease.held))
    }

    const extend = Effect.gen(function*() {
      const at = now()
      for (const [queue, held] of byQueue) {
        const due = [...held.values()].filter((lease) => at - lease.since >= everyMillis).map((lease) => lease.held.message)
        if (due.length === 0) continue
        const { lost } = yield* pgmq.extendLeases(queue, due, visibilityTimeoutSeconds)
        Metrics.forQueue(queue).leasesExtended(due.length - lost.length)
        yield* Effect.forEach(lost, (msgId) =>
          Effect.logWarning("lease lost: another delivery holds the message").pipe(
            Effect.annotateLogs({ queue, msg_id: msgId })
          ), { discard: true })
      }
    }).pipe(Effect.catchAllCause((cause) => Effect.logWarning("leases not extended", cause)))
    yield* extend.pipe(Effect.repeat(Schedule.spaced(every)), Effect.forkScoped)

    return leases
  })
