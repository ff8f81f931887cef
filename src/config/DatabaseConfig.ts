import { Config, ConfigError, Context, Duration, Either, Option, Redacted } from "effect"
import { httpUrl, parseUrl, refine, secret } from "./validate.js"

export const Environments = ["production", "staging", "development", "test"] as const
export type Environment = (typeof Environments)[number]
export const SupabaseModes = ["prod", "dev"] as const
export type SupabaseMode = (typeof SupabaseModes)[number]

export interface DatabaseSettings {
  readonly environment: Environment
  readonly supabaseMode: SupabaseMode
  /** `SUPABASE_URL`: required in production, where it pins the project the DB URL must belong to. */
  readonly supabaseUrl: Option.Option<URL>
  readonly serviceRoleKey: Option.Option<Redacted.Redacted<string>>
  readonly url: Redacted.Redacted<string>
  readonly poolSize: number
  /** `DB_CONNECT_RETRY_SECONDS`: how long start-up keeps trying to reach the database. */
  readonly connectRetryWindow: Duration.Duration
}

/** Supabase's transaction pooler (port 6543): no session of our own, so no LISTEN and no session names. */
export const isTransactionPooler = (url: Redacted.Redacted<string>) => {
  try {
    return new URL(Redacted.value(url)).port === "6543"
  } catch {
    return false
  }
}

const connectionString = refine(
  Config.redacted("SUPABASE_DB_URL"),
  "SUPABASE_DB_URL",
  (value) => {
    const url = parseUrl(Redacted.value(value))
    if (url === undefined || (url.protocol !== "postgres:" && url.protocol !== "postgresql:")) {
      return "must be a postgres:// or postgresql:// connection string"
    }
    return url.hostname === "" ? "has no host" : undefined
  }
)

const serviceRoleKey = refine(secret("SUPABASE_SERVICE_ROLE_KEY"), "SUPABASE_SERVICE_ROLE_KEY", (value) => {
  const key = Redacted.value(value).trim()
  if (key.startsWith("sb_publishable_")) return "is a publishable key; the service role (secret) key is required"
  const role = jwtRole(key)
  if (role !== undefined && role !== "service_role") return `is a '${role}' key; the service role key is required`
  return key.length < 20 ? "is too short to be a Supabase service role key" : undefined
})

const jwtRole = (token: string): string | undefined => {
  const parts = token.split(".")
  if (parts.length !== 3) return undefined
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"))
    return typeof claims === "object" && claims !== null && "role" in claims && typeof claims.role === "string"
      ? claims.role
      : undefined
  } catch {
    return undefined
  }
}

/** The project ref a Supabase URL names: `https://<ref>.supabase.co`. */
const projectRefOfApiUrl = (url: URL) => /^([a-z0-9]+)\.supabase\.(co|in)$/.exec(url.hostname)?.[1]

/** The project ref of a database URL: direct host `db.<ref>.supabase.co`, or pooler user `postgres.<ref>`. */
const projectRefOfDbUrl = (url: URL) =>
  /^db\.([a-z0-9]+)\.supabase\.(co|in)$/.exec(url.hostname)?.[1] ??
    (url.hostname.endsWith(".pooler.supabase.com") ? /^[^.]+\.([a-z0-9]+)$/.exec(url.username)?.[1] : undefined)

type Deployment = Pick<DatabaseSettings, "environment" | "supabaseMode" | "supabaseUrl" | "serviceRoleKey">

const failAll = <A>(value: A, problems: ReadonlyArray<ConfigError.ConfigError>) =>
  problems.length === 0 ? Either.right(value) : Either.left(problems.reduce(ConfigError.And))

/** The guide's "wrong SUPABASE_MODE connects to the wrong project": production only runs against prod. */
const productionGuard = (deployment: Deployment) => {
  const problems: Array<ConfigError.ConfigError> = []
  if (deployment.environment === "production") {
    if (deployment.supabaseMode !== "prod") {
      problems.push(ConfigError.InvalidData(
        ["SUPABASE_MODE"],
        `is '${deployment.supabaseMode}' but ENVIRONMENT is 'production'; refusing to start against a non-production project`
      ))
    }
    if (Option.isNone(deployment.supabaseUrl)) {
      problems.push(ConfigError.MissingData(["SUPABASE_URL"], "required when ENVIRONMENT is 'production'"))
    }
    if (Option.isNone(deployment.serviceRoleKey)) {
      problems.push(ConfigError.MissingData(["SUPABASE_SERVICE_ROLE_KEY"], "required when ENVIRONMENT is 'production'"))
    }
  }
  return failAll(deployment, problems)
}

/** SUPABASE_DB_URL must point at the project SUPABASE_URL names, when both reveal one. */
const sameProject = (settings: DatabaseSettings) => {
  const apiRef = Option.flatMapNullable(settings.supabaseUrl, projectRefOfApiUrl)
  const dbUrl = parseUrl(Redacted.value(settings.url))
  const dbRef = Option.fromNullable(dbUrl && projectRefOfDbUrl(dbUrl))
  return failAll(
    settings,
    Option.isSome(apiRef) && Option.isSome(dbRef) && apiRef.value !== dbRef.value
      ? [ConfigError.InvalidData(
        ["SUPABASE_DB_URL"],
        `belongs to Supabase project '${dbRef.value}' but SUPABASE_URL is project '${apiRef.value}'`
      )]
      : []
  )
}

/** What every service that talks to Postgres needs: the guide's "Required (All Services)" group. */
export class DatabaseConfig extends Context.Tag("config/DatabaseConfig")<DatabaseConfig, DatabaseSettings>() {
  static readonly config: Config.Config<DatabaseSettings> = Config.all({
    deployment: Config.all({
      environment: Config.literal(...Environments)("ENVIRONMENT"),
      supabaseMode: Config.literal(...SupabaseModes)("SUPABASE_MODE"),
      supabaseUrl: Config.option(Config.mapOrFail(Config.string("SUPABASE_URL"), (value) => {
        const url = httpUrl(value)
        return url ? Either.right(url) : Either.left(ConfigError.InvalidData(["SUPABASE_URL"], "must be an http(s) URL"))
      })),
      serviceRoleKey: Config.option(serviceRoleKey)
    }).pipe(Config.mapOrFail(productionGuard)),
    connection: Config.all({
      url: connectionString,
      poolSize: refine(
        Config.integer("DB_POOL_SIZE").pipe(Config.withDefault(5)),
        "DB_POOL_SIZE",
        (size) => (size < 1 || size > 100 ? "must be between 1 and 100" : undefined)
      ),
      connectRetryWindow: refine(
        Config.integer("DB_CONNECT_RETRY_SECONDS").pipe(Config.withDefault(30)),
        "DB_CONNECT_RETRY_SECONDS",
        (seconds) => (seconds < 0 || seconds > 600 ? "must be between 0 and 600 seconds" : undefined)
      ).pipe(Config.map(Duration.seconds))
    })
  }).pipe(Config.mapOrFail(({ connection, deployment }) => sameProject({ ...deployment, ...connection })))
}
