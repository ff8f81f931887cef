import { Command } from "@effect/cli"
import { dbCommand } from "./db.js"
import { devCommand } from "./dev.js"

export const dragonfly = Command.make("dragonfly").pipe(
  Command.withDescription("Dragonfly operator CLI"),
  Command.withSubcommands([dbCommand, devCommand])
)

export const run = Command.run(dragonfly, { name: "dragonfly", version: "0.1.0" })
