import { Command, Options } from "@effect/cli"
import { SqlClient } from "@effect/sql"
import { Console, Deferred, Duration, Effect, Option, Redacted } from "effect"
import { randomBytes } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import * as Database from "../db/Database.js"
import { choosePort } from "../dev/EmbeddedPostgres.js"
import { acceptsConnections, requireFree } from "../dev/ports.js"
import * as DevStack from "./dev/DevStack.js"
import { devServices } from "./dev/services.js"
import { DEFAULT_STACK_DIR, removeStackFile, stackFilePath, writeStackFile } from "./dev/StackFile.js"
import { runService } from "./dev/Supervisor.js"
import { intakeServices } from "./operator/imports.js"
import { DEMO_ORG, seedDemoData } from "./operator/seed.js"

const dataDir = Options.directory("data-dir").pipe(
  Options.withDescription(
    "The stack's directory, kept between runs: the cluster (pgdata/), the API key, the outbox, and stack.json for the CLI"
  ),
  Options.withDefault(DEFAULT_STACK_DIR)
)
const port = Options.integer("pg-port").pipe(
  Options.withDescription("Postgres port, refused when taken (default: 54329, or another free one when that is taken)"),
  Options.optional
)
const apiPort = Options.integer("api-port").pipe(
  Options.withDescription("API port, refused when taken (default: 8080, or another free one when that is taken)"),
  Options.optional
)

const DEFAULT_PG_PORT = 54329
const DEFAULT_API_PORT = 8080

/** A port asked for is used or refused; without one, the default or any free port. */
const portFor = (requested: Option.Option<number>, fallback: number, option: string) =>
  Option.match(requested, {
    onNone: () => choosePort(fallback),
    onSome: (port) => requireFree(port, option)
  })

/** The cluster's directory: the stack directory itself when it holds one (as `--data-dir` did once), else its pgdata/. */
const clusterDirectory = (stackDir: string) => existsSync(join(stackDir, "PG_VERSION")) ? stackDir : join(stackDir, "pgdata")

const noSeed = Options.boolean("no-seed").pipe(
  Options.withDescription("Do not import synthetic demo data into an empty database")
)

const MIN_KEY_LENGTH = 16

/**
 * DRAGONFLY_API_KEY when set; otherwise a random key kept in the stack directory, so that it
 * stays the same from one run to the next.
 */
const apiKeyFor = (stackDir: string) =>
  Effect.sync(() => {
    const fromEnv = process.env["DRAGONFLY_API_KEY"]
    if (fromEnv !== undefined && fromEnv.trim().length >= MIN_KEY_LENGTH) {
      return { key: fromEnv, source: "from DRAGONFLY_API_KEY" }
    }
    const file = join(stackDir, "api-key")
    if (existsSync(file)) {
      const kept = readFileSync(file, "utf8").trim()
      if (kept.length >= MIN_KEY_LENGTH) return { key: kept, source: `in ${file}` }
    }
    const key = `dev-${randomBytes(16).toString("hex")}`
    mkdirSync(stackDir, { recursive: true })
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
    const stackDir = resolve(options.dataDir)
    const pgPort = yield* portFor(options.port, DEFAULT_PG_PORT, "--pg-port")
    const chosenApiPort = yield* portFor(options.apiPort, DEFAULT_API_PORT, "--api-port")
    // Finalizers run last to first: this line comes after Postgres has stopped.
    yield* Effect.addFinalizer(() => Console.log("stopped"))
    const stack = yield* DevStack.start({ dataDir: clusterDirectory(stackDir), port: pgPort })
    const env = {
      SUPABASE_DB_URL: Redacted.value(stack.url),
      SUPABASE_MODE: "dev",
      ENVIRONMENT: "development"
    }
    yield* Console.log(
      [
        "Dragonfly dev stack",
        `  postgres    ${DevStack.maskedUrl(stack.url)}  (pid ${stack.server.pid() ?? "?"}, data: ${stack.server.dataDir})`,
        `  migrations  ${
          stack.applied.length === 0 ? "up to date" : `applied ${stack.applied.map(([id, name]) => `${id}_${name}`).join(", ")}`
        }`
      ].join("\n")
    )
    const api = { port: chosenApiPort, ...(yield* apiKeyFor(stackDir)) }
    const outboxDir = join(stackDir, "outbox")
    const services = devServices({ port: api.port, apiKey: api.key, outboxDir })
    const running = yield* Effect.forEach(services, (service) => runService(service, { ...env, ...service.env }))
    // The services drain together, then Postgres stops (it was acquired first, so it is released last).
    yield* Effect.addFinalizer(() =>
      Console.log("stopping: the services drain first, then Postgres").pipe(
        Effect.zipRight(Effect.forEach(
          running,
          (service) => Effect.flatMap(service.stop, (how) => Console.log(`  ${service.name.padEnd(11)} stopped (${how})`)),
          { concurrency: "unbounded", discard: true }
        ))
      )
    )
    for (const service of running) {
      yield* Console.log(`  ${service.name.padEnd(11)} pid ${service.pid}  (${service.command})`)
      yield* Deferred.await(service.exited).pipe(
        Effect.flatMap((how) => Effect.logWarning(`${service.name} stopped (${how})`)),
        Effect.forkScoped
      )
      if (service.name === "api") yield* untilListening(api.port, service.exited)
    }
    yield* Console.log(
      `  api url     http://127.0.0.1:${api.port}  (docs: /docs; dashboard: /dashboard; key ${masked(api.key)} ${api.source})`
    )
    yield* Console.log(`  outbox      ${outboxDir}  (what the comms worker would have sent)`)
    yield* Effect.acquireRelease(
      writeStackFile(stackDir, {
        pid: process.pid,
        database_url: Redacted.value(stack.url),
        api_url: `http://127.0.0.1:${api.port}`,
        api_key_file: join(stackDir, "api-key"),
        started_at: new Date().toISOString()
      }),
      () => removeStackFile(stackDir, process.pid)
    )
    const cliPrefix = stackDir === resolve(DEFAULT_STACK_DIR) ? "" : `DRAGONFLY_DEV_DIR=${options.dataDir} `
    yield* Console.log(
      `  cli         ${cliPrefix}node bin/dragonfly.js queue inspect  (finds the stack through ${stackFilePath(stackDir)})`
    )
    if (!options.noSeed) yield* seedIfEmpty(stack.url)
    yield* Console.log("ready; Ctrl-C stops everything")
    return yield* Effect.never
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription("Run the whole suite locally on an embedded Postgres (no setup needed)")
  )
