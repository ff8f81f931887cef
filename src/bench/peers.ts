import { SqlClient } from "@effect/sql"
import { Data, Deferred, Effect } from "effect"
import { Logger as GraphileLogger, makeWorkerUtils, run as runGraphileWorker } from "graphile-worker"
import pg from "pg"
import { PgBoss } from "pg-boss"
import type { QueueName } from "../queue/QueueName.js"
import { type Measure, measured } from "./measure.js"

/**
 * The peer baselines of `npm run bench`: other ways to drain the same N no-op jobs from the same
 * embedded Postgres at the same concurrency C, each measured with the same `measured` as the
 * runtime. Two are plain SQL on the bench's own pgmq queue (C connections, no framework); two are
 * job systems people would pick instead (graphile-worker, pg-boss), each on its own schema with
 * its own pool held at C connections.
 */

export class PeerError extends Data.TaggedError("PeerError")<{ readonly peer: string; readonly cause: unknown }> {}

export interface PeerSetup<E, R> {
  readonly url: string
  readonly concurrency: number
  readonly jobs: number
  readonly postmasterPid: number
  /** A fresh pgmq queue loaded with `jobs` bench messages, exactly as the runtime's rows are loaded. */
  readonly loadPgmqQueue: Effect.Effect<QueueName, E, R>
}

export interface PeerResult {
  readonly name: string
  readonly concurrency: number
  readonly measure: Measure
}

/** Jobs taken per statement by the SQL peers, as the runtime's batch at C ≥ 10. */
const BATCH = 10

const attempt = <A>(peer: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new PeerError({ peer, cause }) })

const chunk = <A>(items: ReadonlyArray<A>, size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

/** A client that is closed by the drain itself, or by the scope if the drain never got to it. */
const connected = (peer: string, url: string) =>
  Effect.acquireRelease(
    attempt(peer, async () => {
      const client = new pg.Client({ connectionString: url, application_name: "bench-peer" })
      await client.connect()
      return { client, closed: false }
    }),
    (connection) => connection.closed ? Effect.void : Effect.promise(() => connection.client.end())
  )

/**
 * Opens C connections before measuring (connection setup is not the drain) and returns the drain:
 * every connection runs `step` until it finds nothing, then closes, so that its backend flushes
 * its statistics (commit counts) before `measured` reads them.
 */
const onConnections = (peer: string, url: string, concurrency: number, step: (client: pg.Client) => Promise<number>) =>
  Effect.map(
    Effect.forEach(Array.from({ length: concurrency }), () => connected(peer, url)),
    (connections) =>
      Effect.forEach(
        connections,
        (connection) =>
          Effect.gen(function*() {
            while ((yield* attempt(peer, () => step(connection.client))) > 0) {}
            connection.closed = true
            yield* attempt(peer, () => connection.client.end())
          }),
        { concurrency: "unbounded", discard: true }
      )
  )

const SKIP_LOCKED = "pg SKIP LOCKED ×C"

/** The ceiling for this schema: one DELETE … FOR UPDATE SKIP LOCKED per batch, in its own transaction. */
const skipLockedDrain = (url: string, concurrency: number, queue: QueueName) => {
  const take = `DELETE FROM pgmq.q_${queue} WHERE msg_id IN (
      SELECT msg_id FROM pgmq.q_${queue} WHERE vt <= clock_timestamp() ORDER BY msg_id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED
    ) RETURNING msg_id`
  return onConnections(SKIP_LOCKED, url, concurrency, async (client) => {
    await client.query("BEGIN")
    const taken = await client.query(take)
    await client.query("COMMIT")
    return taken.rowCount ?? 0
  })
}

const PGMQ_READ_DELETE = "pgmq read(k)+delete ×C"

/** What pgmq users write: `pgmq.read` then `pgmq.delete(ids[])`, autocommit. */
const pgmqReadDeleteDrain = (url: string, concurrency: number, queue: QueueName) =>
  onConnections(PGMQ_READ_DELETE, url, concurrency, async (client) => {
    const read = await client.query<{ msg_id: string }>("SELECT msg_id FROM pgmq.read($1, 30, $2)", [queue, BATCH])
    if (read.rows.length === 0) return 0
    await client.query("SELECT pgmq.delete($1, $2::bigint[])", [queue, read.rows.map((row) => row.msg_id)])
    return read.rows.length
  })

/** Counts handled jobs and resolves once `jobs` of them ran. */
const handledCounter = (jobs: number) =>
  Effect.map(Deferred.make<void>(), (allHandled) => {
    let handled = 0
    return {
      allHandled: Deferred.await(allHandled),
      handle: (count: number) => {
        handled += count
        if (handled >= jobs) Deferred.unsafeDone(allHandled, Effect.void)
      }
    }
  })

/** Polls (like the runtime rows' `untilEmpty`) until the peer's own tables show every job completed. */
const untilZero = (remaining: Effect.Effect<number, unknown>) =>
  Effect.gen(function*() {
    while ((yield* remaining) > 0) yield* Effect.sleep("100 millis")
  })

const count = (rows: ReadonlyArray<{ n: string }>) => Number(rows[0]!.n)

const GRAPHILE = "graphile-worker 0.18 (localQueue, batched completion)"
const quietGraphileLogger = new GraphileLogger(() => () => {})
const GRAPHILE_LOCAL_QUEUE = Number(process.env.BENCH_GRAPHILE_LOCAL_QUEUE ?? 100)

/** Migrates graphile-worker's schema and enqueues the jobs; returns the drain to measure. */
const graphileWorker = (url: string, concurrency: number, jobs: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const utils = yield* Effect.acquireRelease(
      attempt(GRAPHILE, () => makeWorkerUtils({ connectionString: url, logger: quietGraphileLogger })),
      (utils) => Effect.promise(async () => utils.release())
    )
    yield* attempt(GRAPHILE, () => utils.migrate())
    yield* Effect.forEach(
      chunk(Array.from({ length: jobs }, () => ({ identifier: "noop", payload: {} })), 1000),
      (batch) => attempt(GRAPHILE, () => utils.addJobs(batch)),
      { discard: true }
    )
    const counter = yield* handledCounter(jobs)
    return Effect.gen(function*() {
      yield* Effect.acquireRelease(
        attempt(GRAPHILE, () =>
          runGraphileWorker({
            connectionString: url,
            concurrency,
            maxPoolSize: concurrency,
            noHandleSignals: true,
            pollInterval: 100,
            logger: quietGraphileLogger,
            taskList: { noop: async () => counter.handle(1) },
            preset: { worker: { localQueue: { size: GRAPHILE_LOCAL_QUEUE }, completeJobBatchDelay: 5 } }
          })),
        (runner) => Effect.promise(async () => runner.stop())
      )
      yield* counter.allHandled
      yield* untilZero(Effect.map(sql<{ n: string }>`SELECT count(*)::text AS n FROM graphile_worker._private_jobs`, count))
    })
  })

