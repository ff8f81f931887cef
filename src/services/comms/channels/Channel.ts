import { Context, type Effect, Schema } from "effect"
import { isE164 } from "../../../config/CommsConfig.js"

export const ChannelName = Schema.Literal("email", "sms")
export type ChannelName = typeof ChannelName.Type

export const Provider = Schema.Literal("smtp", "sms-http", "capture")
export type Provider = typeof Provider.Type

export interface OutboundMessage {
  readonly channel: ChannelName
  readonly outboxId: string
  /** Stable across retries of the same outbox row; handed to the provider where it can deduplicate. */
  readonly idempotencyKey: string
  /** An email address, or an E.164 number for SMS. */
  readonly to: string
  /** Email only; ignored for SMS. */
  readonly subject: string | null
  readonly body: string
}

export interface SendReceipt {
  readonly providerMessageId: string
  readonly channel: ChannelName
  readonly provider: Provider
  /** The provider said it had already accepted this idempotency key: the receipt is of that earlier message. */
  readonly duplicate: boolean
}

/** Permanent: the same message would be refused again (invalid recipient, SMTP 5xx, an SMS API 4xx). */
export class SendRejected extends Schema.TaggedError<SendRejected>()("SendRejected", {
  channel: ChannelName,
  message: Schema.String
}) {}

/** Retryable, and nothing was delivered: a network error before sending, 429, 5xx, an SMTP 4xx. */
export class SendUnavailable extends Schema.TaggedError<SendUnavailable>()("SendUnavailable", {
  channel: ChannelName,
  message: Schema.String,
  /** What the provider asked for (`Retry-After`), when it said. */
  retryAfterSeconds: Schema.optional(Schema.Number)
}) {}

/**
 * The provider may have accepted the message but no answer was read: a timeout or a lost connection
 * after the message was handed over. Sending again may deliver it twice unless the provider deduplicates.
 */
export class SendOutcomeUnknown extends Schema.TaggedError<SendOutcomeUnknown>()("SendOutcomeUnknown", {
  channel: ChannelName,
  message: Schema.String
}) {}

export type SendError = SendRejected | SendUnavailable | SendOutcomeUnknown

/** Where each channel's messages go, for the startup log; never a secret. */
export type ChannelsDescription = { readonly [Channel in ChannelName]: string }

export interface ChannelsService {
  readonly send: (message: OutboundMessage) => Effect.Effect<SendReceipt, SendError>
  /** The channels `send` can deliver (to a provider or to the capture); empty means the worker cannot work. */
  readonly available: () => ReadonlyArray<ChannelName>
  readonly describe: () => ChannelsDescription
  /**
   * Whether a send whose outcome is unknown may be repeated: the route answers a repeated idempotency
   * key with the message it already took (the capture; an SMS provider that says it does). SMTP cannot.
   */
  readonly deduplicates: (channel: ChannelName) => boolean
}

/** The comms worker's outbound transport: one `send` for every channel, routed by `message.channel`. */
export class Channels extends Context.Tag("comms/Channels")<Channels, ChannelsService>() {}

/** How one channel is delivered: what `ChannelsLive` routes a message to. */
export interface Route {
  readonly provider: Provider
  /** Where messages go, for `describe()`. */
  readonly destination: string
  readonly send: (message: OutboundMessage) => Effect.Effect<SendReceipt, SendError>
}

const EMAIL_RECIPIENT = /^[^\s@<>(),;:"[\]\\]+@[^\s@<>(),;:"[\]\\]+\.[^\s@<>(),;:"[\]\\]+$/

/** Why `to` cannot be a recipient of the channel (one bare address, or one E.164 number), if it cannot. */
export const recipientProblem = (message: OutboundMessage): string | undefined => {
  switch (message.channel) {
    case "email":
      return EMAIL_RECIPIENT.test(message.to) ? undefined : "invalid recipient: not a single email address"
    case "sms":
      return isE164(message.to) ? undefined : "invalid recipient: not an E.164 phone number"
  }
}
