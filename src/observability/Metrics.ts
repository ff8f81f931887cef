import { Metric, MetricBoundaries, MetricKey, MetricLabel, MetricState } from "effect"
import type { MetricKeyType } from "effect"

/**
 * The process's metrics, kept in Effect's metric registry and served in Prometheus's text format
 * (`Prometheus.ts`): by the API at GET /metrics, by a worker on METRICS_PORT. Heartbeats read the
 * job counters from here too.
 */

type Labels = Readonly<Record<string, string>>
const NO_TAGS: ReadonlyArray<MetricLabel.MetricLabel> = []

/**
 * One key, and a metric per set of label values built once: an update is then a plain hook call,
 * with no key hashed on the hot path (Effect's `Metric.tagged` builds a new key per update).
 */
const family = <Type extends MetricKeyType.MetricKeyType<any, any>>(key: MetricKey.MetricKey<Type>) => {
  const byLabels = new Map<string, ReturnType<typeof Metric.fromMetricKey<Type>>>()
  const metricFor = (labels: Labels) => {
    const id = Object.entries(labels).map(([name, value]) => `${name}=${value}`).join(",")
    const known = byLabels.get(id)
    if (known !== undefined) return known
    const tags = Object.entries(labels).map(([name, value]) => MetricLabel.make(name, value))
    const created = Metric.fromMetricKey(tags.length === 0 ? key : MetricKey.taggedWithLabels(key, tags))
    byLabels.set(id, created)
    return created
  }
  return (labels: Labels) => {
    const metric = metricFor(labels)
    return (value: MetricKeyType.MetricKeyType.InType<Type>) => metric.unsafeUpdate(value, NO_TAGS)
  }
}

const counter = (name: string, description: string) =>
  family(MetricKey.counter(name, { description, incremental: true }))
const gauge = (name: string, description: string) => family(MetricKey.gauge(name, { description }))
const histogram = (name: string, description: string, boundaries: MetricBoundaries.MetricBoundaries) =>
  family(MetricKey.histogram(name, boundaries, description))

/** 1 ms to about 2 minutes, doubling. */
const SECONDS = MetricBoundaries.exponential({ start: 0.001, factor: 2, count: 18 })
/** 10 ms to about 6 hours, doubling: how long a message waited. */
const WAIT_SECONDS = MetricBoundaries.exponential({ start: 0.01, factor: 2, count: 22 })
const BATCH = MetricBoundaries.exponential({ start: 1, factor: 2, count: 10 })

const JOBS_COMPLETED = "dragonfly_jobs_completed_total"
const JOBS_FAILED = "dragonfly_jobs_failed_total"
const JOBS_DEAD_LETTERED = "dragonfly_jobs_dead_lettered_total"

export const jobsStarted = counter(
  "dragonfly_jobs_started_total",
  "Jobs taken from the queue and started (an invalid envelope included), by queue"
)
export const jobsCompleted = counter(JOBS_COMPLETED, "Jobs completed (committed with their ledger row), by queue")
export const jobsFailed = counter(JOBS_FAILED, "Attempts that failed, by queue")
export const jobsRetried = counter("dragonfly_jobs_retried_total", "Failed attempts scheduled for another delivery, by queue")
export const jobsDeadLettered = counter(JOBS_DEAD_LETTERED, "Messages dead-lettered, by source queue and reason")
export const jobDuration = histogram(
  "dragonfly_job_duration_seconds",
  "From a job's start to its commit, by queue",
  SECONDS
)
export const queueWait = histogram(
  "dragonfly_job_queue_wait_seconds",
  "From a message's enqueue to the start of its handler, by queue",
  WAIT_SECONDS
)
export const leaseExtensions = counter("dragonfly_lease_extensions_total", "Leases extended while their jobs ran, by queue")
export const commitBatchSize = histogram(
  "dragonfly_commit_batch_size",
  "Jobs settled by one group commit",
  BATCH
)
export const discordPosts = counter(
  "dragonfly_discord_posts_total",
  "Discord webhook posts, by outcome (sent, failed) and alerts dropped by the rate limit (dropped)"
)
export const apiRequests = counter("dragonfly_api_requests_total", "API requests, by route and status")
export const apiRequestDuration = histogram(
  "dragonfly_api_request_duration_seconds",
  "API request duration, by route",
  SECONDS
)
export const enqueueDuration = histogram(
  "dragonfly_enqueue_duration_seconds",
  "Time to enqueue a job through the API (idempotency check and send), by queue",
  SECONDS
)
export const queueDepth = gauge("dragonfly_queue_depth", "Messages in the queue (workers.v_queue_metrics)")
export const queueVisible = gauge("dragonfly_queue_visible", "Messages a worker could read now")
export const queueOldestAge = gauge("dragonfly_queue_oldest_age_seconds", "Age of the oldest message in the queue")

/** The job counters by queue (completed, failed, dead-lettered), from one reading of the registry. */
export interface JobCounts {
  readonly completed: ReadonlyMap<string, number>
  readonly failed: ReadonlyMap<string, number>
  readonly deadLettered: ReadonlyMap<string, number>
}

export const jobCountsByQueue = (): JobCounts => {
  const counts = { completed: new Map<string, number>(), failed: new Map<string, number>(), deadLettered: new Map<string, number>() }
  const byName = new Map([[JOBS_COMPLETED, counts.completed], [JOBS_FAILED, counts.failed], [JOBS_DEAD_LETTERED, counts.deadLettered]])
  for (const { metricKey, metricState } of Metric.unsafeSnapshot()) {
    const totals = byName.get(metricKey.name)
    const queue = metricKey.tags.find((tag) => tag.key === "queue")?.value
    if (totals === undefined || queue === undefined || !MetricState.isCounterState(metricState)) continue
    totals.set(queue, (totals.get(queue) ?? 0) + Number(metricState.count))
  }
  return counts
}

/** A queue's job recorders, built once per queue (the runtime updates them for every job). */
export interface QueueMetrics {
  readonly started: () => void
  readonly completed: (durationSeconds: number) => void
  readonly failed: () => void
  readonly retried: () => void
  readonly deadLettered: (reason: string) => void
  readonly waited: (seconds: number) => void
  readonly leasesExtended: (count: number) => void
}

const queueMetricsCache = new Map<string, QueueMetrics>()

export const forQueue = (queue: string): QueueMetrics => {
  let metrics = queueMetricsCache.get(queue)
  if (metrics === undefined) {
    const labels = { queue }
    const started = jobsStarted(labels)
    const completed = jobsCompleted(labels)
    const duration = jobDuration(labels)
    const failed = jobsFailed(labels)
    const retried = jobsRetried(labels)
    const waited = queueWait(labels)
    const extended = leaseExtensions(labels)
    metrics = {
      started: () => started(1),
      completed: (seconds) => {
        completed(1)
        duration(seconds)
      },
      failed: () => failed(1),
      retried: () => retried(1),
      deadLettered: (reason) => jobsDeadLettered({ queue, reason })(1),
      waited: (seconds) => waited(Math.max(0, seconds)),
      leasesExtended: (count) => extended(count)
    }
    queueMetricsCache.set(queue, metrics)
  }
  return metrics
}
