import { Command, Options } from "@effect/cli"
import { Console, Context, Data, Duration, Effect, Either, Option } from "effect"
import { Alert, Discord } from "../../alerts/index.js"
import { DatabaseConfig, loadSections, LoggingConfig, WorkerConfig } from "../../config/index.js"
import * as Database from "../../db/Database.js"
import { DeadLetters } from "../../deadletter/DeadLetters.js"
import { databaseChecks } from "../../monitoring/DatabaseChecks.js"
import { DEFAULT_GONE_MINUTES, Monitoring } from "../../monitoring/Monitoring.js"
import { Catalog, catalogQueues, isConsumedBy } from "../../queue/catalog.js"
import { missingCatalogQueues } from "../../queue/CatalogQueues.js"
import { DiscordLive, operatorServices } from "./layers.js"
import { operatorCommand } from "./environment.js"

/** Some check failed (exit code 1); each was printed with what to do. */
export class DoctorFoundProblems extends Data.TaggedError("DoctorFoundProblems")<{ readonly failed: number }> {
  override get message() {
    return `${this.failed} check${this.failed === 1 ? "" : "s"} failed`
  }
}

type Outcome = "ok" | "warn" | "fail"

interface Finding {
  readonly outcome: Outcome
  readonly check: string
  readonly detail: string
  readonly hint?: string
}

const MARK: Record<Outcome, string> = { ok: "✓", warn: "!", fail: "✗" }
const STALE_MINUTES = 5
const RECENT_HOURS = 24

const print = (finding: Finding) =>
  Console.log(
    `${MARK[finding.outcome]} ${finding.check.padEnd(18)} ${finding.detail}` +
      (finding.hint === undefined || finding.outcome === "ok" ? "" : `\n  → ${finding.hint}`)
  )

/** The database checks: pgmq, migrations, queues, workers, backlog, dead letters. */
const databaseFindings = Effect.gen(function*() {
  const findings: Array<Finding> = []
  const checks = yield* databaseChecks
  findings.push({
    outcome: checks.pgmq.ok ? "ok" : "fail",
    check: "pgmq",
    detail: checks.pgmq.detail,
    hint: "node bin/dragonfly.js db migrate"
  })
  findings.push({
    outcome: checks.migrations.ok ? "ok" : "fail",
    check: "migrations",
    detail: checks.migrations.detail,
    hint: "node bin/dragonfly.js db migrate"
  })
  if (!checks.pgmq.ok || !checks.migrations.ok) return findings

  // By table, not by pgmq.meta: a restore with the real extension keeps the registrations, not the tables.
  const missing = yield* missingCatalogQueues
  findings.push(
    missing.length === 0
      ? { outcome: "ok", check: "queues", detail: `all ${catalogQueues.length} catalogue queues exist` }
      : {
        outcome: "fail",
        check: "queues",
        detail: `missing: ${missing.join(", ")}`,
        hint: "node bin/dragonfly.js db migrate"
      }
  )
  // The queue views read every registered queue's table: with one gone they cannot be read.
  if (missing.length > 0) return findings

  const monitoring = yield* Monitoring
  const [workers, queues] = yield* Effect.all([
    monitoring.health({ staleMinutes: STALE_MINUTES, goneMinutes: DEFAULT_GONE_MINUTES }),
    monitoring.queues()
  ])
  const stale = workers.filter((worker) => worker.health === "stale")
  const gone = workers.filter((worker) => worker.health === "gone").length
  findings.push(
    stale.length === 0
      ? {
        outcome: "ok",
        check: "heartbeats",
        detail: `no stale workers (no heartbeat for ${STALE_MINUTES} min)${
          gone === 0 ? "" : `; ${gone} gone (node bin/dragonfly.js workers prune removes them)`
        }`
      }
      : {
        outcome: "fail",
        check: "heartbeats",
        detail: `stale: ${stale.map((w) => `${w.worker_id} (${w.service})`).join(", ")}`,
        hint: "check those services' logs on Railway; node bin/dragonfly.js monitor workers"
      }
  )
  const live = workers.filter((worker) => worker.health === "healthy" || worker.health === "draining")
  for (const { consumes, service } of Catalog) {
    const backlog = queues.filter((queue) => isConsumedBy(consumes, queue.queue_name) && queue.depth > 0)
    const running = live.filter((worker) => worker.service === service).length
    if (running > 0) {
      findings.push({ outcome: "ok", check: `worker ${service}`, detail: `${running} live` })
    } else if (backlog.length > 0) {
      findings.push({
        outcome: "fail",
        check: `worker ${service}`,
        detail: `none live, and ${backlog.map((q) => `${q.queue_name} holds ${q.depth}`).join(", ")}`,
        hint: `start or restart the ${service} service (node bin/worker.js ${service}); check SUPABASE_DB_URL there`
      })
    } else {
      findings.push({ outcome: "warn", check: `worker ${service}`, detail: "none live (its queues are empty)" })
    }
  }
  for (const queue of queues) {
    if (queue.scale_out) {
      findings.push({
        outcome: "warn",
        check: "backlog",
        detail: `${queue.queue_name}: ${queue.depth} messages`,
        hint: "depth over 1,000 for 5 minutes: add a worker replica"
      })
    }
    if (queue.oldest_over_30_min) {
      findings.push({
        outcome: "warn",
        check: "backlog",
        detail: `${queue.queue_name}: oldest message ${Math.floor((queue.oldest_msg_age_sec ?? 0) / 60)} min old`,
        hint: "check the worker's health, then scale if it is healthy"
      })
    }
  }
  if (!queues.some((queue) => queue.scale_out || queue.oldest_over_30_min)) {
    findings.push({ outcome: "ok", check: "backlog", detail: "no queue over 1,000 messages or 30 minutes old" })
  }

  const deadLetters = yield* DeadLetters
  const since = new Date(Date.now() - RECENT_HOURS * 3600_000)
  const [pending, invalid] = yield* Effect.all([
    deadLetters.count({}),
    deadLetters.count({ reason: "invalid_envelope", since })
  ])
  findings.push(
    invalid > 0
      ? {
        outcome: "warn",
        check: "dead letters",
        detail: `${pending} pending; ${invalid} invalid envelope${invalid === 1 ? "" : "s"} in the last ${RECENT_HOURS} h`,
        hint: "node bin/dragonfly.js dlq list --reason invalid_envelope: a producer sends bad envelopes"
      }
      : { outcome: "ok", check: "dead letters", detail: `${pending} pending; no invalid envelope in the last ${RECENT_HOURS} h` }
  )
  return findings
})

