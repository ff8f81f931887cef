import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { migrate } from "../db/Migrations.js"
import { DatabaseLive } from "./operator/layers.js"
import { operatorCommand } from "./operator/environment.js"

const migrateCommand = operatorCommand("migrate", {}, () =>
  Effect.gen(function*() {
    const applied = yield* migrate
    if (applied.length === 0) {
      yield* Console.log("database is up to date")
    }
    for (const [id, name] of applied) {
      yield* Console.log(`applied ${String(id).padStart(4, "0")}_${name}`)
    }
  }).pipe(Effect.provide(DatabaseLive))).pipe(
    Command.withDescription("Apply pending migrations to SUPABASE_DB_URL (safe to re-run, safe to run concurrently)")
  )

export const dbCommand = Command.make("db").pipe(
  Command.withDescription("Database maintenance"),
  Command.withSubcommands([migrateCommand])
)
