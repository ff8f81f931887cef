import type { PgClient } from "@effect/sql-pg"
import type { SqlClient } from "@effect/sql"
import { inject } from "@effect/vitest"
import { Effect, Layer, Redacted, type Scope } from "effect"
import { randomBytes } from "node:crypto"
import * as Database from "../../src/db/Database.js"
import { adminQuery, databaseUrl } from "./admin.js"

export interface FreshDatabaseOptions {
  /** Copy of the migrated template (default), or an empty database. */
  readonly migrated?: boolean
}

/** A database of its own for the caller's scope, dropped when the scope closes. */
export const freshDatabase = (
  options: FreshDatabaseOptions = {}
): Effect.Effect<Redacted.Redacted<string>, never, Scope.Scope> =>
  Effect.suspend(() => {
  const admin = inject("adminDatabaseUrl")
  const name = `test_${randomBytes(6).toString("hex")}`
  const template = options.migrated === false ? "template0" : inject("templateDatabase")
  return Effect.acquireRelease(
    Effect.promise(() => adminQuery(admin, `CREATE DATABASE "${name}" TEMPLATE "${template}"`)),
    () => Effect.promise(() => adminQuery(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
  ).pipe(Effect.as(Redacted.make(databaseUrl(admin, name))))
  })

/** `PgClient` + `SqlClient` on a fresh database (migrated unless told otherwise). */
export const layer = (
  options: FreshDatabaseOptions & { readonly poolSize?: number } = {}
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient> =>
  Layer.unwrapScoped(
    Effect.map(freshDatabase(options), (url) =>
      Database.layerFromOptions({ url, poolSize: options.poolSize ?? 8, applicationName: "test" }))
  ).pipe(Layer.orDie)