const PG_BOSS = "pg-boss 12 (batch 10)"

/** Starts pg-boss (its own schema, pool of C), creates a queue and inserts the jobs; returns the drain to measure. */
const pgBoss = (url: string, concurrency: number, jobs: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const queue = `bench_c${concurrency}_${Date.now()}`
    const boss = yield* Effect.acquireRelease(
      attempt(PG_BOSS, () => {
        const boss = new PgBoss({ connectionString: url, max: concurrency, schedule: false })
        boss.on("error", (error) => console.error("pg-boss:", error))
        return boss.start()
      }),
      (boss) => Effect.promise(() => boss.stop({ graceful: true, timeout: 10_000 }))
    )
    yield* attempt(PG_BOSS, () => boss.createQueue(queue))
    yield* Effect.forEach(
      chunk(Array.from({ length: jobs }, () => ({ data: {} })), 1000),
      (batch) => attempt(PG_BOSS, () => boss.insert(queue, batch)),
      { discard: true }
    )
    const counter = yield* handledCounter(jobs)
    return Effect.gen(function*() {
      yield* attempt(PG_BOSS, () =>
        boss.work(
          queue,
          {
            batchSize: BATCH,
            pollingIntervalSeconds: 0.5,
            burstWhenBatchFull: true,
            localConcurrency: concurrency
          },
          async (batch) => counter.handle(batch.length)
        ))
      yield* counter.allHandled
      yield* untilZero(
        Effect.map(
          sql<{ n: string }>`SELECT count(*)::text AS n FROM pgboss.job WHERE name = ${queue} AND state <> 'completed'`,
          count
        )
      )
    })
  })

/** Runs every peer at the setup's concurrency, one after the other, each on freshly loaded jobs. */
export const measurePeers = <E, R>(setup: PeerSetup<E, R>) =>
  Effect.gen(function*() {
    const { url, concurrency, jobs, postmasterPid } = setup
    const results: Array<PeerResult> = []
    const record = (name: string) => (measure: Measure) => {
      results.push({ name, concurrency, measure })
    }
    /** Sets the peer up in a scope, measures its drain, then tears it down outside the measurement. */
    const measureDrain = <DrainE, DrainR, E2, R2>(prepare: Effect.Effect<Effect.Effect<void, DrainE, DrainR>, E2, R2>) =>
      Effect.scoped(Effect.flatMap(prepare, (drain) => measured(jobs, postmasterPid, drain)))
    const skipLockedQueue = yield* setup.loadPgmqQueue
    record(SKIP_LOCKED)(yield* measureDrain(skipLockedDrain(url, concurrency, skipLockedQueue)))
    const readDeleteQueue = yield* setup.loadPgmqQueue
    record(PGMQ_READ_DELETE)(yield* measureDrain(pgmqReadDeleteDrain(url, concurrency, readDeleteQueue)))
    record(GRAPHILE)(yield* measureDrain(graphileWorker(url, concurrency, jobs)))
    record(PG_BOSS)(yield* measureDrain(pgBoss(url, concurrency, jobs)))
    return results as ReadonlyArray<PeerResult>
  })
