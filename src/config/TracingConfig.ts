import { Config, Context, type Option } from "effect"
import { httpUrl, refine } from "./validate.js"

export interface TracingSettings {
  /** `OTEL_EXPORTER_OTLP_ENDPOINT`: spans go to `<endpoint>/v1/traces` (OTLP/HTTP, JSON); none when unset. */
  readonly endpoint: Option.Option<string>
  /** `OTEL_SERVICE_NAME`: the service name on every span (default: the process's, e.g. dragonfly-worker-score). */
  readonly serviceName: Option.Option<string>
  /** `WORKER_VERSION`, the spans' service.version. */
  readonly version: string
}

export class TracingConfig extends Context.Tag("config/TracingConfig")<TracingConfig, TracingSettings>() {
  static readonly config: Config.Config<TracingSettings> = Config.all({
    endpoint: Config.option(
      refine(Config.string("OTEL_EXPORTER_OTLP_ENDPOINT"), "OTEL_EXPORTER_OTLP_ENDPOINT", (value) =>
        httpUrl(value) ? undefined : "must be an http(s) URL")
    ),
    serviceName: Config.option(Config.string("OTEL_SERVICE_NAME")),
    version: Config.string("WORKER_VERSION").pipe(Config.withDefault("dev"))
  })
}
