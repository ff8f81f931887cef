import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { Chunk, Effect, Exit, Fiber, Layer, Option, Redacted, Stream } from "effect"
import { randomUUID } from "node:crypto"
import { DatabaseConfig, WorkerConfig } from "../src/config/index.js"
import * as Envelope from "../src/envelope/index.js"
import { JobRequests } from "../src/jobs/JobRequests.js"
import { JobNotifications } from "../src/queue/JobNotifications.js"
import { CHANNEL, PgmqQueue } from "../src/queue/PgmqQueue.js"
import { queueName } from "../src/queue/QueueName.js"
import { ORG, workerSettings } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"

const QUEUE = queueName("probe_main")
const OTHER = queueName("probe_notified")

const job = () =>
  Envelope.make({ org_id: ORG, idempotency_key: randomUUID(), entity_type: "batch", entity_id: "notify", payload: {} })

/** Collects what the channel delivers from now on; `take(n)` waits for the first n. */
const listening = Effect.gen(function*() {
  const client = yield* PgClient.PgClient
  const sql = yield* SqlClient.SqlClient
  const received: Array<string> = []
  const marker = `marker_${randomUUID().slice(0, 8)}`
  let ready = false
  const fiber = yield* client.listen(CHANNEL).pipe(
    Stream.runForEach((queue) => Effect.sync(() => (queue === marker ? (ready = true) : received.push(queue)))),
    Effect.fork
  )
  // LISTEN is in place once a notification sent after it arrives.
  // (PgClient.notify sends `NOTIFY channel, $1`, which Postgres refuses: a utility statement takes no parameters.)
  yield* Effect.repeat(sql`SELECT pg_notify(${CHANNEL}, ${marker})`, { until: () => ready })
  return {
    take: (n: number) =>
      Effect.gen(function*() {
        while (received.length < n) yield* Effect.sleep("20 millis")
        return received.slice(0, n)
      }).pipe(Effect.timeout("20 seconds")),
    received,
    stop: Fiber.interrupt(fiber)
  }
})

layer(
  Layer.mergeAll(PgmqQueue.Default, JobRequests.Default.pipe(Layer.provide(PgmqQueue.Default))).pipe(
    Layer.provideMerge(TestDatabase.layer())
  ),
  { excludeTestServices: true, timeout: "60 seconds" }
)("job notifications", (it) => {
  it.effect("every send of ours visible at once notifies its queue when it commits; delayed and rolled-back ones do not", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const pgmq = yield* PgmqQueue
      const jobs = yield* JobRequests
      yield* pgmq.create(OTHER)
      const channel = yield* listening
      yield* pgmq.send(QUEUE, Envelope.encode(job()), { delaySeconds: 30 })
      yield* pgmq.sendBatch(QUEUE, [Envelope.encode(job())], { delaySeconds: 30 })
      const rolledBack = yield* Effect.exit(sql.withTransaction(Effect.zipRight(pgmq.send(OTHER, {}), Effect.fail("abort"))))
      assert.isTrue(Exit.isFailure(rolledBack))
      // Delivered in commit order: the ones above would have come first.
      yield* pgmq.send(QUEUE, Envelope.encode(job()))
      yield* pgmq.sendBatch(OTHER, [Envelope.encode(job()), Envelope.encode(job())])
      yield* jobs.enqueue(QUEUE, job())
      yield* jobs.enqueueMany(OTHER, [job(), job()])
      assert.deepStrictEqual(yield* channel.take(4), [QUEUE, OTHER, QUEUE, OTHER])
      yield* channel.stop
    }))

  it.effect("JobNotifications listens unless WORKER_LISTEN is off or the URL is the transaction pooler", () =>
    Effect.gen(function*() {
      const client = yield* PgClient.PgClient
      const config = (listen: "auto" | "on" | "off", url: string) =>
        Layer.mergeAll(
          Layer.succeed(WorkerConfig, workerSettings({ listen })),
          Layer.succeed(DatabaseConfig, {
            environment: "test",
            supabaseMode: "dev",
            supabaseUrl: Option.none(),
            serviceRoleKey: Option.none(),
            url: Redacted.make(url),
            poolSize: 1,
            connectRetryWindow: 0 as never
          } as never)
        )
      const notificationsFor = (listen: "auto" | "on" | "off", url: string) =>
        JobNotifications.pipe(
          Effect.provide(JobNotifications.layer.pipe(Layer.provide(config(listen, url)), Layer.provide(Layer.succeed(PgClient.PgClient, client))))
        )
      // Off, and auto on a pooler URL: an empty stream, which ends at once; the worker waits on the server instead.
      for (const [listen, url] of [["off", "postgresql://db:5432/postgres"], ["auto", "postgresql://x.pooler.supabase.com:6543/postgres"]] as const) {
        const off = yield* notificationsFor(listen, url)
        assert.isFalse(off.listening)
        assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Stream.runCollect(off.queues)), [])
      }
      // Auto on a direct URL: it delivers what is sent.
      const on = yield* notificationsFor("auto", "postgresql://db:5432/postgres")
      assert.isTrue(on.listening)
      const queues = on.queues
      const first = yield* queues.pipe(Stream.take(1), Stream.runCollect, Effect.fork)
      const pgmq = yield* PgmqQueue
      const sent = yield* Effect.repeat(pgmq.send(QUEUE, Envelope.encode(job())), { until: () => first.unsafePoll() !== null })
      assert.isNumber(sent)
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Fiber.join(first)), [QUEUE])
    }))
})
