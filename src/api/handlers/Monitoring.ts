import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Duration, Effect, Option, Schedule } from "effect"
import { Monitoring } from "../../monitoring/Monitoring.js"
import { PgmqQueue } from "../../queue/PgmqQueue.js"
import { QueueDirectory } from "../../queue/QueueDirectory.js"
import { Api } from "../Api.js"
import { NotFound } from "../errors.js"
import {
  PeekedMessage,
  QueueDetail,
  QueueHistory,
  QueueList,
  QueueMetrics,
  QueueSample,
  WorkerHealth,
  WorkerList
} from "../schemas.js"

const DEFAULT_PEEK = 10

/** The API samples the queues for /v1/queues/history this often (one sample per interval across replicas). */
export const QUEUE_SAMPLE_SECONDS = 60
const QUEUE_HISTORY_HOURS = 48
const DEFAULT_HISTORY_HOURS = 6

export const QueuesLive = HttpApiBuilder.group(Api, "queues", (handlers) =>
  Effect.gen(function*() {
    const monitoring = yield* Monitoring
    const directory = yield* QueueDirectory
    const pgmq = yield* PgmqQueue
    yield* monitoring.sampleQueues(QUEUE_SAMPLE_SECONDS, QUEUE_HISTORY_HOURS).pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("queues not sampled", cause)),
      Effect.repeat(Schedule.spaced(Duration.seconds(QUEUE_SAMPLE_SECONDS))),
      Effect.forkScoped
    )
    return handlers
      .handle("list", () =>
        Effect.map(monitoring.queues(), (rows) => new QueueList({ queues: rows.map((row) => new QueueMetrics(row)) })))
      .handle("history", ({ urlParams }) =>
        Effect.map(
          monitoring.history(urlParams.hours ?? DEFAULT_HISTORY_HOURS),
          (rows) => new QueueHistory({ sample_every_seconds: QUEUE_SAMPLE_SECONDS, samples: rows.map((row) => new QueueSample(row)) })
        ))
      .handle("get", ({ path, urlParams }) =>
        Effect.gen(function*() {
          const queue = yield* directory.resolve(path.queue)
          const metrics = yield* monitoring.queue(queue)
          if (Option.isNone(metrics)) return yield* new NotFound({ message: `no queue named '${path.queue}'` })
          const now = Date.now()
          const messages = yield* Effect.orDie(pgmq.peek(queue, urlParams.peek ?? DEFAULT_PEEK))
          return new QueueDetail({
            metrics: new QueueMetrics(metrics.value),
            messages: messages.map((message) =>
              new PeekedMessage({
                msg_id: message.msgId,
                read_ct: message.readCt,
                enqueued_at: message.enqueuedAt,
                vt: message.vt,
                visible: message.vt.getTime() <= now,
                message: message.message
              })
            )
          })
        }).pipe(Effect.catchTag("UnknownQueue", (error) => new NotFound({ message: error.message }))))
  }))

export const WorkersLive = HttpApiBuilder.group(Api, "workers", (handlers) =>
  Effect.gen(function*() {
    const monitoring = yield* Monitoring
    return handlers.handle("list", ({ urlParams }) =>
      Effect.map(
        monitoring.workers(urlParams.stale_minutes),
        (rows) => new WorkerList({ workers: rows.map((row) => new WorkerHealth(row)) })
      ))
  }))
