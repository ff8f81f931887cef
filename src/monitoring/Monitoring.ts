import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"

export interface QueueMetricsRow {
  readonly queue_name: string
  readonly depth: number
  readonly visible: number
  readonly oldest_msg_age_sec: number | null
  readonly newest_msg_age_sec: number | null
  readonly total_messages: number
  readonly dead_letters: number
  readonly live_consumers: number
  readonly scale_out: boolean
  readonly oldest_over_30_min: boolean
  readonly no_consumers: boolean
}

export interface WorkerHealthRow {
  readonly worker_id: string
  readonly service: string
  readonly queue_name: string
  readonly queues: ReadonlyArray<string>
  readonly status: string
  readonly health: "healthy" | "draining" | "stale" | "gone" | "stopped"
  readonly host: string
  readonly pid: number
  readonly version: string
  readonly started_at: Date
  readonly last_heartbeat_at: Date
  readonly seconds_since_heartbeat: number
  readonly heartbeat_interval_seconds: number
  readonly concurrency: number
  readonly jobs_processed: number
  readonly jobs_failed: number
  readonly jobs_dead_lettered: number
  readonly jobs_in_flight: number
  readonly last_error: string | null
  readonly last_error_at: Date | null
  /** Why a silent worker is judged gone rather than stuck (see `workers.worker_health`). */
  readonly gone_reason: string | null
  /** When the monitor posted it as gone (cleared by its next heartbeat). */
  readonly gone_alerted_at: Date | null
}

export interface QueueSampleRow {
  readonly queue_name: string
  readonly sampled_at: Date
  readonly depth: number
  readonly visible: number
  readonly oldest_msg_age_sec: number | null
  readonly rate_in: number | null
  readonly rate_out: number | null
}

/** A silent worker is gone after this long at the latest (the default of `workers.worker_health`). */
export const DEFAULT_GONE_MINUTES = 60

/** Thresholds of `workers.worker_health`: silent this long is stale; gone, at the latest, after `goneMinutes`. */
export interface HealthThresholds {
  readonly staleMinutes: number
  readonly goneMinutes: number
}

// bigint columns are cast so that node-postgres returns numbers rather than strings.
const QUEUE_COLUMNS = `queue_name, depth::float8 AS depth, visible::float8 AS visible, oldest_msg_age_sec,
  newest_msg_age_sec, total_messages::float8 AS total_messages, dead_letters::float8 AS dead_letters,
  live_consumers::float8 AS live_consumers, scale_out, oldest_over_30_min, no_consumers`

const WORKER_COLUMNS = `worker_id, service, queue_name, queues, status, health, host, pid, version, started_at,
  last_heartbeat_at, seconds_since_heartbeat, heartbeat_interval_seconds, concurrency,
  jobs_processed::float8 AS jobs_processed, jobs_failed::float8 AS jobs_failed,
  jobs_dead_lettered::float8 AS jobs_dead_lettered, jobs_in_flight, last_error, last_error_at, gone_reason,
  gone_alerted_at`

