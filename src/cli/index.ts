import { Command } from "@effect/cli"
import { Effect, Option } from "effect"
import { dbCommand } from "./db.js"
import { devCommand } from "./dev.js"
import { DevStackDatabase, findDevStack } from "./dev/StackFile.js"
import { discordCommand } from "./operator/discord.js"
import { dlqCommand } from "./operator/dlq.js"
import { doctorCommand } from "./operator/doctor.js"
import { ingestCommand } from "./operator/ingest.js"
import { monitorCommand } from "./operator/monitor.js"
import { queueCommand } from "./operator/queue.js"
import { seedCommand } from "./operator/seed.js"
import { workersCommand } from "./operator/workers.js"

export const dragonfly = Command.make("dragonfly").pipe(
  Command.withDescription("Dragonfly operator CLI"),
  Command.withSubcommands([
    queueCommand,
    monitorCommand,
    workersCommand,
    dlqCommand,
    discordCommand,
    doctorCommand,
    ingestCommand,
    seedCommand,
    dbCommand,
    devCommand
  ])
)

const runCommand = Command.run(dragonfly, { name: "dragonfly", version: "0.1.0" })

/** The CLI; without SUPABASE_DB_URL, a dev stack running here (`npm start`) is the database. */
export const run = (argv: ReadonlyArray<string>) =>
  Effect.flatMap(findDevStack, Option.match({
    onNone: () => runCommand(argv),
    onSome: ({ database, provider }) =>
      runCommand(argv).pipe(Effect.provideService(DevStackDatabase, database), Effect.withConfigProvider(provider))
  }))
