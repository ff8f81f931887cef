import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Duration, Effect, Either, LogLevel, Option, Redacted } from "effect"
import {
  ApiConfig,
  CollectorConfig,
  type ConfigSection,
  DatabaseConfig,
  DraftingConfig,
  type InvalidConfiguration,
  loadSections,
  LoggingConfig,
  OpenAiConfig,
  OptionalCollectorConfig,
  ProbeConfig,
  WorkerConfig
} from "../src/config/index.js"

const SERVICE_ROLE_JWT = [
  Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url"),
  Buffer.from(JSON.stringify({ iss: "supabase", ref: "abc123", role: "service_role" })).toString("base64url"),
  "c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
].join(".")
const ANON_JWT = SERVICE_ROLE_JWT.replace(
  Buffer.from(JSON.stringify({ iss: "supabase", ref: "abc123", role: "service_role" })).toString("base64url"),
  Buffer.from(JSON.stringify({ iss: "supabase", ref: "abc123", role: "anon" })).toString("base64url")
)
const DB_PASSWORD = "s3cret-db-pass"

const production: Record<string, string> = {
  SUPABASE_URL: "https://abc123.supabase.co",
  SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_JWT,
  SUPABASE_DB_URL: `postgresql://postgres.abc123:${DB_PASSWORD}@aws-0-us-east-1.pooler.supabase.com:6543/postgres`,
  SUPABASE_MODE: "prod",
  ENVIRONMENT: "production"
}
const local: Record<string, string> = {
  SUPABASE_DB_URL: `postgresql://postgres:${DB_PASSWORD}@127.0.0.1:54329/dragonfly`,
  SUPABASE_MODE: "dev",
  ENVIRONMENT: "development"
}

const load = <const S extends ReadonlyArray<ConfigSection>>(env: Record<string, string>, ...sections: S) =>
  loadSections(...sections).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.either
  )

const problems = (result: Either.Either<unknown, InvalidConfiguration>) =>
  Either.match(result, {
    onLeft: (error) => error.problems.map(({ problem, variable }) => `${variable}: ${problem}`),
    onRight: () => []
  })

const without = (env: Record<string, string>, ...names: Array<string>) =>
  Object.fromEntries(Object.entries(env).filter(([name]) => !names.includes(name)))

describe("DatabaseConfig", () => {
  it.effect("reads a production environment", () =>
    Effect.gen(function*() {
      const result = yield* load(production, DatabaseConfig)
      assert.isTrue(Either.isRight(result))
      const settings = Context.get(Either.getOrThrow(result), DatabaseConfig)
      assert.strictEqual(settings.environment, "production")
      assert.strictEqual(settings.supabaseMode, "prod")
      assert.strictEqual(settings.poolSize, 5)
      assert.isTrue(Redacted.isRedacted(settings.url))
      assert.isTrue(Option.isSome(settings.serviceRoleKey))
    }))

  it.effect("reads a local environment without the Supabase API variables", () =>
    Effect.gen(function*() {
      const result = yield* load({ ...local, DB_POOL_SIZE: "3" }, DatabaseConfig)
      assert.deepStrictEqual(problems(result), [])
    }))

  it.effect("names every missing variable at once", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(problems(yield* load({}, DatabaseConfig)), [
        "ENVIRONMENT: is missing",
        "SUPABASE_DB_URL: is missing",
        "SUPABASE_MODE: is missing"
      ])
    }))

  it.effect("refuses ENVIRONMENT=production with SUPABASE_MODE=dev", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(problems(yield* load({ ...production, SUPABASE_MODE: "dev" }, DatabaseConfig)), [
        "SUPABASE_MODE: is 'dev' but ENVIRONMENT is 'production'; refusing to start against a non-production project"
      ])
    }))

  it.effect("requires the Supabase URL and service role key in production", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(
        problems(yield* load(without(production, "SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"), DatabaseConfig)),
        [
          "SUPABASE_SERVICE_ROLE_KEY: is missing (required when ENVIRONMENT is 'production')",
          "SUPABASE_URL: is missing (required when ENVIRONMENT is 'production')"
        ]
      )
    }))

  it.effect("refuses a database of another Supabase project than SUPABASE_URL", () =>
    Effect.gen(function*() {
      const direct = `postgresql://postgres:${DB_PASSWORD}@db.zzz999.supabase.co:5432/postgres`
      assert.deepStrictEqual(problems(yield* load({ ...production, SUPABASE_DB_URL: direct }, DatabaseConfig)), [
        "SUPABASE_DB_URL: belongs to Supabase project 'zzz999' but SUPABASE_URL is project 'abc123'"
      ])
      const pooled = production.SUPABASE_DB_URL!.replace("postgres.abc123", "postgres.zzz999")
      assert.lengthOf(problems(yield* load({ ...production, SUPABASE_DB_URL: pooled }, DatabaseConfig)), 1)
    }))

  it.effect("refuses an anon or publishable key as the service role key", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(problems(yield* load({ ...production, SUPABASE_SERVICE_ROLE_KEY: ANON_JWT }, DatabaseConfig)), [
        "SUPABASE_SERVICE_ROLE_KEY: is a 'anon' key; the service role key is required"
      ])
      assert.deepStrictEqual(
        problems(yield* load({ ...production, SUPABASE_SERVICE_ROLE_KEY: "sb_publishable_abcdefghijklmnopqrstuvwxyz" }, DatabaseConfig)),
        ["SUPABASE_SERVICE_ROLE_KEY: is a publishable key; the service role (secret) key is required"]
      )
      assert.deepStrictEqual(
        problems(yield* load({ ...production, SUPABASE_SERVICE_ROLE_KEY: "sb_secret_abcdefghijklmnopqrstuvwxyz" }, DatabaseConfig)),
        []
      )
    }))

  it.effect("reports malformed values of several variables together, never echoing secrets", () =>
    Effect.gen(function*() {
      const result = yield* load({
        ENVIRONMENT: "prodution",
        SUPABASE_MODE: "staging",
        SUPABASE_URL: "abc123.supabase.co",
        SUPABASE_SERVICE_ROLE_KEY: "zq-tiny-9",
        SUPABASE_DB_URL: `mysql://root:${DB_PASSWORD}@localhost/db`,
        DB_POOL_SIZE: "0"
      }, DatabaseConfig)
      const found = problems(result)
      assert.deepStrictEqual(found.map((line) => line.split(":")[0]), [
        "DB_POOL_SIZE",
        "ENVIRONMENT",
        "SUPABASE_DB_URL",
        "SUPABASE_MODE",
        "SUPABASE_SERVICE_ROLE_KEY",
        "SUPABASE_URL"
      ])
      const message = Either.getLeft(result).pipe(Option.getOrThrow).message
      assert.notInclude(message, DB_PASSWORD)
      assert.notInclude(message, "zq-tiny-9")
      assert.include(message, "Invalid configuration (6 problems)")
    }))
})

