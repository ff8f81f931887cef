import { Config, Context, Duration, type Option, type Redacted } from "effect"
import { refine } from "./validate.js"
import { webhookUrl } from "./webhook.js"

export interface WorkerSettings {
  /** `WORKER_VERSION`: reported in heartbeats. */
  readonly version: string
  /** `HEARTBEAT_INTERVAL` seconds (default 30). */
  readonly heartbeatInterval: Duration.Duration
  /** `DISCORD_WEBHOOK_URL`: alerts are off when absent. */
  readonly discordWebhookUrl: Option.Option<Redacted.Redacted<string>>
}

export class WorkerConfig extends Context.Tag("config/WorkerConfig")<WorkerConfig, WorkerSettings>() {
  static readonly config: Config.Config<WorkerSettings> = Config.all({
    version: Config.string("WORKER_VERSION").pipe(Config.withDefault("dev")),
    heartbeatInterval: refine(
      Config.integer("HEARTBEAT_INTERVAL").pipe(Config.withDefault(30)),
      "HEARTBEAT_INTERVAL",
      (seconds) => (seconds < 1 || seconds > 3600 ? "must be between 1 and 3600 seconds" : undefined)
    ).pipe(Config.map(Duration.seconds)),
    discordWebhookUrl: Config.option(webhookUrl("DISCORD_WEBHOOK_URL"))
  })
}
