import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Schedule, Stream } from "effect"
import { DatabaseConfig, isTransactionPooler, WorkerConfig } from "../config/index.js"
import { CHANNEL } from "./PgmqQueue.js"

/**
 * Names of queues that were just sent to, for waking an idle worker at once instead of at its
 * next poll. Only a hint: messages sent without a notification (another producer, a lost
 * connection) are found by polling as before.
 */
export class JobNotifications extends Context.Tag("queue/JobNotifications")<
  JobNotifications,
  {
    readonly queues: Stream.Stream<string>
    /** Off (a transaction pooler, or WORKER_LISTEN=off): nothing will come, an idle worker waits on the server. */
    readonly listening: boolean
  }
>() {
  /**
   * LISTEN on a connection of its own where the database allows it (`WORKER_LISTEN`: `on`, `off`,
   * or `auto` = on unless the URL is Supabase's transaction pooler, port 6543). A lost listening
   * connection is opened again after 5 s.
   */
  static readonly layer: Layer.Layer<JobNotifications, never, PgClient.PgClient | WorkerConfig | DatabaseConfig> = Layer
    .effect(
      JobNotifications,
      Effect.gen(function*() {
        const { listen } = yield* WorkerConfig
        const { url } = yield* DatabaseConfig
        const enabled = listen === "on" || (listen === "auto" && !isTransactionPooler(url))
        if (!enabled) return { queues: Stream.empty, listening: false }
        const client = yield* PgClient.PgClient
        return {
          queues: client.listen(CHANNEL).pipe(
            Stream.tapError((error) => Effect.logWarning("not listening for job notifications; retrying in 5 s", error)),
            Stream.retry(Schedule.spaced("5 seconds")),
            Stream.catchAll(() => Stream.empty)
          ),
          listening: true
        }
      })
    )
}
