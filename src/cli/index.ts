import { Command } from "@effect/cli"
import { dbCommand } from "./db.js"
import { devCommand } from "./dev.js"
import { discordCommand } from "./operator/discord.js"
import { dlqCommand } from "./operator/dlq.js"
import { doctorCommand } from "./operator/doctor.js"
import { ingestCommand } from "./operator/ingest.js"
import { monitorCommand } from "./operator/monitor.js"
import { queueCommand } from "./operator/queue.js"
import { seedCommand } from "./operator/seed.js"

export const dragonfly = Command.make("dragonfly").pipe(
  Command.withDescription("Dragonfly operator CLI"),
  Command.withSubcommands([
    queueCommand,
    monitorCommand,
    dlqCommand,
    discordCommand,
    doctorCommand,
    ingestCommand,
    seedCommand,
    dbCommand,
    devCommand
  ])
)

export const run = Command.run(dragonfly, { name: "dragonfly", version: "0.1.0" })
