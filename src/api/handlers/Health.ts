import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { SqlClient } from "@effect/sql"
import { Config, Effect } from "effect"
import { databaseChecks } from "../../monitoring/DatabaseChecks.js"
import { Api } from "../Api.js"
import { DatabaseHealthy, DatabaseUnhealthy, Liveness } from "../schemas.js"

const SERVICE = "dragonfly-api"

export const HealthLive = HttpApiBuilder.group(Api, "health", (handlers) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const version = yield* Config.string("WORKER_VERSION").pipe(Config.withDefault("dev"), Effect.orDie)
    const startedAt = Date.now()
    const checks = Effect.provideService(databaseChecks, SqlClient.SqlClient, sql)
    return handlers
      .handle("health", () =>
        Effect.succeed(
          new Liveness({
            status: "ok",
            service: SERVICE,
            version,
            uptime_seconds: Math.floor((Date.now() - startedAt) / 1000)
          })
        ))
      .handle("healthDb", () =>
        Effect.flatMap(checks, (checks) => {
          const failed = Object.entries(checks).filter(([, check]) => !check.ok).map(([name]) => name)
          return failed.length === 0
            ? Effect.succeed(new DatabaseHealthy({ status: "ok", checks }))
            : Effect.fail(new DatabaseUnhealthy({ message: `failed: ${failed.join(", ")}`, checks }))
        }))
  }))
