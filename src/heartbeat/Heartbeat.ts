import { SqlClient } from "@effect/sql"
import { Duration, Effect, Layer, Ref, Schedule } from "effect"
import { WorkerConfig } from "../config/index.js"
import * as Metrics from "../observability/Metrics.js"
import { WorkerIdentity } from "../runtime/WorkerIdentity.js"

export type WorkerStatus = "starting" | "running" | "draining" | "stopped"

export interface WorkerStats {
  readonly status: WorkerStatus
  readonly queueName: string
  readonly queues: ReadonlyArray<string>
  readonly processed: number
  readonly failed: number
  readonly deadLettered: number
  readonly inFlight: number
  readonly lastError: string | null
  readonly lastErrorAt: Date | null
}

const initial: WorkerStats = {
  status: "starting",
  queueName: "",
  queues: [],
  processed: 0,
  failed: 0,
  deadLettered: 0,
  inFlight: 0,
  lastError: null,
  lastErrorAt: null
}

const MAX_ERROR_LENGTH = 2000

/** Jobs in flight, when the worker counts them itself (see `countInFlight`). */
interface InFlightGauge {
  read?: () => number
}

/**
 * The stats, with the job counters read from the process's metrics (the series GET /metrics
 * serves): what this heartbeat's queues counted since it was created.
 */
const statsOf = (stats: Ref.Ref<WorkerStats>, gauge: InFlightGauge, baseline: Metrics.JobCounts) =>
  Effect.map(Ref.get(stats), (s) => {
    const now = Metrics.jobCountsByQueue()
    const since = (field: keyof Metrics.JobCounts) =>
      s.queues.reduce((sum, queue) => sum + (now[field].get(queue) ?? 0) - (baseline[field].get(queue) ?? 0), 0)
    return {
      ...s,
      processed: since("completed"),
      failed: since("failed"),
      deadLettered: since("deadLettered"),
      inFlight: gauge.read === undefined ? s.inFlight : gauge.read()
    }
  })

/** The in-memory side of a heartbeat; `beat` writes it somewhere. */
const counters = (stats: Ref.Ref<WorkerStats>, gauge: InFlightGauge, read: Effect.Effect<WorkerStats>, beat: Effect.Effect<void>) => {
  const update = (f: (s: WorkerStats) => WorkerStats) => Ref.update(stats, f)
  return {
    /**
     * Jobs in flight are read from `read` at each beat instead of being counted here (the
     * runtime knows them without an update per job).
     */
    countInFlight: (read: () => number) => Effect.sync(() => void (gauge.read = read)),
    /** Written at once: operators see status changes without waiting for the next beat. */
    setStatus: (status: WorkerStatus) => update((s) => ({ ...s, status })).pipe(Effect.zipRight(beat)),
    setQueues: (queueName: string, queues: ReadonlyArray<string>) => update((s) => ({ ...s, queueName, queues })),
    /** The last error; the failure itself is counted in the metrics. */
    failed: (error: string) =>
      Effect.flatMap(Effect.clockWith((clock) => clock.currentTimeMillis), (now) =>
        update((s) => ({ ...s, lastError: error.slice(0, MAX_ERROR_LENGTH), lastErrorAt: new Date(now) }))),
    stats: read,
    beat
  } as const
}

/**
 * This process's row in `workers.heartbeats`: counters kept in memory, written every
 * HEARTBEAT_INTERVAL and at each status change; `stopped` is written when the layer closes.
 */
export class Heartbeat extends Effect.Service<Heartbeat>()("heartbeat/Heartbeat", {
  scoped: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const config = yield* WorkerConfig
    const identity = yield* WorkerIdentity
    const stats = yield* Ref.make(initial)
    const gauge: InFlightGauge = {}

    const read = statsOf(stats, gauge, Metrics.jobCountsByQueue())
    const write = Effect.fn("Heartbeat.write")(function*() {
      const s = yield* read
      yield* sql`
        INSERT INTO workers.heartbeats (
          worker_id, service, queue_name, queues, status, host, pid, version, started_at,
          heartbeat_interval_seconds, concurrency, jobs_processed, jobs_failed, jobs_dead_lettered,
          jobs_in_flight, last_error, last_error_at, sessions_named
        ) VALUES (
          ${identity.workerId}, ${identity.service}, ${s.queueName}, ${s.queues}::text[], ${s.status},
          ${identity.host}, ${identity.pid}, ${config.version}, ${identity.startedAt},
          ${Math.round(Duration.toSeconds(config.heartbeatInterval))}, ${config.concurrency}, ${s.processed},
          ${s.failed}, ${s.deadLettered}, ${s.inFlight}, ${s.lastError}, ${s.lastErrorAt},
          ${identity.sessionsNamed} AND left(current_setting('application_name'), 63) = left(${identity.workerId}, 63)
        )
        ON CONFLICT (worker_id) DO UPDATE SET
          queue_name = excluded.queue_name,
          queues = excluded.queues,
          status = excluded.status,
          last_heartbeat_at = now(),
          jobs_processed = excluded.jobs_processed,
          jobs_failed = excluded.jobs_failed,
          jobs_dead_lettered = excluded.jobs_dead_lettered,
          jobs_in_flight = excluded.jobs_in_flight,
          last_error = excluded.last_error,
          last_error_at = excluded.last_error_at,
          sessions_named = excluded.sessions_named,
          gone_alerted_at = NULL`
    })

    /** Retention: stopped and gone workers' rows silent for longer than HEARTBEAT_RETENTION_DAYS. */
    const retentionSeconds = Duration.toSeconds(config.heartbeatRetention)
    const prune = Effect.gen(function*() {
      const removed = yield* sql<{ readonly worker_id: string }>`
        SELECT worker_id FROM workers.prune_heartbeats(make_interval(secs => ${retentionSeconds})) AS worker_id`
      if (removed.length > 0) {
        yield* Effect.logInfo(`removed ${removed.length} heartbeat row${removed.length === 1 ? "" : "s"} of stopped or gone workers`)
      }
    }).pipe(
      Effect.withSpan("Heartbeat.prune"),
      Effect.catchAllCause((cause) => Effect.logWarning("old heartbeat rows not removed", cause))
    )

    /** Never fails: a missed beat is logged and the next one tries again. */
    const beat = write().pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("heartbeat not written", cause))
    )

    yield* beat
    yield* beat.pipe(
      Effect.repeat(Schedule.spaced(config.heartbeatInterval)),
      Effect.forkScoped
    )
    yield* prune.pipe(Effect.repeat(Schedule.spaced("1 day")), Effect.forkScoped)
    yield* Effect.addFinalizer(() =>
      Ref.update(stats, (s) => ({ ...s, status: "stopped" as const })).pipe(Effect.zipRight(beat))
    )

    return counters(stats, gauge, read, beat)
  })
}) {
  /** Counters only, written nowhere: for unit tests of the runtime. */
  static readonly layerMemory: Layer.Layer<Heartbeat> = Layer.effect(
    Heartbeat,
    Effect.map(Ref.make(initial), (stats) => {
      const gauge: InFlightGauge = {}
      return Heartbeat.make(counters(stats, gauge, statsOf(stats, gauge, Metrics.jobCountsByQueue()), Effect.void))
    })
  )
}
