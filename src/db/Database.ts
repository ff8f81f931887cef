import { PgClient } from "@effect/sql-pg"
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient, type SqlError } from "@effect/sql"
import { Context, Data, Duration, Effect, Layer, Redacted, Ref, Schedule } from "effect"
import { DatabaseConfig } from "../config/index.js"

export class DatabaseUnavailable extends Data.TaggedError("DatabaseUnavailable")<{
  readonly target: string
  readonly attempts: number
  readonly reason: string
}> {
  override get message() {
    return `Could not connect to the database at ${this.target} after ${this.attempts} attempt${
      this.attempts === 1 ? "" : "s"
    }: ${this.reason}`
  }
}

/**
 * The server answered and refused: a wrong password, an unknown role or database. Trying again
 * cannot help, so start-up stops at once.
 */
export class DatabaseRefused extends Data.TaggedError("DatabaseRefused")<{
  readonly target: string
  readonly code: string
  readonly reason: string
}> {
  override get message() {
    const what = REFUSALS[this.code] ?? "refused the connection"
    return `The database at ${this.target} ${what}: ${this.reason}`
  }
}

/** SQLSTATEs a connection attempt can end with that no retry fixes, and what they mean. */
const REFUSALS: Record<string, string> = {
  "28P01": "rejected the credentials (authentication failed; check the user and password in SUPABASE_DB_URL)",
  "28000": "refused the role (authentication failed; check the user in SUPABASE_DB_URL)",
  "3D000": "has no such database (check the database name in SUPABASE_DB_URL)"
}

/** The SQLSTATE of a refusal no retry can fix, when the error is one. */
const refusalCode = (error: SqlError.SqlError) => {
  const code = (error.cause as { readonly code?: unknown } | undefined)?.code
  return typeof code === "string" && code in REFUSALS ? code : undefined
}

export interface ConnectOptions {
  readonly url: Redacted.Redacted<string>
  readonly poolSize: number
  /** Shown in pg_stat_activity: which service holds a connection. */
  readonly applicationName: string
  /** How long start-up keeps retrying (default 30 seconds; 0 = one attempt). */
  readonly retryWindow?: Duration.DurationInput
}

/** Start-up only: backs off from 250 ms to 5 s between attempts until `window` has passed. */
export const connectRetry = (window: Duration.DurationInput) =>
  Schedule.exponential("250 millis", 2).pipe(
    Schedule.either(Schedule.spaced("5 seconds")),
    Schedule.upTo(window)
  )

/** `host:port/database`, never the credentials. */
export const describeTarget = (url: Redacted.Redacted<string>) => {
  try {
    const parsed = new URL(Redacted.value(url))
    return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname || "/postgres"}`
  } catch {
    return "(unparseable connection string)"
  }
}

const reasonOf = (error: SqlError.SqlError, url: Redacted.Redacted<string>) => {
  const cause = error.cause
  const text = cause instanceof Error && cause.message !== "" ? cause.message : error.message
  const password = (() => {
    try {
      return decodeURIComponent(new URL(Redacted.value(url)).password)
    } catch {
      return ""
    }
  })()
  return password === "" ? text : text.split(password).join("***")
}

/**
 * The pool. Statements are never named (no prepared statements) and nothing relies on session
 * state, so Supabase's transaction pooler (port 6543) is as good as a direct connection. (Workers
 * may LISTEN for a hint that a job was sent, on a connection of their own, never through the
 * transaction pooler: see JobNotifications.)
 */
const connect = (options: ConnectOptions) =>
  Effect.gen(function*() {
    const target = describeTarget(options.url)
    const attempts = yield* Ref.make(0)
    return yield* PgClient.make({
      url: options.url,
      maxConnections: options.poolSize,
      idleTimeout: Duration.seconds(30),
      connectTimeout: Duration.seconds(10),
      applicationName: options.applicationName
    }).pipe(
      Effect.mapError((error) => {
        const code = refusalCode(error)
        return code === undefined ? error : new DatabaseRefused({ target, code, reason: reasonOf(error, options.url) })
      }),
      Effect.tapError((error) =>
        error._tag === "DatabaseRefused" ? Effect.void : Ref.updateAndGet(attempts, (n) => n + 1).pipe(
          Effect.flatMap((attempt) =>
            Effect.logWarning(`database not reachable at ${target} (attempt ${attempt}): ${reasonOf(error, options.url)}`)
          )
        )
      ),
      Effect.retry({
        schedule: connectRetry(options.retryWindow ?? "30 seconds"),
        while: (error) => error._tag !== "DatabaseRefused"
      }),
      Effect.catchTag("SqlError", (error) =>
        Effect.flatMap(Ref.get(attempts), (n) =>
          new DatabaseUnavailable({ target, attempts: n, reason: reasonOf(error, options.url) }))
      )
    )
  })

/** `PgClient` and `SqlClient` from explicit options (tests, the dev stack). */
export const layerFromOptions = (
  options: ConnectOptions
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, DatabaseUnavailable | DatabaseRefused> =>
  Layer.scopedContext(
    Effect.map(connect(options), (client) => Context.make(PgClient.PgClient, client).pipe(Context.add(SqlClient.SqlClient, client)))
  ).pipe(Layer.provide(Reactivity.layer))

/** `PgClient` and `SqlClient` from `SUPABASE_DB_URL` and `DB_POOL_SIZE`. */
export const layer = (
  applicationName: string
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, DatabaseUnavailable | DatabaseRefused, DatabaseConfig> =>
  Layer.unwrapEffect(
    Effect.map(DatabaseConfig, (config) =>
      layerFromOptions({
        url: config.url,
        poolSize: config.poolSize,
        applicationName,
        retryWindow: config.connectRetryWindow
      }))
  )
