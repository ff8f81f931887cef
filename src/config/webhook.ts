import { Config, Redacted } from "effect"
import { httpUrl, refine } from "./validate.js"

/** A webhook URL carries its token in the path, so it is a secret; the message never echoes it. */
export const webhookUrl = (variable: string) =>
  refine(
    Config.redacted(variable),
    variable,
    (value) => (httpUrl(Redacted.value(value).trim()) ? undefined : "must be an http(s) URL")
  )
