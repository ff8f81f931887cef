import { Config, ConfigError, Context, Duration, Either, Option, Redacted } from "effect"
import * as Path from "node:path"
import { httpUrl, parseUrl, refine } from "./validate.js"

export interface EmailSettings {
  /**
   * `SMTP_URL`: `smtp://[user:password@]host[:port]` (STARTTLS when the server offers it) or `smtps://…`
   * (TLS from the first byte). A secret: it may carry the password.
   */
  readonly smtpUrl: Redacted.Redacted<string>
  /** `COMMS_EMAIL_FROM`: `noreply@example.com` or `Dragonfly <noreply@example.com>`. */
  readonly from: string
}

export interface SmsSettings {
  /** `SMS_API_URL`: base URL of a Twilio-style API, e.g. `https://api.twilio.com`. */
  readonly apiUrl: URL
  /** `SMS_ACCOUNT_SID`: the account in `/2010-04-01/Accounts/{sid}/Messages.json`, and the basic-auth user. */
  readonly accountSid: string
  /** `SMS_AUTH_TOKEN`: the basic-auth password. */
  readonly authToken: Redacted.Redacted<string>
  /** `SMS_FROM`: the sending number, E.164 (`+15551234567`). */
  readonly from: string
}

export interface CommsSettings {
  /** Present when SMTP_URL and COMMS_EMAIL_FROM are both set. */
  readonly email: Option.Option<EmailSettings>
  /** Present when SMS_API_URL, SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM are all set. */
  readonly sms: Option.Option<SmsSettings>
  /**
   * `COMMS_CAPTURE_DIR` (absolute): channels that are not configured write each message to a file here
   * instead of sending it. The dev stack sets it.
   */
  readonly captureDir: Option.Option<string>
  /** `COMMS_SEND_TIMEOUT` seconds (default 30): the longest one send may take before its outcome is unknown. */
  readonly sendTimeout: Duration.Duration
  /**
   * `SMS_DEDUPLICATES` (default false): the SMS provider answers a repeated idempotency token with the
   * message it already accepted, so a send whose outcome was lost may be repeated safely.
   */
  readonly smsDeduplicates: boolean
}

export const EMAIL_VARIABLES = ["SMTP_URL", "COMMS_EMAIL_FROM"] as const
export const SMS_VARIABLES = ["SMS_API_URL", "SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN", "SMS_FROM"] as const

