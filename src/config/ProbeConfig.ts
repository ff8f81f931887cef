import { Config, ConfigError, Context, Either, Option } from "effect"
import { httpUrl } from "./validate.js"

export interface ProbeSettings {
  /**
   * `PROBE_EXTERNAL_URL`: where a probe job that asks for an external side effect POSTs it (the chaos
   * suite's stand-in for a third-party API). Unset: such a job fails permanently.
   */
  readonly externalUrl: Option.Option<URL>
}

/** The probe service's settings: a diagnostic service, never deployed with real queues. */
export class ProbeConfig extends Context.Tag("config/ProbeConfig")<ProbeConfig, ProbeSettings>() {
  static readonly config: Config.Config<ProbeSettings> = Config.all({
    externalUrl: Config.option(Config.string("PROBE_EXTERNAL_URL")).pipe(
      Config.mapOrFail((value) => {
        const text = Option.filter(Option.map(value, (v) => v.trim()), (v) => v !== "")
        if (Option.isNone(text)) return Either.right(Option.none())
        const url = httpUrl(text.value)
        return url === undefined
          ? Either.left(ConfigError.InvalidData(["PROBE_EXTERNAL_URL"], "must be an http(s) URL"))
          : Either.right(Option.some(url))
      })
    )
  })
}
