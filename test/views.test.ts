import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import * as Database from "../src/db/Database.js"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { queueName } from "../src/queue/QueueName.js"
import { envelope, PROBE_QUEUE } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"

const withDatabase = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provide(self, PgmqQueue.Default.pipe(Layer.provideMerge(TestDatabase.layer())))

const heartbeat = (
  workerId: string,
  fields: {
    status?: string
    secondsAgo?: number
    startedSecondsAgo?: number
    queues?: ReadonlyArray<string>
    interval?: number
    service?: string
    sessionsNamed?: boolean
  } = {}
) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`
      INSERT INTO workers.heartbeats (worker_id, service, queue_name, queues, status, host, pid, version,
        started_at, last_heartbeat_at, heartbeat_interval_seconds, concurrency, jobs_processed, sessions_named)
      VALUES (${workerId}, ${fields.service ?? "probe"}, 'probe_*', ${fields.queues ?? ["probe_main"]}::text[],
        ${fields.status ?? "running"}, 'host-a', 1, 'v1', now() - make_interval(secs => ${fields.startedSecondsAgo ?? 86_400}),
        now() - make_interval(secs => ${fields.secondsAgo ?? 0}), ${fields.interval ?? 30}, 4, 7, ${fields.sessionsNamed ?? false})`)

/** Eight workers, silent or not, through a pooler or with named sessions, judged and pruned. */
const healthOfSilentWorkers = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // Through a transaction pooler (sessions not named): replaced, or silent for gone_after.
  yield* heartbeat("pooled-replaced", { secondsAgo: 600, startedSecondsAgo: 7200 })
  yield* heartbeat("pooled-newer", { secondsAgo: 1, startedSecondsAgo: 300 })
  yield* heartbeat("other-service", { secondsAgo: 600, startedSecondsAgo: 7200, service: "score" })
  yield* heartbeat("pooled-long-silent", { secondsAgo: 7200, startedSecondsAgo: 9000, service: "comms" })
  // Sessions named: none open is gone at once; one open is stale, even with a newer instance beside it.
  yield* heartbeat("direct-closed", { secondsAgo: 600, sessionsNamed: true, service: "enforcement" })
  yield* heartbeat("direct-open", { secondsAgo: 1800, sessionsNamed: true, service: "ingest" })
  yield* heartbeat("direct-sibling", { secondsAgo: 1, startedSecondsAgo: 60, sessionsNamed: true, service: "ingest" })
  yield* heartbeat("stopped-old", { secondsAgo: 7200, status: "stopped", sessionsNamed: true, service: "ingest" })

  const rows = yield* sql<{ worker_id: string; health: string; gone_reason: string | null }>`
    SELECT worker_id, health, gone_reason FROM workers.worker_health(interval '5 minutes') ORDER BY worker_id`
  assert.deepStrictEqual(rows.map((r) => [r.worker_id, r.health, r.gone_reason]), [
    ["direct-closed", "gone", "its process holds no database connection"],
    ["direct-open", "stale", null],
    ["direct-sibling", "healthy", null],
    ["other-service", "stale", null],
    ["pooled-long-silent", "gone", "no heartbeat for over 60 min"],
    ["pooled-newer", "healthy", null],
    ["pooled-replaced", "gone", "replaced by a newer probe worker on probe_*"],
    ["stopped-old", "stopped", null]
  ])
  // Only the silent can be gone: at 15 minutes only the half-hour and two-hour silences count, and under 3 hours neither is gone.
  const lenient = yield* sql<{ worker_id: string; health: string }>`
    SELECT worker_id, health FROM workers.worker_health(interval '15 minutes', interval '3 hours')
    WHERE health IN ('stale', 'gone') ORDER BY worker_id`
  assert.deepStrictEqual(lenient.map((r) => [r.worker_id, r.health]), [["direct-open", "stale"], ["pooled-long-silent", "stale"]])
  // Past gone_after even a process that holds a session is gone.
  const impatient = yield* sql<{ gone_reason: string | null }>`
    SELECT gone_reason FROM workers.worker_health(interval '5 minutes', interval '20 minutes') WHERE worker_id = 'direct-open'`
  assert.deepStrictEqual(impatient.map((r) => r.gone_reason), ["no heartbeat for over 20 min"])
  // The guide's function lists the stale only; the view judges with three heartbeat intervals.
  const stale = yield* sql<{ worker_id: string }>`SELECT worker_id FROM workers.find_stale_workers(5)`
  assert.deepStrictEqual(stale.map((r) => r.worker_id), ["direct-open", "other-service"])
  const view = yield* sql<{ worker_id: string }>`SELECT worker_id FROM workers.v_worker_health WHERE health = 'gone'`
  assert.sameMembers(view.map((r) => r.worker_id), ["direct-closed", "pooled-long-silent", "pooled-replaced"])

  // Retention: stopped and gone rows older than the span go; the stale and the healthy stay.
  const pruned = yield* sql<{ worker_id: string }>`
    SELECT worker_id FROM workers.prune_heartbeats(interval '30 minutes') AS worker_id ORDER BY worker_id`
  assert.deepStrictEqual(pruned.map((r) => r.worker_id), ["pooled-long-silent", "stopped-old"])
  const kept = yield* sql<{ worker_id: string }>`SELECT worker_id FROM workers.heartbeats ORDER BY worker_id`
  assert.deepStrictEqual(kept.map((r) => r.worker_id), [
    "direct-closed",
    "direct-open",
    "direct-sibling",
    "other-service",
    "pooled-newer",
    "pooled-replaced"
  ])
})

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

  it.scopedLive("worker_health: a silent worker is gone once its sessions are closed, a newer one replaced it, or after gone_after", () =>
    Effect.gen(function*() {
      const url = yield* TestDatabase.freshDatabase()
      // A session of the worker "direct-open", in this database.
      const session = Context.get(
        yield* Layer.build(Database.layerFromOptions({ url, poolSize: 1, applicationName: "direct-open" })),
        SqlClient.SqlClient
      )
      yield* session`SELECT 1`
      yield* Effect.provide(healthOfSilentWorkers, Database.layerFromOptions({ url, poolSize: 2, applicationName: "test" }))
    }).pipe(Effect.orDie))

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