/** The health views of the runtime (`workers.v_queue_metrics`, `v_worker_health`, `find_stale_workers`). */
export class Monitoring extends Effect.Service<Monitoring>()("monitoring/Monitoring", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const queues = Effect.fn("Monitoring.queues")(function*() {
      return yield* sql<QueueMetricsRow>`SELECT ${sql.literal(QUEUE_COLUMNS)} FROM workers.v_queue_metrics ORDER BY queue_name`
    }, Effect.orDie)

    const queue = Effect.fn("Monitoring.queue")(function*(name: string) {
      const rows = yield* sql<QueueMetricsRow>`
        SELECT ${sql.literal(QUEUE_COLUMNS)} FROM workers.v_queue_metrics WHERE queue_name = ${name}`
      return Option.fromNullable(rows[0])
    }, Effect.orDie)

    /** Every worker, or with `staleMinutes` those not stopped whose last heartbeat is older. */
    const workers = Effect.fn("Monitoring.workers")(function*(staleMinutes?: number) {
      return staleMinutes === undefined
        ? yield* sql<WorkerHealthRow>`
            SELECT ${sql.literal(WORKER_COLUMNS)} FROM workers.v_worker_health ORDER BY service, worker_id`
        : yield* sql<WorkerHealthRow>`
            SELECT ${sql.literal(WORKER_COLUMNS)} FROM workers.find_stale_workers(${staleMinutes}::integer)`
    }, Effect.orDie)

    /** Every worker, judged with the given thresholds, so that one reading gives both the table and the verdicts. */
    const health = Effect.fn("Monitoring.health")(function*(thresholds: HealthThresholds) {
      return yield* sql<WorkerHealthRow>`
        SELECT ${sql.literal(WORKER_COLUMNS)}
        FROM workers.worker_health(make_interval(mins => ${thresholds.staleMinutes}), make_interval(mins => ${thresholds.goneMinutes}))
        ORDER BY service, worker_id`
    }, Effect.orDie)

    /** Marks gone workers as alerted; returns those not marked before (a concurrent monitor may have). */
    const markGoneAlerted = Effect.fn("Monitoring.markGoneAlerted")(function*(workerIds: ReadonlyArray<string>) {
      const rows = yield* sql<{ readonly worker_id: string }>`
        UPDATE workers.heartbeats SET gone_alerted_at = now()
        WHERE worker_id = ANY(${workerIds}::text[]) AND gone_alerted_at IS NULL
        RETURNING worker_id`
      return rows.map((row) => row.worker_id)
    }, Effect.orDie)

    const unmarkGoneAlerted = Effect.fn("Monitoring.unmarkGoneAlerted")(function*(workerIds: ReadonlyArray<string>) {
      yield* sql`UPDATE workers.heartbeats SET gone_alerted_at = NULL WHERE worker_id = ANY(${workerIds}::text[])`
    }, Effect.orDie)

    /** Deletes the rows of stopped and gone workers silent for longer than `olderThanSeconds`; `dryRun` only lists them. */
    const prune = Effect.fn("Monitoring.prune")(function*(
      options: { readonly olderThanSeconds: number; readonly goneMinutes: number; readonly dryRun: boolean }
    ) {
      const olderThan = sql`make_interval(secs => ${options.olderThanSeconds})`
      const goneAfter = sql`make_interval(mins => ${options.goneMinutes})`
      const candidates = yield* sql<WorkerHealthRow>`
        SELECT ${sql.literal(WORKER_COLUMNS)} FROM workers.worker_health(NULL, ${goneAfter})
        WHERE health IN ('stopped', 'gone') AND last_heartbeat_at < now() - ${olderThan}
        ORDER BY service, worker_id`
      if (options.dryRun || candidates.length === 0) return candidates
      const removed = new Set(
        (yield* sql<{ readonly worker_id: string }>`
          SELECT worker_id FROM workers.prune_heartbeats(${olderThan}, ${goneAfter}) AS worker_id`).map((row) => row.worker_id)
      )
      return candidates.filter((row) => removed.has(row.worker_id))
    }, Effect.orDie)

    /** One sample of every queue, unless one was taken within `everySeconds` (by any process); older than `keepHours` deleted. */
    const sampleQueues = Effect.fn("Monitoring.sampleQueues")(function*(everySeconds: number, keepHours: number) {
      const rows = yield* sql<{ readonly sampled: number }>`
        SELECT workers.sample_queues(make_interval(secs => ${everySeconds}), make_interval(hours => ${keepHours})) AS sampled`
      return rows[0]?.sampled ?? 0
    }, Effect.orDie)

    const history = Effect.fn("Monitoring.history")(function*(hours: number) {
      return yield* sql<QueueSampleRow>`
        SELECT queue_name, sampled_at, depth::float8 AS depth, visible::float8 AS visible, oldest_msg_age_sec, rate_in, rate_out
        FROM workers.queue_history(make_interval(hours => ${hours}))`
    }, Effect.orDie)

    return { queues, queue, workers, health, markGoneAlerted, unmarkGoneAlerted, prune, sampleQueues, history } as const
  })
}) {}
