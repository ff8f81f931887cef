import { SqlClient } from "@effect/sql"
import { Console, Effect, Redacted, type Scope } from "effect"
import { mkdirSync } from "node:fs"
import * as Database from "../../db/Database.js"
import { migrate } from "../../db/Migrations.js"
import * as EmbeddedPostgres from "../../dev/EmbeddedPostgres.js"
import { ensureCatalogQueues } from "../../queue/CatalogQueues.js"
import { installProbe } from "../../services/probe/schema.js"

export const DEV_DATABASE = "dragonfly"

export interface DevStackOptions {
  readonly dataDir: string
  readonly port: number
}

export interface DevDatabase {
  readonly server: EmbeddedPostgres.EmbeddedServer
  readonly url: Redacted.Redacted<string>
  readonly applied: ReadonlyArray<readonly [number, string]>
}

const createDatabaseIfMissing = (server: EmbeddedPostgres.EmbeddedServer) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const existing = yield* sql`SELECT 1 FROM pg_database WHERE datname = ${DEV_DATABASE}`
    if (existing.length === 0) yield* sql.unsafe(`CREATE DATABASE "${DEV_DATABASE}"`)
  }).pipe(
    Effect.provide(Database.layerFromOptions({ url: server.url, poolSize: 1, applicationName: "dragonfly-dev" })),
    Effect.scoped
  )

/** The embedded Postgres with its data kept in `dataDir`, the `dragonfly` database, migrated. */
export const start = (options: DevStackOptions): Effect.Effect<DevDatabase, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    // Said first where the package is missing (a production image), before anything is written.
    yield* EmbeddedPostgres.requireInstalled
    yield* Effect.try({
      try: () => mkdirSync(options.dataDir, { recursive: true, mode: 0o755 }),
      catch: (cause) =>
        new EmbeddedPostgres.EmbeddedPostgresError({
          message: `cannot create the stack's directory ${options.dataDir}: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause
        })
    })
    const started = { value: false }
    // Added before the server, so it runs after the server's stop.
    yield* Effect.addFinalizer(() => started.value ? Console.log("  postgres    stopped") : Effect.void)
    // Its own process group: a terminal's Ctrl-C reaches the services, which drain, and not Postgres.
    const server = yield* EmbeddedPostgres.start({
      dataDir: options.dataDir,
      preferredPort: options.port,
      persistent: true,
      durability: "durable",
      ownProcessGroup: true
    })
    started.value = true
    yield* createDatabaseIfMissing(server)
    const url = server.urlFor(DEV_DATABASE)
    // The probe service's queue and table are the dev stack's and the tests' only.
    const applied = yield* migrate.pipe(
      Effect.tap(() => Effect.zipRight(ensureCatalogQueues, installProbe)),
      Effect.provide(Database.layerFromOptions({ url, poolSize: 1, applicationName: "dragonfly-dev" })),
      Effect.scoped
    )
    return { server, url, applied }
  })

/** For printing: the URL with its password masked. */
export const maskedUrl = (url: Redacted.Redacted<string>) => {
  const parsed = new URL(Redacted.value(url))
  if (parsed.password !== "") parsed.password = "***"
  return parsed.toString()
}