describe("WorkerConfig", () => {
  it.effect("defaults HEARTBEAT_INTERVAL to 30 seconds and leaves Discord off", () =>
    Effect.gen(function*() {
      const settings = Context.get(Either.getOrThrow(yield* load({}, WorkerConfig)), WorkerConfig)
      assert.isTrue(Duration.equals(settings.heartbeatInterval, Duration.seconds(30)))
      assert.isTrue(Option.isNone(settings.discordWebhookUrl))
      assert.strictEqual(settings.version, "dev")
    }))

  it.effect("names a bad interval and a bad webhook together", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(
        problems(yield* load({ HEARTBEAT_INTERVAL: "abc", DISCORD_WEBHOOK_URL: "discord webhook" }, WorkerConfig)),
        ["DISCORD_WEBHOOK_URL: must be an http(s) URL", "HEARTBEAT_INTERVAL: Expected an integer value but received \"abc\""]
      )
      assert.deepStrictEqual(problems(yield* load({ HEARTBEAT_INTERVAL: "0" }, WorkerConfig)), [
        "HEARTBEAT_INTERVAL: must be between 1 and 3600 seconds"
      ])
    }))
})

describe("ApiConfig", () => {
  it.effect("parses CORS origins and defaults PORT", () =>
    Effect.gen(function*() {
      const settings = Context.get(Either.getOrThrow(yield* load({
        DRAGONFLY_API_KEY: "sk-dragonfly-0123456789abcdef",
        DRAGONFLY_CORS_ORIGINS: "https://app.dragonfly.law, http://localhost:5173"
      }, ApiConfig)), ApiConfig)
      assert.deepStrictEqual(settings.corsOrigins, ["https://app.dragonfly.law", "http://localhost:5173"])
      assert.strictEqual(settings.port, 8080)
    }))

  it.effect("names every API problem at once", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(
        problems(yield* load({ PORT: "99999", DRAGONFLY_CORS_ORIGINS: "https://ok.example, https://bad.example/path" }, ApiConfig)),
        [
          "DRAGONFLY_API_KEY: is missing",
          "DRAGONFLY_CORS_ORIGINS: not an origin (scheme://host[:port], no path or trailing slash): https://bad.example/path",
          "PORT: Expected a network port value but received \"99999\""
        ]
      )
      assert.deepStrictEqual(problems(yield* load({ DRAGONFLY_API_KEY: "short" }, ApiConfig)), [
        "DRAGONFLY_API_KEY: must be at least 16 characters"
      ])
    }))
})

describe("several sections", () => {
  it.effect("report problems of every section in one message", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(
        problems(yield* load({ ...local, HEARTBEAT_INTERVAL: "-5", SUPABASE_MODE: "qa" }, DatabaseConfig, WorkerConfig, OpenAiConfig)),
        [
          "HEARTBEAT_INTERVAL: must be between 1 and 3600 seconds",
          "OPENAI_API_KEY: is missing",
          "SUPABASE_MODE: Expected one of (prod, dev) but received \"qa\""
        ]
      )
    }))
})

