import { Command, Options } from "@effect/cli"
import { Console, Data, Effect, Option, Ref } from "effect"
import { Alert, Discord, DiscordNotConfigured } from "../../alerts/index.js"
import { WorkerConfig } from "../../config/index.js"
import { DEFAULT_GONE_MINUTES, Monitoring, type WorkerHealthRow } from "../../monitoring/Monitoring.js"
import { DiscordLive, OperatorLive } from "./layers.js"
import { age, table } from "./table.js"
import { failureMessage, repeatEvery, watchOptions } from "./watch.js"
import { operatorCommand } from "./environment.js"

/** Some worker has not sent a heartbeat within the threshold (one-shot mode: exit code 1). */
export class StaleWorkersFound extends Data.TaggedError("StaleWorkersFound")<{ readonly count: number }> {
  override get message() {
    return `${this.count} stale worker${this.count === 1 ? "" : "s"}`
  }
}

const FAILURES_BEFORE_ALERT = 2

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`

const render = (workers: ReadonlyArray<WorkerHealthRow>, minutes: number) => {
  const stale = workers.filter((worker) => worker.health === "stale")
  const gone = workers.filter((worker) => worker.health === "gone")
  const lines = [
    workers.length === 0 ? "no worker has sent a heartbeat yet" : table(
      ["worker", "service", "queue", "health", "status", "last heartbeat", "processed", "failed", "dead-lettered", "in flight"],
      workers.map((worker) => [
        worker.worker_id,
        worker.service,
        worker.queue_name,
        worker.health === "stale" ? "STALE" : worker.health,
        worker.status,
        `${age(worker.seconds_since_heartbeat)} ago`,
        worker.jobs_processed,
        worker.jobs_failed,
        worker.jobs_dead_lettered,
        worker.jobs_in_flight
      ])
    ),
    "",
    stale.length === 0
      ? `no stale workers (threshold ${minutes} min)`
      : `${plural(stale.length, "stale worker", "stale workers")}: no heartbeat for more than ${minutes} min: ${
        stale.map((worker) => worker.worker_id).join(", ")
      }`
  ]
  if (gone.length > 0) {
    lines.push(
      `${plural(gone.length, "worker", "workers")} gone, not alerting: ${
        gone.map((worker) => `${worker.worker_id} (${worker.gone_reason})`).join(", ")
      }; remove with: node bin/dragonfly.js workers prune`
    )
  }
  return lines.join("\n")
}

const staleAlert = (stale: ReadonlyArray<WorkerHealthRow>) =>
  Alert.StaleWorkers({
    workers: stale.map((worker) => ({
      workerId: worker.worker_id,
      service: worker.service,
      queueName: worker.queue_name,
      lastHeartbeatAt: worker.last_heartbeat_at,
      status: worker.status
    }))
  })

const goneAlert = (gone: ReadonlyArray<WorkerHealthRow>) =>
  Alert.GoneWorkers({
    workers: gone.map((worker) => ({
      workerId: worker.worker_id,
      service: worker.service,
      queueName: worker.queue_name,
      lastHeartbeatAt: worker.last_heartbeat_at,
      reason: worker.gone_reason ?? "gone"
    }))
  })

const staleMinutes = Options.integer("stale-minutes").pipe(
  Options.withDefault(5),
  Options.withDescription("A worker not stopped whose last heartbeat is older than this is stale")
)
export const goneMinutes = Options.integer("gone-minutes").pipe(
  Options.withDefault(DEFAULT_GONE_MINUTES),
  Options.withDescription(
    "A silent worker is gone (not stale) once its process holds no database session, a newer one replaced it, or after this long"
  )
)
const alert = Options.boolean("alert").pipe(
  Options.withDescription(
    "Post stale workers to Discord (DISCORD_WEBHOOK_URL), with --watch each once until it recovers; a gone worker is posted once"
  )
)

const workers = operatorCommand("workers", { staleMinutes, goneMinutes, alert, ...watchOptions(60, "check") }, (options) =>
  Effect.gen(function*() {
    const monitoring = yield* Monitoring
    const discord = yield* Discord
    if (options.alert && Option.isNone((yield* WorkerConfig).discordWebhookUrl)) {
      return yield* new DiscordNotConfigured()
    }
    const minutes = Math.max(1, options.staleMinutes)
    // With --watch a stale worker is posted once, and again only after it recovered and went stale anew.
    const alerted = yield* Ref.make<ReadonlySet<string>>(new Set())

    const thresholds = { staleMinutes: minutes, goneMinutes: Math.max(minutes, options.goneMinutes) }

    const postStale = Effect.fnUntraced(function*(stale: ReadonlyArray<WorkerHealthRow>) {
      const before = yield* Ref.get(alerted)
      const fresh = stale.filter((worker) => !before.has(worker.worker_id))
      let sent = true
      if (options.alert && fresh.length > 0) {
        sent = yield* discord.send(staleAlert(fresh)).pipe(
          Effect.as(true),
          Effect.catchAll((error) =>
            options.watch
              ? Effect.as(Console.error(`error: could not alert Discord: ${error.message}`), false)
              : Effect.fail(error)
          )
        )
        if (sent) yield* Console.log(`alerted Discord: ${plural(fresh.length, "stale worker", "stale workers")}`)
      }
      // Not posted: those stay unalerted, to be tried at the next check.
      yield* Ref.set(
        alerted,
        new Set(stale.filter((worker) => sent || before.has(worker.worker_id)).map((worker) => worker.worker_id))
      )
    })

    // Once per gone worker, across runs: the mark lives in its heartbeat row (a cron'd one-shot monitor posts it once too).
    const postGone = Effect.fnUntraced(function*(gone: ReadonlyArray<WorkerHealthRow>) {
      const fresh = gone.filter((worker) => worker.gone_alerted_at === null)
      if (!options.alert || fresh.length === 0) return
      const claimed = new Set(yield* monitoring.markGoneAlerted(fresh.map((worker) => worker.worker_id)))
      const posting = fresh.filter((worker) => claimed.has(worker.worker_id))
      if (posting.length === 0) return
      yield* discord.send(goneAlert(posting)).pipe(
        Effect.zipRight(Console.log(`alerted Discord: ${plural(posting.length, "worker", "workers")} gone`)),
        Effect.catchAll((error) =>
          // Unmarked again, so that the next check tries once more.
          Effect.zipRight(
            monitoring.unmarkGoneAlerted(posting.map((worker) => worker.worker_id)),
            options.watch ? Console.error(`error: could not alert Discord: ${error.message}`) : Effect.fail(error)
          )
        )
      )
    })

    const check = Effect.gen(function*() {
      const all = yield* monitoring.health(thresholds)
      yield* Console.log(`${options.watch ? `— ${new Date().toISOString()}\n` : ""}${render(all, minutes)}`)
      const stale = all.filter((worker) => worker.health === "stale")
      yield* postStale(stale)
      yield* postGone(all.filter((worker) => worker.health === "gone"))
      return stale.length
    })

    if (options.watch) {
      // Heartbeats that cannot be read are an outage of their own: posted once, after a second failure in a row.
      const failures = yield* Ref.make(0)
      const watched = check.pipe(
        Effect.zipLeft(Ref.set(failures, 0)),
        Effect.catchAllCause((cause) =>
          Effect.gen(function*() {
            const reason = failureMessage(cause)
            yield* Console.error(`error: check failed: ${reason}`)
            const inARow = yield* Ref.updateAndGet(failures, (n) => n + 1)
            if (!options.alert || inARow !== FAILURES_BEFORE_ALERT) return
            yield* discord.send(Alert.MonitorFailing({ message: `${inARow} checks in a row failed: ${reason}` })).pipe(
              Effect.zipRight(Console.log("alerted Discord: the heartbeats cannot be read")),
              Effect.catchAll((error) => Console.error(`error: could not alert Discord: ${error.message}`))
            )
          })
        )
      )
      return yield* repeatEvery(options.interval, "check", watched)
    }
    const staleCount = yield* check
    if (staleCount > 0) return yield* new StaleWorkersFound({ count: staleCount })
  }).pipe(Effect.provide([OperatorLive, DiscordLive]))).pipe(
    Command.withDescription(
      "Worker heartbeats (workers.worker_health): healthy, draining, stale (silent) or gone (its process is gone); exit code 1 when any is stale"
    )
  )

export const monitorCommand = Command.make("monitor").pipe(
  Command.withDescription("Watch the workers"),
  Command.withSubcommands([workers])
)
