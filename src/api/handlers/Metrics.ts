import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect } from "effect"
import { Monitoring } from "../../monitoring/Monitoring.js"
import * as Metrics from "../../observability/Metrics.js"
import * as Prometheus from "../../observability/Prometheus.js"
import { Api } from "../Api.js"

/** The queue gauges are read from workers.v_queue_metrics at most this often, however often scraped. */
const QUEUE_SAMPLE_MILLIS = 5_000

/** The queue gauges, from one read of the view. */
const sampleQueues = Effect.fnUntraced(function*(monitoring: Monitoring) {
  for (const queue of yield* monitoring.queues()) {
    const labels = { queue: queue.queue_name }
    Metrics.queueDepth(labels)(queue.depth)
    Metrics.queueVisible(labels)(queue.visible)
    Metrics.queueOldestAge(labels)(queue.oldest_msg_age_sec ?? 0)
  }
})

export const MetricsLive = HttpApiBuilder.group(Api, "metrics", (handlers) =>
  Effect.gen(function*() {
    const monitoring = yield* Monitoring
    let sampledAt = -Infinity
    // On a scrape, when the last sample is old: no reads of the view while nobody scrapes.
    const sampleIfStale = Effect.suspend(() => {
      const now = performance.now()
      if (now - sampledAt < QUEUE_SAMPLE_MILLIS) return Effect.void
      sampledAt = now
      return sampleQueues(monitoring).pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("queue metrics not sampled", cause))
      )
    })
    return handlers.handle("metrics", () => Effect.zipRight(sampleIfStale, Effect.sync(() => Prometheus.render())))
  }))
