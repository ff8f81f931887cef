import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { batchView } from "../../api/schemas.js"
import { type Batch, ImportBatches } from "../../domain/imports/index.js"
import { Monitoring, type QueueMetricsRow, type WorkerHealthRow } from "../../monitoring/Monitoring.js"
import { OperatorLive } from "./layers.js"
import { age, table } from "./table.js"
import { repeatEvery, watchOptions } from "./watch.js"
import { operatorCommand } from "./environment.js"

const flags = (row: QueueMetricsRow) =>
  [
    row.scale_out ? "scale-out" : null,
    row.oldest_over_30_min ? "oldest>30m" : null,
    row.no_consumers && row.depth > 0 ? "no-consumers" : null
  ].filter((flag) => flag !== null).join(" ")

const healthCounts = (workers: ReadonlyArray<WorkerHealthRow>) => {
  const counts = { healthy: 0, draining: 0, stale: 0, gone: 0, stopped: 0 }
  for (const worker of workers) counts[worker.health]++
  return counts
}

const progress = (batch: Batch) =>
  batch.expectedRowCount === null || batch.expectedRowCount === 0
    ? `${batch.rowsCommitted.toLocaleString("en-US")} rows`
    : `${batch.rowsCommitted.toLocaleString("en-US")}/${batch.expectedRowCount.toLocaleString("en-US")} rows (${
      Math.floor(100 * Math.min(1, batch.rowsCommitted / batch.expectedRowCount))
    }%)`

const running = (at: Date, batches: ReadonlyArray<Batch>) =>
  batches.length === 0 ? "imports: none running" : [
    "imports running:",
    table(
      ["batch", "queue", "file", "progress", "quarantined", "running for"],
      batches.map((batch) => [
        batch.id,
        batch.queueName,
        batch.filePath,
        progress(batch),
        batch.quarantined,
        age((at.getTime() - batch.startedAt.getTime()) / 1000)
      ])
    )
  ].join("\n")

/**
 * The dashboard: every queue's depth, ages, dead letters, consumers and scaling flags; the imports
 * running; the workers' health.
 */
const render = (
  at: Date,
  queues: ReadonlyArray<QueueMetricsRow>,
  workers: ReadonlyArray<WorkerHealthRow>,
  batches: ReadonlyArray<Batch>
) => {
  const counts = healthCounts(workers)
  return [
    `Dragonfly queues at ${at.toISOString()}`,
    "",
    table(
      ["queue", "depth", "visible", "oldest", "newest", "dead letters", "consumers", "flags"],
      queues.map((row) => [
        row.queue_name,
        row.depth,
        row.visible,
        age(row.oldest_msg_age_sec),
        age(row.newest_msg_age_sec),
        row.dead_letters,
        row.live_consumers,
        flags(row)
      ])
    ),
    "",
    running(at, batches),
    "",
    `workers: ${counts.healthy} healthy, ${counts.draining} draining, ${counts.stale} stale, ${counts.gone} gone, ${counts.stopped} stopped` +
    (counts.stale > 0 ? "  (dragonfly monitor workers)" : "")
  ].join("\n")
}

const snapshot = Effect.gen(function*() {
  const monitoring = yield* Monitoring
  const imports = yield* ImportBatches
  const [queues, workers, batches] = yield* Effect.all([monitoring.queues(), monitoring.workers(), imports.running()], {
    concurrency: 3
  })
  return { at: new Date(), queues, workers, batches }
})

const CLEAR_SCREEN = "\u001b[2J\u001b[H"

const json = Options.boolean("json").pipe(
  Options.withDescription("Print JSON (one object per refresh with --watch) instead of the table")
)

const inspect = operatorCommand("inspect", { json, ...watchOptions(5, "refresh") }, (options) => {
  const once = Effect.flatMap(snapshot, ({ at, batches, queues, workers }) =>
    options.json
      ? Console.log(JSON.stringify({ at, queues, workers, imports: batches.map(batchView) }))
      : Console.log(`${options.watch && process.stdout.isTTY ? CLEAR_SCREEN : ""}${render(at, queues, workers, batches)}`))
  return (options.watch ? repeatEvery(options.interval, "refresh", once) : once).pipe(Effect.provide(OperatorLive))
}).pipe(
  Command.withDescription(
    "Queue depth, message ages, dead letters, consumers and scaling flags (workers.v_queue_metrics), imports running, and worker health"
  )
)

export const queueCommand = Command.make("queue").pipe(
  Command.withDescription("Inspect the pgmq queues"),
  Command.withSubcommands([inspect])
)
