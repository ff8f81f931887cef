import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { hostname } from "node:os"
import { Alert, Discord } from "../../alerts/index.js"
import { DiscordLive } from "./layers.js"

const message = Options.text("message").pipe(
  Options.withDefault(""),
  Options.withDescription("The text of the test alert")
)

const test = Command.make("test", { message }, (options) =>
  Effect.gen(function*() {
    const discord = yield* Discord
    yield* discord.send(Alert.Test({
      message: options.message !== "" ? options.message : `Test alert from ${hostname()} (dragonfly discord test)`
    }))
    yield* Console.log("sent a test alert to Discord")
  }).pipe(Effect.provide(DiscordLive))).pipe(
    Command.withDescription("Post a test alert to DISCORD_WEBHOOK_URL and report whether Discord accepted it")
  )

export const discordCommand = Command.make("discord").pipe(
  Command.withDescription("Discord alerts"),
  Command.withSubcommands([test])
)
