import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import * as Database from "../src/db/Database.js"
import { csvLines, generateRows } from "../src/domain/synthetic/index.js"
import * as Envelope from "../src/envelope/index.js"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { queueName } from "../src/queue/QueueName.js"
import { startNode } from "./support/processes.js"
import { count, eventually, ORG } from "./support/runtime.js"
import { storageServer } from "./support/storageServer.js"
import * as TestDatabase from "./support/TestDatabase.js"

const ROWS = 200_000
const KEY = "test-service-role-key-0123456789abcdef"
const BUCKET = "imports"
const PATH = "exports/simplicity-200k.csv"

describe("a worker killed mid-file", () => {
  it.live("kill -9 during a 200,000-row import: the redelivered job finishes the file, with exact counts and no duplicates", () =>
    Effect.scoped(Effect.gen(function*() {
      const url = yield* TestDatabase.freshDatabase()
      const file = Buffer.from(
        [...csvLines("simplicity", generateRows({ seed: 9, plaintiffs: 50, judgments: ROWS, asOf: "2026-06-15" }))].join("")
      )
      const storage = yield* storageServer({ key: KEY, bucket: BUCKET, objects: { [PATH]: file } })
      const env = {
        SUPABASE_DB_URL: Redacted.value(url),
        SUPABASE_MODE: "dev",
        ENVIRONMENT: "test",
        SUPABASE_URL: storage.url.href,
        SUPABASE_SERVICE_ROLE_KEY: KEY,
        SUPABASE_STORAGE_BUCKET: BUCKET,
        // short enough for a quick redelivery, with room for the lease keeper (every 2 s) on a busy machine
        WORKER_VISIBILITY_TIMEOUT: "6",
        HEARTBEAT_INTERVAL: "1",
        LOG_LEVEL: "warn"
      }
      yield* Effect.gen(function*() {
        const job = Envelope.make({
          org_id: ORG,
          idempotency_key: "import:200k",
          entity_type: "batch",
          entity_id: "export-200k",
          payload: { file_path: PATH, source: "simplicity", row_count: ROWS }
        })
        yield* (yield* PgmqQueue).send(queueName("simplicity_import"), Envelope.encode(job))
        const progress = count(`SELECT rows_committed AS n FROM dragonfly.import_batches WHERE id = '${job.job_id}'`)
        const first = yield* startNode(["bin/worker.js", "simplicity"], env)
        // well into the file, far from its end
        yield* eventually(Effect.map(progress, (n) => n >= 20_000), "120 seconds")
        first.child.kill("SIGKILL")
        yield* first.finished
        const killedAt = yield* progress
        assert.isBelow(killedAt, ROWS)

        const second = yield* startNode(["bin/worker.js", "simplicity"], env)
        yield* eventually(
          Effect.map(count(`SELECT count(*) AS n FROM dragonfly.import_batches WHERE id = '${job.job_id}' AND status <> 'running'`), (n) => n === 1),
          "180 seconds"
        )
        const batch = (column: string) => count(`SELECT ${column} AS n FROM dragonfly.import_batches WHERE id = '${job.job_id}'`)
        assert.strictEqual(yield* count(`SELECT count(*) AS n FROM dragonfly.import_batches WHERE status = 'completed'`), 1)
        // every row counted once: the second delivery resumed after the first one's last chunk, it did
        // not read the file again from the start (that would count rows unchanged)
        assert.deepStrictEqual(
          [
            yield* batch("rows_read"),
            yield* batch("inserted"),
            yield* batch("updated"),
            yield* batch("unchanged"),
            yield* batch("quarantined"),
            yield* batch("deliveries")
          ],
          [ROWS, ROWS, 0, 0, 0, 2]
        )
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM dragonfly.judgments"), ROWS)
        assert.strictEqual(yield* count("SELECT count(DISTINCT case_number) AS n FROM dragonfly.judgments"), ROWS)
        yield* eventually(Effect.map(count("SELECT count(*) AS n FROM pgmq.a_simplicity_import"), (n) => n === 1))
        second.child.kill("SIGTERM")
        assert.strictEqual((yield* second.finished).code, 0)
      }).pipe(
        Effect.provide(PgmqQueue.Default.pipe(
          Layer.provideMerge(Database.layerFromOptions({ url, poolSize: 2, applicationName: "test" })),
          Layer.orDie
        ))
      )
    })), 300_000)
})
