import { Config, ConfigError, Either, Option, Redacted } from "effect"

/** Fails the config with `problem` for `variable` unless `check` returns undefined. */
export const refine = <A>(
  config: Config.Config<A>,
  variable: string,
  check: (value: A) => string | undefined
): Config.Config<A> =>
  Config.mapOrFail(config, (value) => {
    const problem = check(value)
    return problem === undefined ? Either.right(value) : Either.left(ConfigError.InvalidData([variable], problem))
  })

/** A secret that must be present and non-blank. Its value never appears in a message. */
export const secret = (variable: string) =>
  refine(
    Config.redacted(variable),
    variable,
    (value) => (Redacted.value(value).trim() === "" ? "is empty" : undefined)
  )

export const parseUrl = (value: string): URL | undefined => {
  try {
    return new URL(value)
  } catch {
    return undefined
  }
}

export const httpUrl = (value: string) => {
  const url = parseUrl(value)
  return url !== undefined && (url.protocol === "https:" || url.protocol === "http:") ? url : undefined
}

export const optional = <A>(config: Config.Config<A>): Config.Config<Option.Option<A>> => Config.option(config)

/** `a, b ,c` → ["a", "b", "c"]; blanks dropped. */
export const commaSeparated = (value: string) =>
  value.split(",").map((part) => part.trim()).filter((part) => part !== "")
