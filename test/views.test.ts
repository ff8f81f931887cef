import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { queueName } from "../src/queue/QueueName.js"
import { envelope, PROBE_QUEUE } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"

const withDatabase = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provide(self, PgmqQueue.Default.pipe(Layer.provideMerge(TestDatabase.layer())))

const heartbeat = (
  workerId: string,
  fields: { status?: string; secondsAgo?: number; queues?: ReadonlyArray<string>; interval?: number } = {}
) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`
      INSERT INTO workers.heartbeats (worker_id, service, queue_name, queues, status, host, pid, version,
        started_at, last_heartbeat_at, heartbeat_interval_seconds, concurrency, jobs_processed)
      VALUES (${workerId}, 'probe', 'probe_*', ${fields.queues ?? ["probe_main"]}::text[], ${fields.status ?? "running"},
        'host-a', 1, 'v1', now() - interval '1 hour',
        now() - make_interval(secs => ${fields.secondsAgo ?? 0}), ${fields.interval ?? 30}, 4, 7)`)

describe("health views (the deployment guide's queries)", () => {
  it.live("v_worker_health classifies workers; find_stale_workers(minutes) lists the silent ones", () =>
    withDatabase(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* heartbeat("fresh", { secondsAgo: 5 })
      yield* heartbeat("late", { secondsAgo: 400 })
      yield* heartbeat("gone", { secondsAgo: 4000, status: "stopped" })
      yield* heartbeat("draining", { secondsAgo: 1, status: "draining" })
      const rows = yield* sql<{ worker_id: string; health: string }>`
        SELECT worker_id, health FROM workers.v_worker_health ORDER BY worker_id`
      assert.deepStrictEqual(rows.map((r) => [r.worker_id, r.health]), [
        ["draining", "draining"],
        ["fresh", "healthy"],
        ["gone", "stopped"],
        ["late", "stale"]
      ])
      const stale = yield* sql<{ worker_id: string }>`SELECT worker_id FROM workers.find_stale_workers(5)`
      assert.deepStrictEqual(stale.map((r) => r.worker_id), ["late"])
      assert.lengthOf(yield* sql`SELECT * FROM workers.find_stale_workers(10)`, 0)
      const guide = yield* sql<{ queue_name: string }>`
        SELECT queue_name, status, last_heartbeat_at, jobs_processed, jobs_failed
        FROM workers.heartbeats WHERE last_heartbeat_at > now() - INTERVAL '5 minutes'`
      assert.lengthOf(guide, 2)
    })))

  it.live("v_queue_metrics: depth, ages, dead letters by source, live consumers and the scaling signals", () =>
    withDatabase(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const pgmq = yield* PgmqQueue
      yield* pgmq.sendBatch(PROBE_QUEUE, Array.from({ length: 1_001 }, (_, i) => envelope({ action: "noop" }, `deep-${i}`)))
      yield* sql`UPDATE pgmq.q_probe_main SET enqueued_at = now() - interval '31 minutes'`
      yield* pgmq.send(queueName("ingest_raw"), envelope({ action: "noop" }))
      yield* pgmq.sendBatch(queueName("dead_letter"), [
        { source_queue: "probe_main", reason: "invalid_envelope" },
        { source_queue: "probe_main", reason: "permanent_failure" },
        { source_queue: "ingest_raw", reason: "invalid_payload" }
      ])
      yield* heartbeat("consumer-1", { queues: ["probe_main"] })
      yield* heartbeat("consumer-2", { queues: ["probe_main"], secondsAgo: 600 })
      type Row = {
        queue_name: string
        depth: string
        oldest_msg_age_sec: number | null
        dead_letters: string
        live_consumers: string
        scale_out: boolean
        oldest_over_30_min: boolean
        no_consumers: boolean
      }
      const rows = yield* sql<Row>`SELECT * FROM workers.v_queue_metrics`
      const byName = Object.fromEntries(rows.map((r) => [r.queue_name, r]))
      const probe = byName["probe_main"]!
      assert.deepStrictEqual(
        [Number(probe.depth), Number(probe.dead_letters), Number(probe.live_consumers), probe.scale_out, probe.oldest_over_30_min, probe.no_consumers],
        [1_001, 2, 1, true, true, false]
      )
      assert.isAtLeast(probe.oldest_msg_age_sec!, 1860)
      const ingest = byName["ingest_raw"]!
      assert.deepStrictEqual(
        [Number(ingest.depth), Number(ingest.dead_letters), ingest.scale_out, ingest.oldest_over_30_min, ingest.no_consumers],
        [1, 1, false, false, true]
      )
      const empty = byName["comms_outbound"]!
      assert.deepStrictEqual([Number(empty.depth), empty.oldest_msg_age_sec, empty.no_consumers], [0, null, false])
      assert.isFalse(byName["dead_letter"]!.no_consumers)
    })))
})