describe("LoggingConfig", () => {
  const read = (env: Record<string, string>, config = LoggingConfig.config) =>
    Effect.withConfigProvider(config, ConfigProvider.fromMap(new Map(Object.entries(env))))

  it.effect("JSON lines in production, pretty elsewhere, at Info; LOG_FORMAT and LOG_LEVEL override", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* read({ ENVIRONMENT: "production" }), { format: "json", level: LogLevel.Info })
      assert.deepStrictEqual(yield* read({}), { format: "pretty", level: LogLevel.Info })
      assert.deepStrictEqual(
        yield* read({ ENVIRONMENT: "production", LOG_FORMAT: "logfmt", LOG_LEVEL: "debug" }),
        { format: "logfmt", level: LogLevel.Debug }
      )
    }))

  it.effect("bad values are named with the other sections' problems; the lenient reading falls back", () =>
    Effect.gen(function*() {
      const env = { ...local, LOG_FORMAT: "xml", LOG_LEVEL: "loud", WORKER_CONCURRENCY: "0" }
      const found = problems(yield* load(env, LoggingConfig, DatabaseConfig, WorkerConfig))
      assert.deepStrictEqual(found.map((line) => line.split(":")[0]), ["LOG_FORMAT", "LOG_LEVEL", "WORKER_CONCURRENCY"])
      assert.deepStrictEqual(
        yield* read({ ENVIRONMENT: "production", LOG_FORMAT: "xml", LOG_LEVEL: "loud" }, LoggingConfig.lenient),
        { format: "json", level: LogLevel.Info }
      )
    }))
})

describe("CollectorConfig and DraftingConfig", () => {
  const collector = {
    COLLECTOR_NAME: "Example Recovery LLP (TEST)",
    COLLECTOR_ADDRESS: "PO Box 100, Albany, NY 12201",
    COLLECTOR_PHONE: "(518) 555-0100",
    COLLECTOR_EMAIL: "collections@example.com"
  }

  it.effect("the enforcement worker needs all four COLLECTOR_* variables, each checked", () =>
    Effect.gen(function*() {
      const ok = yield* load({ ...local, ...collector }, CollectorConfig)
      assert.strictEqual(Context.get(Either.getOrThrow(ok), CollectorConfig).name, collector.COLLECTOR_NAME)
      assert.sameMembers(
        problems(yield* load({ ...local, ...without(collector, "COLLECTOR_PHONE"), COLLECTOR_EMAIL: "nobody" }, CollectorConfig)),
        ["COLLECTOR_PHONE: is missing", "COLLECTOR_EMAIL: must be an email address"]
      )
    }))

  it.effect("for the API they are optional, but a partial set names what is missing", () =>
    Effect.gen(function*() {
      const none = yield* load(local, OptionalCollectorConfig)
      assert.isTrue(Option.isNone(Context.get(Either.getOrThrow(none), OptionalCollectorConfig)))
      const all = yield* load({ ...local, ...collector }, OptionalCollectorConfig)
      assert.isTrue(Option.isSome(Context.get(Either.getOrThrow(all), OptionalCollectorConfig)))
      const partial = problems(yield* load({ ...local, COLLECTOR_NAME: "Example Recovery LLP" }, OptionalCollectorConfig))
      assert.sameMembers(partial.map((line) => line.split(":")[0]), ["COLLECTOR_ADDRESS", "COLLECTOR_PHONE", "COLLECTOR_EMAIL"])
    }))

  it.effect("drafting is off without OPENAI_API_KEY, and on with it", () =>
    Effect.gen(function*() {
      const off = yield* load(local, DraftingConfig)
      assert.isTrue(Option.isNone(Context.get(Either.getOrThrow(off), DraftingConfig)))
      const on = yield* load({ ...local, OPENAI_API_KEY: "sk-test-0123456789abcdef" }, DraftingConfig)
      const settings = Context.get(Either.getOrThrow(on), DraftingConfig)
      assert.strictEqual(Option.getOrThrow(settings).model, "gpt-4.1-mini")
      assert.deepStrictEqual(
        problems(yield* load({ ...local, OPENAI_API_KEY: "sk-test-0123456789abcdef", OPENAI_TIMEOUT: "0" }, DraftingConfig)),
        ["OPENAI_TIMEOUT: must be between 1 and 600 seconds"]
      )
    }))
})

describe("ProbeConfig", () => {
  it.effect("PROBE_EXTERNAL_URL is optional and must be an http(s) URL", () =>
    Effect.gen(function*() {
      const off = yield* load(local, ProbeConfig)
      assert.isTrue(Option.isNone(Context.get(Either.getOrThrow(off), ProbeConfig).externalUrl))
      const on = yield* load({ ...local, PROBE_EXTERNAL_URL: "http://127.0.0.1:8099/effects" }, ProbeConfig)
      assert.strictEqual(Option.getOrThrow(Context.get(Either.getOrThrow(on), ProbeConfig).externalUrl).href, "http://127.0.0.1:8099/effects")
      assert.deepStrictEqual(
        problems(yield* load({ ...local, PROBE_EXTERNAL_URL: "ftp://example.com/x" }, ProbeConfig)),
        ["PROBE_EXTERNAL_URL: must be an http(s) URL"]
      )
    }))
})
