import { Effect, Exit, Redacted, Scope } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { TestProject } from "vitest/node"
import * as Database from "../../src/db/Database.js"
import { migrate } from "../../src/db/Migrations.js"
import { installProbe } from "../../src/services/probe/schema.js"
import * as EmbeddedPostgres from "../../src/dev/EmbeddedPostgres.js"
import { adminQuery, databaseUrl } from "./admin.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** Maintenance database of the test server: embedded, or TEST_DATABASE_URL. */
    readonly adminDatabaseUrl: string
    /** A migrated database that each test file copies (CREATE DATABASE … TEMPLATE). */
    readonly templateDatabase: string
  }
}

const startEmbedded = async (scope: Scope.CloseableScope) => {
  const root = mkdtempSync(join(tmpdir(), "dragonfly-test-"))
  const server = await Effect.runPromise(Scope.extend(
    EmbeddedPostgres.start({
      dataDir: join(root, "pgdata"),
      preferredPort: 55432,
      persistent: false,
      durability: "ephemeral",
      maxConnections: 300
    }),
    scope
  ))
  return Redacted.value(server.url)
}

/**
 * One PostgreSQL server for the whole run: the embedded one, or the server named by
 * TEST_DATABASE_URL (for example one with the real pgmq extension).
 */
export default async function setup(project: TestProject) {
  const scope = Effect.runSync(Scope.make())
  const stop = () => Effect.runPromise(Scope.close(scope, Exit.void))
  const adminUrl: string = process.env.TEST_DATABASE_URL ?? (await startEmbedded(scope))
  const template = `dragonfly_template_${process.pid}`
  try {
    await createTemplate(adminUrl, template)
  } catch (error) {
    await stop()
    throw error
  }
  project.provide("adminDatabaseUrl", adminUrl)
  project.provide("templateDatabase", template)
  return async () => {
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`).catch(() => undefined)
    await stop()
  }
}

const createTemplate = async (adminUrl: string, template: string) => {
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`)
  await adminQuery(adminUrl, `CREATE DATABASE "${template}"`)
  await Effect.runPromise(
    migrate.pipe(
      Effect.zipLeft(installProbe),
      Effect.provide(Database.layerFromOptions({
        url: Redacted.make(databaseUrl(adminUrl, template)),
        poolSize: 1,
        applicationName: "test-setup"
      }))
    )
  )
}
