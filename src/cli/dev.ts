import { Command, Options } from "@effect/cli"
import { Console, Deferred, Effect, Redacted } from "effect"
import * as DevStack from "./dev/DevStack.js"
import { devServices } from "./dev/services.js"
import { runService } from "./dev/Supervisor.js"

const dataDir = Options.directory("data-dir").pipe(
  Options.withDescription("Where the embedded cluster keeps its data between runs"),
  Options.withDefault(".dragonfly/pgdata")
)
const port = Options.integer("pg-port").pipe(
  Options.withDescription("Preferred Postgres port; another free one is used when it is taken"),
  Options.withDefault(54329)
)

export const devCommand = Command.make("dev", { dataDir, port }, (options) =>
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
    const running = yield* Effect.forEach(devServices, (service) => runService(service, env))
    for (const service of running) {
      yield* Console.log(`  ${service.name.padEnd(11)} pid ${service.pid}  (${service.command})`)
      yield* Deferred.await(service.exited).pipe(
        Effect.flatMap((how) => Effect.logWarning(`${service.name} stopped (${how})`)),
        Effect.forkScoped
      )
    }
    if (running.length === 0) yield* Console.log("  services    none yet")
    yield* Console.log("ready; Ctrl-C stops everything")
    return yield* Effect.never
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription("Run the whole suite locally on an embedded Postgres (no setup needed)")
  )
