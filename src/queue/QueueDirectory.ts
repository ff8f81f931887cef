import { Data, Effect, Option } from "effect"
import { DEAD_LETTER_QUEUE } from "./catalog.js"
import { PgmqQueue } from "./PgmqQueue.js"
import { decodeQueueName, type QueueName } from "./QueueName.js"

export class UnknownQueue extends Data.TaggedError("UnknownQueue")<{ readonly queue: string }> {
  override get message() {
    return `no queue named '${this.queue}'`
  }
}

/**
 * Which queues exist, from `pgmq.list_queues()`, remembered for a few seconds; a name not seen
 * yet is looked up again at once, so a queue created a moment ago is found.
 */
export class QueueDirectory extends Effect.Service<QueueDirectory>()("queue/QueueDirectory", {
  effect: Effect.gen(function*() {
    const pgmq = yield* PgmqQueue
    const load = Effect.map(
      Effect.orDie(pgmq.listQueues()),
      (queues) => new Set(queues.map((queue) => queue.queueName as QueueName))
    )
    const [cached, invalidate] = yield* Effect.cachedInvalidateWithTTL(load, "10 seconds")

    /** The queue of that name, if it exists; `jobs` excludes the dead-letter queue. */
    const resolve = Effect.fn("QueueDirectory.resolve")(
      function*(name: string, options: { readonly forJobs?: boolean } = {}) {
        const queue = Option.getOrUndefined(Option.getRight(decodeQueueName(name)))
        if (queue === undefined || (options.forJobs === true && queue === DEAD_LETTER_QUEUE)) {
          return yield* new UnknownQueue({ queue: name })
        }
        if ((yield* cached).has(queue)) return queue
        yield* invalidate
        if ((yield* cached).has(queue)) return queue
        return yield* new UnknownQueue({ queue: name })
      }
    )

    const all = Effect.fn("QueueDirectory.all")(function*() {
      return [...(yield* cached)].sort()
    })

    return { resolve, all } as const
  })
}) {}