const testDiscord = Options.boolean("discord").pipe(
  Options.withDescription("Also post a test alert to Discord")
)

/**
 * The deployment guide's troubleshooting steps as checks: configuration, the database, pgmq,
 * migrations, queues, heartbeats, backlog, dead letters, Discord. Exit code 1 when any fails.
 */
export const doctorCommand = operatorCommand("doctor", { testDiscord }, (options) =>
  Effect.gen(function*() {
    const findings: Array<Finding> = []
    const report = (finding: Finding) => Effect.zipRight(print(finding), Effect.sync(() => findings.push(finding)))

    const config = yield* Effect.either(loadSections(LoggingConfig, DatabaseConfig, WorkerConfig))
    if (Either.isLeft(config)) {
      yield* report({
        outcome: "fail",
        check: "configuration",
        detail: config.left.message,
        hint: "docs/configuration.md lists every variable"
      })
      return yield* new DoctorFoundProblems({ failed: 1 })
    }
    const database = Context.get(config.right, DatabaseConfig)
    const worker = Context.get(config.right, WorkerConfig)
    yield* report({
      outcome: "ok",
      check: "configuration",
      detail: `ENVIRONMENT=${database.environment} SUPABASE_MODE=${database.supabaseMode}, database ${
        Database.describeTarget(database.url)
      }`
    })

    const connected = Database.layerFromOptions({
      url: database.url,
      poolSize: 2,
      applicationName: "dragonfly-doctor",
      retryWindow: Duration.min(database.connectRetryWindow, Duration.seconds(5))
    })
    const reached = yield* databaseFindings.pipe(
      Effect.tap(() => report({ outcome: "ok", check: "database", detail: "reachable" })),
      Effect.provide(operatorServices(connected)),
      Effect.either
    )
    if (Either.isLeft(reached)) {
      yield* report({
        outcome: "fail",
        check: "database",
        detail: reached.left.message,
        hint: "check SUPABASE_DB_URL (host, port 6543 for the pooler, password) and SUPABASE_MODE"
      })
    } else {
      yield* Effect.forEach(reached.right, report)
    }

    if (Option.isNone(worker.discordWebhookUrl)) {
      yield* report({
        outcome: "warn",
        check: "discord",
        detail: "DISCORD_WEBHOOK_URL is not set: no alerts",
        hint: "set DISCORD_WEBHOOK_URL on every service"
      })
    } else if (options.testDiscord) {
      const sent = yield* Effect.flatMap(Discord, (discord) =>
        discord.send(Alert.Test({ message: "dragonfly doctor: test alert" }))).pipe(
          Effect.provide(DiscordLive),
          Effect.either
        )
      yield* report(
        Either.isRight(sent)
          ? { outcome: "ok", check: "discord", detail: "test alert accepted" }
          : {
            outcome: "fail",
            check: "discord",
            detail: sent.left.message,
            hint: "check the webhook in Discord (Server Settings → Integrations) and outbound HTTPS"
          }
      )
    } else {
      yield* report({ outcome: "ok", check: "discord", detail: "webhook set (--discord posts a test alert)" })
    }

    const failed = findings.filter((finding) => finding.outcome === "fail").length
    if (failed > 0) return yield* new DoctorFoundProblems({ failed })
    yield* Console.log(`all checks passed${findings.some((f) => f.outcome === "warn") ? " (with warnings)" : ""}`)
  })).pipe(
    Command.withDescription(
      "Run the troubleshooting checks: configuration, database, pgmq, migrations, queues, heartbeats, backlog, dead letters, Discord"
    )
  )
