import { Command } from "@effect/cli"
import { dbCommand } from "./db.js"
import { devCommand } from "./dev.js"
import { discordCommand } from "./operator/discord.js"
import { dlqCommand } from "./operator/dlq.js"
import { doctorCommand } from "./operator/doctor.js"
import { monitorCommand } from "./operator/monitor.js"
import { queueCommand } from "./operator/queue.js"

export const dragonfly = Command.make("dragonfly").pipe(
  Command.withDescription("Dragonfly operator CLI"),
  Command.withSubcommands([queueCommand, monitorCommand, dlqCommand, discordCommand, doctorCommand, dbCommand, devCommand])
)

export const run = Command.run(dragonfly, { name: "dragonfly", version: "0.1.0" })
