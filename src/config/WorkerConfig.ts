import { Config, Context, Duration, type Option, type Redacted } from "effect"
import { refine, secret } from "./validate.js"
import { webhookUrl } from "./webhook.js"

export interface WorkerSettings {
  /** `WORKER_VERSION`: reported in heartbeats. */
  readonly version: string
  /** `HEARTBEAT_INTERVAL` seconds (default 30). */
  readonly heartbeatInterval: Duration.Duration
  /** `HEARTBEAT_RETENTION_DAYS` (default 7): stopped and gone workers' rows are deleted after this. */
  readonly heartbeatRetention: Duration.Duration
  /** `DISCORD_WEBHOOK_URL`: alerts are off when absent. */
  readonly discordWebhookUrl: Option.Option<Redacted.Redacted<string>>
  /** `WORKER_CONCURRENCY`: jobs handled at once by one process. */
  readonly concurrency: number
  /** `WORKER_BATCH_SIZE`: most messages taken by one read. */
  readonly batchSize: number
  /** `WORKER_VISIBILITY_TIMEOUT` seconds: the lease a read takes, extended while a handler runs. */
  readonly visibilityTimeoutSeconds: number
  /** `WORKER_MAX_ATTEMPTS`: deliveries before a message is dead-lettered. */
  readonly maxAttempts: number
  /** `WORKER_IDLE_POLL_MS`: the longest gap between reads of an idle queue. */
  readonly idlePoll: Duration.Duration
  /** `WORKER_SHUTDOWN_GRACE` seconds: how long SIGTERM waits for in-flight jobs. */
  readonly shutdownGrace: Duration.Duration
  /** `WORKER_QUEUE_REFRESH` seconds: how often a queue family (`enforcement_*`) is re-resolved. */
  readonly queueRefresh: Duration.Duration
  /**
   * `WORKER_LISTEN`: whether an idle worker also LISTENs for sends (`auto`: unless the database URL
   * is Supabase's transaction pooler). Polling stays the way every message is found.
   */
  readonly listen: ListenMode
  /** `METRICS_PORT`: when set, GET /metrics (Prometheus text) is served on it. */
  readonly metricsPort: Option.Option<number>
  /** `METRICS_TOKEN`: when set, /metrics answers only `Authorization: Bearer <token>`. */
  readonly metricsToken: Option.Option<Redacted.Redacted<string>>
}

export const ListenModes = ["auto", "on", "off"] as const
export type ListenMode = (typeof ListenModes)[number]

const bounded = (variable: string, fallback: number, min: number, max: number, unit = "") =>
  refine(
    Config.integer(variable).pipe(Config.withDefault(fallback)),
    variable,
    (value) => (value < min || value > max ? `must be between ${min} and ${max}${unit}` : undefined)
  )

export class WorkerConfig extends Context.Tag("config/WorkerConfig")<WorkerConfig, WorkerSettings>() {
  static readonly config: Config.Config<WorkerSettings> = Config.all({
    version: Config.string("WORKER_VERSION").pipe(Config.withDefault("dev")),
    heartbeatInterval: bounded("HEARTBEAT_INTERVAL", 30, 1, 3600, " seconds").pipe(Config.map(Duration.seconds)),
    heartbeatRetention: bounded("HEARTBEAT_RETENTION_DAYS", 7, 1, 3650, " days").pipe(Config.map(Duration.days)),
    discordWebhookUrl: Config.option(webhookUrl("DISCORD_WEBHOOK_URL")),
    concurrency: bounded("WORKER_CONCURRENCY", 10, 1, 500),
    batchSize: bounded("WORKER_BATCH_SIZE", 200, 1, 500),
    visibilityTimeoutSeconds: bounded("WORKER_VISIBILITY_TIMEOUT", 30, 3, 43_200, " seconds"),
    maxAttempts: bounded("WORKER_MAX_ATTEMPTS", 5, 1, 100),
    idlePoll: bounded("WORKER_IDLE_POLL_MS", 100, 10, 10_000, " ms").pipe(Config.map(Duration.millis)),
    shutdownGrace: bounded("WORKER_SHUTDOWN_GRACE", 20, 0, 3600, " seconds").pipe(Config.map(Duration.seconds)),
    queueRefresh: bounded("WORKER_QUEUE_REFRESH", 30, 1, 3600, " seconds").pipe(Config.map(Duration.seconds)),
    listen: refine(
      Config.string("WORKER_LISTEN").pipe(Config.withDefault("auto")),
      "WORKER_LISTEN",
      (value) => ((ListenModes as ReadonlyArray<string>).includes(value) ? undefined : `must be one of ${ListenModes.join(", ")}`)
    ).pipe(Config.map((value) => value as ListenMode)),
    metricsPort: Config.option(
      refine(
        Config.integer("METRICS_PORT"),
        "METRICS_PORT",
        (value) => (value < 1 || value > 65_535 ? "must be a port, 1–65535" : undefined)
      )
    ),
    metricsToken: Config.option(secret("METRICS_TOKEN"))
  })
}