/** `a`, `a and b`, `a, b and c`. */
export const listOf = (items: ReadonlyArray<string>) =>
  items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`

// A blank value counts as unset: compose files and .env templates often carry `SMS_API_URL=`.
const setting = (variable: string) =>
  Config.option(Config.string(variable)).pipe(
    Config.map((value) => Option.filter(Option.map(value, (text) => text.trim()), (text) => text !== ""))
  )

const secretSetting = (variable: string) =>
  Config.option(Config.redacted(variable)).pipe(
    Config.map(Option.filter((value) => Redacted.value(value).trim() !== ""))
  )

const EMAIL_ADDRESS = /^[^\s@<>(),;:"[\]\\]+@[^\s@<>(),;:"[\]\\]+$/
const E164 = /^\+[1-9]\d{1,14}$/
const ACCOUNT_SID = /^[A-Za-z0-9_-]{1,64}$/

/** `user@host` alone or as `Display Name <user@host>`. */
export const isEmailAddress = (value: string) => EMAIL_ADDRESS.test(value)
export const isE164 = (value: string) => E164.test(value)

const isSender = (value: string) => {
  const named = /^[^<>]*<([^<>]+)>$/.exec(value)
  return isEmailAddress(named ? named[1]!.trim() : value)
}

type Problems = Array<ConfigError.ConfigError>

/** A channel's variables are all set or none: each missing one of a partial set is a problem. */
const completeness = (channel: string, present: Record<string, boolean>): Problems => {
  const variables = Object.keys(present)
  const set = variables.filter((variable) => present[variable])
  if (set.length === 0 || set.length === variables.length) return []
  const because = `required because ${listOf(set)} ${set.length === 1 ? "is" : "are"} set; ${channel} needs ${
    listOf(variables)
  }`
  return variables.filter((variable) => !present[variable]).map((variable) =>
    ConfigError.MissingData([variable], because)
  )
}

const settle = <A>(value: Option.Option<A>, problems: Problems) =>
  problems.length === 0 ? Either.right(value) : Either.left(problems.reduce(ConfigError.And))

const smtpUrlProblem = (value: Redacted.Redacted<string>): string | undefined => {
  const url = parseUrl(Redacted.value(value))
  if (url === undefined || (url.protocol !== "smtp:" && url.protocol !== "smtps:")) {
    return "must be an smtp:// or smtps:// URL (smtp://user:password@host:587)"
  }
  return url.hostname === "" ? "has no host" : undefined
}

const email = Config.all({
  smtpUrl: secretSetting("SMTP_URL"),
  from: setting("COMMS_EMAIL_FROM")
}).pipe(Config.mapOrFail(({ from, smtpUrl }) => {
  const problems = completeness("email", { SMTP_URL: Option.isSome(smtpUrl), COMMS_EMAIL_FROM: Option.isSome(from) })
  const urlProblem = Option.getOrUndefined(Option.map(smtpUrl, smtpUrlProblem))
  if (urlProblem !== undefined) problems.push(ConfigError.InvalidData(["SMTP_URL"], urlProblem))
  if (Option.isSome(from) && !isSender(from.value)) {
    problems.push(
      ConfigError.InvalidData(["COMMS_EMAIL_FROM"], "must be an email address, alone or as 'Name <address>'")
    )
  }
  return settle(Option.all({ smtpUrl, from }), problems)
}))

const sms = Config.all({
  apiUrl: setting("SMS_API_URL"),
  accountSid: setting("SMS_ACCOUNT_SID"),
  authToken: secretSetting("SMS_AUTH_TOKEN"),
  from: setting("SMS_FROM")
}).pipe(Config.mapOrFail(({ accountSid, apiUrl, authToken, from }) => {
  const problems = completeness("SMS", {
    SMS_API_URL: Option.isSome(apiUrl),
    SMS_ACCOUNT_SID: Option.isSome(accountSid),
    SMS_AUTH_TOKEN: Option.isSome(authToken),
    SMS_FROM: Option.isSome(from)
  })
  const url = Option.flatMapNullable(apiUrl, httpUrl)
  if (Option.isSome(apiUrl)) {
    if (Option.isNone(url)) {
      problems.push(ConfigError.InvalidData(["SMS_API_URL"], "must be an http(s) URL"))
    } else if (url.value.username !== "" || url.value.password !== "") {
      problems.push(
        ConfigError.InvalidData(["SMS_API_URL"], "must not carry credentials: set SMS_ACCOUNT_SID and SMS_AUTH_TOKEN")
      )
    }
  }
  if (Option.isSome(accountSid) && !ACCOUNT_SID.test(accountSid.value)) {
    problems.push(ConfigError.InvalidData(["SMS_ACCOUNT_SID"], "must be 1 to 64 letters, digits, '-' or '_'"))
  }
  if (Option.isSome(from) && !isE164(from.value)) {
    problems.push(ConfigError.InvalidData(["SMS_FROM"], "must be an E.164 number such as +15551234567"))
  }
  return settle(Option.all({ apiUrl: url, accountSid, authToken, from }), problems)
}))

const sendTimeout = refine(
  Config.integer("COMMS_SEND_TIMEOUT").pipe(Config.withDefault(30)),
  "COMMS_SEND_TIMEOUT",
  (seconds) => (seconds < 1 || seconds > 600 ? "must be between 1 and 600 seconds" : undefined)
).pipe(Config.map(Duration.seconds))

/** The comms worker's outbound transport: SMTP for email, a Twilio-style HTTP API for SMS, or a local capture. */
export class CommsConfig extends Context.Tag("config/CommsConfig")<CommsConfig, CommsSettings>() {
  static readonly config: Config.Config<CommsSettings> = Config.all({
    email,
    sms,
    captureDir: setting("COMMS_CAPTURE_DIR").pipe(Config.map(Option.map((dir) => Path.resolve(dir)))),
    sendTimeout,
    smsDeduplicates: Config.boolean("SMS_DEDUPLICATES").pipe(Config.withDefault(false))
  })
}
