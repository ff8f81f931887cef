import { Duration, Effect, Redacted } from "effect"
import nodemailer from "nodemailer"
import SMTPTransport from "nodemailer/lib/smtp-transport"
import type { EmailSettings } from "../../../config/CommsConfig.js"
import {
  type OutboundMessage,
  recipientProblem,
  type Route,
  type SendReceipt,
  SendOutcomeUnknown,
  SendRejected,
  SendUnavailable
} from "./Channel.js"

export const IDEMPOTENCY_HEADER = "X-Dragonfly-Idempotency-Key"

/** The dot-atom an outbox id must be to sit left of the `@` in a Message-ID. */
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/

/** Derived from the outbox row, so every attempt at the same row carries the same Message-ID. */
export const messageIdOf = (outboxId: string) => `<${outboxId}@dragonfly.invalid>`

export const isMessageIdPart = (outboxId: string) => DOT_ATOM.test(outboxId)

/** The shape of a nodemailer failure: `responseCode` when the server replied, `code` for what failed. */
interface SmtpFailure {
  readonly message: string
  readonly code?: string
  readonly responseCode?: number
}

const isMessageEnd = (entry: unknown) =>
  typeof entry === "object" && entry !== null && "tnx" in entry && entry.tnx === "message" && "outByteCount" in entry

const asSmtpFailure = (cause: unknown): SmtpFailure =>
  cause instanceof Error ? (cause as SmtpFailure) : { message: String(cause) }

const decodedOrSelf = (text: string) => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** Where `SMTP_URL` points, without its login: `smtps://smtp.example.com:465`. */
export const smtpDestination = (settings: EmailSettings) => {
  const url = new URL(Redacted.value(settings.smtpUrl))
  const login = url.username !== "" || url.password !== "" ? " with a login" : ""
  return `smtp to ${url.protocol}//${url.host}${login}, from ${settings.from}`
}

/**
 * Email over SMTP with nodemailer: one connection per message, no pooling.
 *
 * A lost connection fails with the same error (ECONNECTION, command "CONN") whether it happened before
 * MAIL FROM or after the message was sent. Only the transaction log tells the two apart: nodemailer logs
 * `tnx: "message"` once the whole message, with its terminating dot, has been written to the socket. So
 * each send gets its own transport, whose logger records that for this message alone.
 */
export const make = (settings: EmailSettings, timeout: Duration.Duration): Route => {
  const url = Redacted.value(settings.smtpUrl)
  const parsed = new URL(url)
  const secrets = [parsed.password, decodedOrSelf(parsed.password)].filter((secret) => secret.length >= 3)
  /** Server replies and socket errors are not ours: keep the password out of them all the same. */
  const scrub = (text: string) => secrets.reduce((acc, secret) => acc.split(secret).join("<redacted>"), text)
  const timeoutMs = Duration.toMillis(timeout)
  const timeoutLabel = Duration.format(timeout)

  const rejected = (message: string) => new SendRejected({ channel: "email", message })
  const unavailable = (message: string) => new SendUnavailable({ channel: "email", message })
  const unknown = (message: string) => new SendOutcomeUnknown({ channel: "email", message })

  const classify = (failure: SmtpFailure, messageWritten: boolean) => {
    const detail = scrub(failure.message)
    if (failure.code === "EAUTH" || failure.code === "ENOAUTH") {
      // A refused login is the configuration's fault, not the message's: keep the message retryable.
      return unavailable(`the SMTP server refused the login: ${detail}`)
    }
    if (failure.responseCode !== undefined) {
      // RFC 5321: 5yz is permanent, except 503 (bad sequence), which a new session can get past.
      return failure.responseCode >= 500 && failure.responseCode < 600 && failure.responseCode !== 503
        ? rejected(`the SMTP server refused the message: ${detail}`)
        : unavailable(`the SMTP server deferred the message: ${detail}`)
    }
    if (failure.code === "EENVELOPE" || failure.code === "EMESSAGE") return rejected(`cannot be sent: ${detail}`)
    return messageWritten
      ? unknown(`the SMTP connection failed after the message was sent, before the server's reply: ${detail}`)
      : unavailable(`could not hand the message to the SMTP server: ${detail}`)
  }

  const send = Effect.fnUntraced(function*(message: OutboundMessage) {
    const problem = recipientProblem(message)
    if (problem !== undefined) return yield* rejected(problem)
    if (!isMessageIdPart(message.outboxId)) {
      return yield* rejected("the outbox id cannot be part of a Message-ID (dot-atom characters only)")
    }
    const progress = { messageWritten: false }
    // The end-of-message entry carries the byte counts; with `debug` on, body chunks are logged too.
    const watch = (entry: unknown) => {
      if (isMessageEnd(entry)) progress.messageWritten = true
    }
    const ignore = () => undefined
    const acquire = Effect.sync(() =>
      nodemailer.createTransport(
        new SMTPTransport({
          url,
          logger: { trace: watch, debug: watch, info: watch, warn: ignore, error: ignore, fatal: ignore },
          connectionTimeout: timeoutMs,
          greetingTimeout: timeoutMs,
          socketTimeout: timeoutMs
        })
      )
    )
    const info = yield* Effect.acquireUseRelease(
      acquire,
      (transport) =>
        Effect.tryPromise({
          // Interruption (the timeout below) aborts the signal: nodemailer then drops the connection.
          try: (signal) =>
            transport.sendMail({
              from: settings.from,
              to: message.to,
              ...(message.subject === null ? {} : { subject: message.subject }),
              text: message.body,
              messageId: messageIdOf(message.outboxId),
              headers: { [IDEMPOTENCY_HEADER]: message.idempotencyKey },
              signal
            }),
          catch: (cause) => classify(asSmtpFailure(cause), progress.messageWritten)
        }),
      (transport) => Effect.sync(() => transport.close())
    ).pipe(
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () =>
          progress.messageWritten
            ? unknown(`no reply from the SMTP server within ${timeoutLabel} after the message was sent`)
            : unavailable(`could not hand the message to the SMTP server within ${timeoutLabel}`)
      })
    )
    // SMTP has no idempotency: a message sent twice is delivered twice, so never `duplicate`.
    return {
      providerMessageId: info.serverMessageId ?? info.messageId,
      channel: "email",
      provider: "smtp",
      duplicate: false
    } satisfies SendReceipt
  })

  return { provider: "smtp", destination: smtpDestination(settings), send }
}
