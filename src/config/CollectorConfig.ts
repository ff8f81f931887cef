import { Config, ConfigError, Context, Either, Option } from "effect"
import { refine } from "./validate.js"

export interface CollectorSettings {
  /** `COLLECTOR_NAME`: who the letters and texts come from (the firm or the creditor collecting). */
  readonly name: string
  /** `COLLECTOR_ADDRESS`: one line, e.g. "PO Box 1, Albany, NY 12201". */
  readonly mailingAddress: string
  /** `COLLECTOR_PHONE`. */
  readonly phone: string
  /** `COLLECTOR_EMAIL`. */
  readonly email: string
}

const COLLECTOR_VARIABLES = ["COLLECTOR_NAME", "COLLECTOR_ADDRESS", "COLLECTOR_PHONE", "COLLECTOR_EMAIL"] as const

const required = (variable: string, check: (value: string) => string | undefined = () => undefined) =>
  refine(Config.string(variable), variable, (value) => (value.trim() === "" ? "must not be empty" : check(value.trim())))
    .pipe(Config.map((value) => value.trim()))

/**
 * The collector named in every message to a debtor (the validation notice's "debt collector's
 * name and mailing address", 12 CFR 1006.34(c)(1)). Needed by the services that write messages.
 */
export class CollectorConfig extends Context.Tag("config/CollectorConfig")<CollectorConfig, CollectorSettings>() {
  static readonly config: Config.Config<CollectorSettings> = Config.all({
    name: required("COLLECTOR_NAME"),
    mailingAddress: required("COLLECTOR_ADDRESS"),
    phone: required("COLLECTOR_PHONE", (value) => (/\d{3}.*\d{4}/.test(value) ? undefined : "must be a phone number")),
    email: required("COLLECTOR_EMAIL", (value) => (/^[^@\s]+@[^@\s]+$/.test(value) ? undefined : "must be an email address"))
  })
}

/** For the API, where only the endpoints that write messages need the collector. */
export class OptionalCollectorConfig extends Context.Tag("config/OptionalCollectorConfig")<
  OptionalCollectorConfig,
  Option.Option<CollectorSettings>
>() {
  static readonly config: Config.Config<Option.Option<CollectorSettings>> = Config.all({
    set: Config.all(COLLECTOR_VARIABLES.map((variable) => Config.option(Config.string(variable)))),
    settings: Config.option(CollectorConfig.config)
  }).pipe(
    // None only when none is set: a partial set is an error naming what is missing.
    Config.mapOrFail(({ set, settings }) => {
      if (Option.isSome(settings) || set.every(Option.isNone)) return Either.right(settings)
      const missing = COLLECTOR_VARIABLES.filter((_, i) => Option.isNone(set[i]!))
      return Either.left(
        missing
          .map((variable) => ConfigError.MissingData([variable], "required because another COLLECTOR_* variable is set"))
          .reduce(ConfigError.And)
      )
    })
  )
}

export interface LegalRulesSettings {
  /** `LEGAL_RULES_DIR`: where counsel's rule files are (default: the package's `config/legal`). */
  readonly directory: Option.Option<string>
}

/** Where the legal numbers (`enforcement.json`, `communications.json`) are read from. */
export class LegalRulesConfig extends Context.Tag("config/LegalRulesConfig")<LegalRulesConfig, LegalRulesSettings>() {
  static readonly config: Config.Config<LegalRulesSettings> = Config.all({
    directory: Config.option(Config.string("LEGAL_RULES_DIR"))
  })
}
