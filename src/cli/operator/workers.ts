import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Console, Effect } from "effect"
import { Monitoring } from "../../monitoring/Monitoring.js"
import { operatorCommand } from "./environment.js"
import { OperatorLive } from "./layers.js"
import { goneMinutes } from "./monitor.js"
import { age, table } from "./table.js"

const UNIT_SECONDS = { m: 60, h: 3600, d: 86_400 } as const

/** `30m`, `12h`, `7d`: a span in seconds, or undefined. */
export const parseSpan = (text: string): number | undefined => {
  const match = /^(\d+)\s*([mhd])$/.exec(text.trim())
  return match === null ? undefined : Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS]
}

const olderThan = Options.text("older-than").pipe(
  Options.withDefault("7d"),
  Options.withDescription("Remove rows whose last heartbeat is older than this: 30m, 12h, 7d"),
  Options.mapEffect((text) => {
    const seconds = parseSpan(text)
    return seconds === undefined
      ? Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--older-than '${text}': expected minutes, hours or days, such as 30m, 12h, 7d`)))
      : Effect.succeed(seconds)
  })
)
const dryRun = Options.boolean("dry-run").pipe(Options.withDescription("List what would be removed; remove nothing"))

const prune = operatorCommand("prune", { olderThan, goneMinutes, dryRun }, (options) =>
  Effect.gen(function*() {
    const monitoring = yield* Monitoring
    const rows = yield* monitoring.prune({
      olderThanSeconds: options.olderThan,
      goneMinutes: options.goneMinutes,
      dryRun: options.dryRun
    })
    if (rows.length === 0) {
      return yield* Console.log("no stopped or gone worker is that old: nothing to remove")
    }
    yield* Console.log(table(
      ["worker", "service", "health", "last heartbeat"],
      rows.map((row) => [row.worker_id, row.service, row.health, `${age(row.seconds_since_heartbeat)} ago`])
    ))
    const count = `${rows.length} heartbeat row${rows.length === 1 ? "" : "s"}`
    yield* Console.log(options.dryRun ? `would remove ${count} (dry run)` : `removed ${count}`)
  }).pipe(Effect.provide(OperatorLive))).pipe(
    Command.withDescription(
      "Remove the heartbeat rows of stopped and gone workers (workers also do it themselves after HEARTBEAT_RETENTION_DAYS)"
    )
  )

export const workersCommand = Command.make("workers").pipe(
  Command.withDescription("The workers' heartbeat rows"),
  Command.withSubcommands([prune])
)
