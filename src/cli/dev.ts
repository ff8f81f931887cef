import { Command, Options } from "@effect/cli"
import { SqlClient } from "@effect/sql"
import { Console, Deferred, Duration, Effect, Redacted } from "effect"
import { randomBytes } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import * as Database from "../db/Database.js"
import { choosePort } from "../dev/EmbeddedPostgres.js"
import { acceptsConnections } from "../dev/ports.js"
import * as DevStack from "./dev/DevStack.js"
import { devServices } from "./dev/services.js"
import { runService } from "./dev/Supervisor.js"
import { intakeServices } from "./operator/imports.js"
import { DEMO_ORG, seedDemoData } from "./operator/seed.js"

const dataDir = Options.directory("data-dir").pipe(
  Options.withDescription("Where the embedded cluster keeps its data between runs"),
  Options.withDefault(".dragonfly/pgdata")
)
const port = Options.integer("pg-port").pipe(
  Options.withDescription("Preferred Postgres port; another free one is used when it is taken"),
  Options.withDefault(54329)
)
const apiPort = Options.integer("api-port").pipe(
  Options.withDescription("Preferred API port; another free one is used when it is taken"),
  Options.withDefault(8080)
)

const noSeed = Options.boolean("no-seed").pipe(
  Options.withDescription("Do not import synthetic demo data into an empty database")
)

const MIN_KEY_LENGTH = 16

/**
 * DRAGONFLY_API_KEY when set; otherwise a random key kept beside the data directory, so that it
 * stays the same from one run to the next.
 */
const apiKeyFor = (dataDir: string) =>
  Effect.sync(() => {
    const fromEnv = process.env["DRAGONFLY_API_KEY"]
    if (fromEnv !== undefined && fromEnv.trim().length >= MIN_KEY_LENGTH) {
      return { key: fromEnv, source: "from DRAGONFLY_API_KEY" }
    }
    const file = join(dirname(dataDir), "api-key")
    if (existsSync(file)) {
      const kept = readFileSync(file, "utf8").trim()
      if (kept.length >= MIN_KEY_LENGTH) return { key: kept, source: `in ${file}` }
    }
    const key = `dev-${randomBytes(16).toString("hex")}`
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, `${key}\n`, { mode: 0o600 })
    return { key, source: `in ${file}` }
  })

const masked = (key: string) => `${key.slice(0, 6)}…${key.slice(-2)}`

/** Until the port accepts connections or the process ends (its watcher says why). */
const untilListening = (port: number, exited: Deferred.Deferred<string>) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 30_000
    while (!(yield* acceptsConnections(port)) && !(yield* Deferred.isDone(exited)) && Date.now() < deadline) {
      yield* Effect.sleep(Duration.millis(100))
    }
  })

/**
 * Into an empty database only: synthetic judgments imported through the ingest and simplicity
 * workers just started (the README's examples then work as written).
 */
const seedIfEmpty = (url: Redacted.Redacted<string>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [existing] = yield* sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM dragonfly.plaintiffs`
    if ((existing?.n ?? 0) > 0) return yield* Console.log("  seed        skipped: the database has data")
    const batches = yield* seedDemoData({ orgId: DEMO_ORG, plaintiffs: 12, judgments: 2_000, seed: 20_260_615, progress: false })
    for (const batch of batches) {
      yield* Console.log(
        `  seed        ${batch.layout} file: ${batch.status}, ${batch.inserted.toLocaleString("en-US")} judgments (org ${DEMO_ORG})`
      )
    }
  }).pipe(
    Effect.provide(intakeServices(Database.layerFromOptions({ url, poolSize: 2, applicationName: "dragonfly-dev" }))),
    Effect.catchAllCause((cause) => Effect.logWarning("the demo data could not be imported", cause))
  )

export const devCommand = Command.make("dev", { dataDir, port, apiPort, noSeed }, (options) =>
  Effect.gen(function*() {
    const stack = yield* DevStack.start(options)
    const env = {
      SUPABASE_DB_URL: Redacted.value(stack.url),
      SUPABASE_MODE: "dev",
      ENVIRONMENT: "development"
    }
    yield* Console.log(
      [
        "Dragonfly dev stack",
        `  postgres    ${DevStack.maskedUrl(stack.url)}  (data: ${options.dataDir})`,
        `  migrations  ${
          stack.applied.length === 0 ? "up to date" : `applied ${stack.applied.map(([id, name]) => `${id}_${name}`).join(", ")}`
        }`
      ].join("\n")
    )
    const api = { port: yield* choosePort(options.apiPort), ...(yield* apiKeyFor(options.dataDir)) }
    const outboxDir = join(dirname(resolve(options.dataDir)), "outbox")
    const services = devServices({ port: api.port, apiKey: api.key, outboxDir })
    const running = yield* Effect.forEach(services, (service) => runService(service, { ...env, ...service.env }))
    for (const service of running) {
      yield* Console.log(`  ${service.name.padEnd(11)} pid ${service.pid}  (${service.command})`)
      yield* Deferred.await(service.exited).pipe(
        Effect.flatMap((how) => Effect.logWarning(`${service.name} stopped (${how})`)),
        Effect.forkScoped
      )
      if (service.name === "api") yield* untilListening(api.port, service.exited)
    }
    yield* Console.log(
      `  api url     http://127.0.0.1:${api.port}  (docs: /docs; key ${masked(api.key)} ${api.source})`
    )
    yield* Console.log(`  outbox      ${outboxDir}  (what the comms worker would have sent)`)
    if (!options.noSeed) yield* seedIfEmpty(stack.url)
    yield* Console.log("ready; Ctrl-C stops everything")
    return yield* Effect.never
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription("Run the whole suite locally on an embedded Postgres (no setup needed)")
  )
