import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { migrate } from "../db/Migrations.js"
import { ensureCatalogQueues } from "../queue/CatalogQueues.js"
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
    // Every run, not only a migration's: a dump/restore with the real pgmq leaves the queue tables out.
    for (const queue of yield* ensureCatalogQueues) {
      yield* Console.log(`created queue ${queue} (it was missing)`)
    }
  }).pipe(Effect.provide(DatabaseLive))).pipe(
    Command.withDescription(
      "Apply pending migrations to SUPABASE_DB_URL and create any missing catalogue queue (safe to re-run, safe to run concurrently)"
    )
  )

export const dbCommand = Command.make("db").pipe(
  Command.withDescription("Database maintenance"),
  Command.withSubcommands([migrateCommand])
)
