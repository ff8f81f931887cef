import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Clock, Duration, Effect, Option, Redacted, Schema } from "effect"
import type { SmsSettings } from "../../../config/CommsConfig.js"
import {
  type OutboundMessage,
  recipientProblem,
  type Route,
  type SendReceipt,
  SendOutcomeUnknown,
  SendRejected,
  SendUnavailable
} from "./Channel.js"

export const IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"

/**
 * What we rely on for `duplicate`: a provider that honours the idempotency token answers a repeated
 * token with the original message and says so with `Idempotent-Replayed: true` (the convention of
 * Stripe-style idempotency keys). A provider that deduplicates silently gives back the earlier sid,
 * which this process cannot tell from a new one, so the receipt says `duplicate: false`. Twilio
 * documents the header on the webhooks it sends, not as deduplication of `Messages.json`: against it,
 * assume no deduplication.
 */
export const REPLAYED_HEADER = "idempotent-replayed"

const MessageResource = Schema.parseJson(Schema.Struct({ sid: Schema.NonEmptyTrimmedString }))

/** Twilio's error body: `{"code": 21211, "message": "The 'To' number … is not a valid phone number.", …}`. */
const ErrorResource = Schema.parseJson(Schema.Struct({
  code: Schema.optional(Schema.Union(Schema.Number, Schema.String)),
  message: Schema.optional(Schema.String)
}))

/** Failures of the connection itself: the request cannot have reached the API. */
const NOT_CONNECTED = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENETDOWN",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID"
])

/** The error codes along a cause chain (`cause`, and the `errors` of an AggregateError). */
const codesOf = (error: unknown, depth = 0): ReadonlyArray<string> => {
  if (depth > 5 || typeof error !== "object" || error === null) return []
  const own = "code" in error && typeof error.code === "string" ? [error.code] : []
  const nested = "errors" in error && Array.isArray(error.errors) ? error.errors : []
  return [
    ...own,
    ...("cause" in error ? codesOf(error.cause, depth + 1) : []),
    ...nested.flatMap((inner: unknown) => codesOf(inner, depth + 1))
  ]
}

const textOf = (error: HttpClientError.RequestError) =>
  error.cause instanceof Error && error.cause.message !== "" ? error.cause.message : error.reason

/** `Retry-After` as seconds: a number, or an HTTP date. */
const retryAfterSeconds = (header: string | undefined, now: number): number | undefined => {
  if (header === undefined) return undefined
  const seconds = Number(header.trim())
  if (header.trim() !== "" && Number.isFinite(seconds)) return Math.max(0, seconds)
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000))
}

/** Where SMS go: the API and the account, never the token. */
export const smsDestination = (settings: SmsSettings) => {
  const api = `${settings.apiUrl.origin}${settings.apiUrl.pathname.replace(/\/+$/, "")}`
  return `sms-http to ${api} (account ${settings.accountSid}), from ${settings.from}`
}

/** SMS through a Twilio-style API: `POST {SMS_API_URL}/2010-04-01/Accounts/{sid}/Messages.json`. */
export const make = (settings: SmsSettings, timeout: Duration.Duration) =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const base = settings.apiUrl.href.replace(/\/+$/, "")
    const endpoint = `${base}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}/Messages.json`
    const token = Redacted.value(settings.authToken)
    const scrub = (text: string) => (token.length >= 3 ? text.split(token).join("<redacted>") : text)
    const timeoutLabel = Duration.format(timeout)

    const rejected = (message: string) => new SendRejected({ channel: "sms", message })
    const unavailable = (message: string, retryAfter?: number) =>
      new SendUnavailable({
        channel: "sms",
        message,
        ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter })
      })
    const unknown = (message: string) => new SendOutcomeUnknown({ channel: "sms", message })

    const notSent = (error: HttpClientError.RequestError) => {
      const detail = scrub(textOf(error))
      // A failure after connecting (a reset, the other side closing) may come after the API read the request.
      return codesOf(error.cause).some((code) => NOT_CONNECTED.has(code))
        ? unavailable(`could not reach the SMS API: ${detail}`)
        : unknown(`the connection to the SMS API failed before its answer was read: ${detail}`)
    }

    const accepted = Effect.fnUntraced(function*(response: HttpClientResponse.HttpClientResponse) {
      const body = yield* response.text.pipe(
        Effect.mapError(() => unknown(`the SMS API answered ${response.status} but its body could not be read`))
      )
      const resource = yield* Schema.decodeUnknown(MessageResource)(body).pipe(
        Effect.mapError(() => unknown(`the SMS API answered ${response.status} without a message sid`))
      )
      return {
        providerMessageId: resource.sid,
        channel: "sms",
        provider: "sms-http",
        duplicate: response.headers[REPLAYED_HEADER]?.trim().toLowerCase() === "true"
      } satisfies SendReceipt
    })

    const refused = Effect.fnUntraced(function*(response: HttpClientResponse.HttpClientResponse) {
      const body = yield* Effect.orElseSucceed(response.text, () => "")
      const error = Option.getOrUndefined(Schema.decodeUnknownOption(ErrorResource)(body))
      const code = error?.code === undefined ? "" : `, error ${error.code}`
      const text = error?.message ?? body.trim().slice(0, 200)
      const detail = scrub(`HTTP ${response.status}${code}${text === "" ? "" : `: ${text}`}`)
      const status = response.status
      if (status === 429) {
        const retryAfter = retryAfterSeconds(response.headers["retry-after"], yield* Clock.currentTimeMillis)
        return yield* unavailable(`the SMS API is rate limiting (${detail})`, retryAfter)
      }
      // A gateway timeout says the API did not answer the gateway: it may have taken the message.
      if (status === 504) return yield* unknown(`the SMS API's gateway timed out (${detail})`)
      if (status >= 500) return yield* unavailable(`the SMS API failed (${detail})`)
      // Refused credentials are the configuration's fault, not the message's: keep the message retryable.
      if (status === 401 || status === 403) return yield* unavailable(`the SMS API refused the credentials (${detail})`)
      return yield* rejected(`the SMS API refused the message (${detail})`)
    })

    const send = Effect.fnUntraced(function*(message: OutboundMessage) {
      const problem = recipientProblem(message)
      if (problem !== undefined) return yield* rejected(problem)
      const request = HttpClientRequest.post(endpoint).pipe(
        HttpClientRequest.basicAuth(settings.accountSid, settings.authToken),
        HttpClientRequest.setHeader(IDEMPOTENCY_HEADER, message.idempotencyKey),
        HttpClientRequest.acceptJson,
        HttpClientRequest.bodyUrlParams({ To: message.to, From: settings.from, Body: message.body })
      )
      return yield* http.execute(request).pipe(
        Effect.catchTags({
          RequestError: (error) => error.reason === "Transport" ? Effect.fail(notSent(error)) : Effect.die(error),
          ResponseError: (error) => Effect.die(error)
        }),
        Effect.flatMap((response) =>
          response.status >= 200 && response.status < 300 ? accepted(response) : refused(response)
        ),
        // Once the request is out there is no telling whether the API took it: the conservative answer.
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () => unknown(`no answer from the SMS API within ${timeoutLabel}; it may have taken the message`)
        })
      )
    })

    return { provider: "sms-http", destination: smsDestination(settings), send } satisfies Route
  })
