import type * as HttpClient from "@effect/platform/HttpClient"
import { Effect, Layer, Option } from "effect"
import { CommsConfig, EMAIL_VARIABLES, listOf, SMS_VARIABLES } from "../../../config/CommsConfig.js"
import { InvalidConfiguration } from "../../../config/InvalidConfiguration.js"
import * as CaptureChannel from "./CaptureChannel.js"
import { type ChannelName, Channels, type OutboundMessage, type Route, SendRejected } from "./Channel.js"
import * as EmailChannel from "./EmailChannel.js"
import * as SmsChannel from "./SmsChannel.js"

export * from "./Channel.js"
export { CaptureChannel, EmailChannel, SmsChannel }

const CHANNELS: ReadonlyArray<ChannelName> = ["email", "sms"]

const VARIABLES: Record<ChannelName, ReadonlyArray<string>> = { email: EMAIL_VARIABLES, sms: SMS_VARIABLES }

const notConfigured = (channel: ChannelName) => `${channel} is not configured: set ${listOf(VARIABLES[channel])}`

/**
 * Each channel goes to its provider when configured, else to the capture when COMMS_CAPTURE_DIR is set;
 * a channel with neither fails every send with SendRejected. Fails only when the capture directory
 * cannot be created.
 */
export const ChannelsLive: Layer.Layer<Channels, InvalidConfiguration, CommsConfig | HttpClient.HttpClient> = Layer
  .effect(
    Channels,
    Effect.gen(function*() {
      const config = yield* CommsConfig
      const capture = yield* Effect.transposeMapOption(config.captureDir, CaptureChannel.make)
      const email = Option.map(config.email, (settings) => EmailChannel.make(settings, config.sendTimeout))
      const sms = yield* Effect.transposeMapOption(
        config.sms,
        (settings) => SmsChannel.make(settings, config.sendTimeout)
      )
      const routes: Record<ChannelName, Option.Option<Route>> = {
        email: Option.orElse(email, () => capture),
        sms: Option.orElse(sms, () => capture)
      }

      const send = Effect.fn("Channels.send")(function*(message: OutboundMessage) {
        const route = routes[message.channel]
        yield* Effect.annotateCurrentSpan({
          channel: message.channel,
          outbox_id: message.outboxId,
          provider: Option.match(route, { onNone: () => "none", onSome: ({ provider }) => provider })
        })
        if (Option.isNone(route)) {
          return yield* new SendRejected({ channel: message.channel, message: notConfigured(message.channel) })
        }
        return yield* route.value.send(message)
      })

      const available = CHANNELS.filter((channel) => Option.isSome(routes[channel]))
      const description = {
        email: Option.match(routes.email, {
          onNone: () => `${notConfigured("email")}, or COMMS_CAPTURE_DIR`,
          onSome: ({ destination }) => destination
        }),
        sms: Option.match(routes.sms, {
          onNone: () => `${notConfigured("sms")}, or COMMS_CAPTURE_DIR`,
          onSome: ({ destination }) => destination
        })
      }

      const deduplicating: Record<ChannelName, boolean> = {
        email: Option.isNone(email) && Option.isSome(capture),
        sms: Option.isSome(sms) ? config.smsDeduplicates : Option.isSome(capture)
      }

      return Channels.of({
        send,
        available: () => available,
        describe: () => description,
        deduplicates: (channel) => deduplicating[channel]
      })
    })
  )

/** The comms worker's start-up check: it refuses to start when no channel can deliver anything. */
export const requireChannels: Effect.Effect<ReadonlyArray<ChannelName>, InvalidConfiguration, Channels> = Effect
  .flatMap(Channels, (channels) => {
    const available = channels.available()
    return available.length > 0 ? Effect.succeed(available) : Effect.fail(
      new InvalidConfiguration({
        problems: [
          { variable: listOf(EMAIL_VARIABLES), problem: "not set: email cannot be sent" },
          { variable: listOf(SMS_VARIABLES), problem: "not set: SMS cannot be sent" },
          {
            variable: "COMMS_CAPTURE_DIR",
            problem: "not set: nothing can be captured either; the comms worker needs at least one channel"
          }
        ]
      })
    )
  })
