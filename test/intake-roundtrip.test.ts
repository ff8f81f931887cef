import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { generate, toCsv } from "../src/domain/synthetic/index.js"
import { UploadStore } from "../src/domain/uploads/index.js"
import * as Envelope from "../src/envelope/index.js"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { queueName } from "../src/queue/QueueName.js"
import { count, deadLetters, eventually, ORG, recordedAlerts, serviceWorker } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"

const importJob = (queue: string, csv: string, source: string) =>
  Effect.gen(function*() {
    const stored = yield* (yield* UploadStore).put({ content: Buffer.from(csv), contentType: "text/csv" })
    const envelope = Envelope.make({
      org_id: ORG,
      idempotency_key: `${source}:${stored.sha256}`,
      entity_type: "batch",
      entity_id: stored.sha256.slice(0, 16),
      payload: { file_path: stored.filePath, source }
    })
    yield* (yield* PgmqQueue).send(queueName(queue), Envelope.encode(envelope))
    return envelope.job_id
  })

describe("intake round trip", () => {
  it.live("synthetic data in both layouts imports cleanly and every imported plaintiff gets scored", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const data = generate({ seed: 42, plaintiffs: 4, judgments: 400, asOf: "2026-06-15", plaintiffIds: ["12345"] })
      yield* Layer.build(Layer.mergeAll(serviceWorker("ingest"), serviceWorker("simplicity"), serviceWorker("score")))
      const batches = () =>
        sql<{ id: string; status: string; inserted: number; quarantined: number }>`
          SELECT id, status, inserted, quarantined FROM dragonfly.import_batches ORDER BY started_at`
      const ended = (n: number) =>
        eventually(Effect.map(batches(), (rows) => rows.length === n && rows.every((b) => b.status !== "running")), "60 seconds")
      // generic first: its plaintiff ids are the ones the Simplicity rows then find by name
      const generic = yield* importJob("ingest_raw", toCsv("generic", data.judgments, { headers: "titled" }), "upload")
      yield* ended(1)
      const simplicity = yield* importJob(
        "simplicity_import",
        toCsv("simplicity", data.judgments, { lineEnding: "\r\n", bom: true }),
        "simplicity"
      )
      yield* ended(2)
      for (const batch of yield* batches()) {
        assert.deepStrictEqual([batch.status, batch.inserted, batch.quarantined], ["completed", 400, 0], batch.id)
      }
      assert.sameMembers((yield* batches()).map((b) => b.id), [generic, simplicity])
      // the same plaintiffs, matched by name across layouts, with the generic layout's ids
      assert.strictEqual(yield* count("SELECT count(*) AS n FROM dragonfly.plaintiffs"), 4)
      assert.strictEqual(yield* count("SELECT count(*) AS n FROM dragonfly.judgments WHERE plaintiff_id = '12345'"), 2 * data.plaintiffs[0]!.judgments)
      // every judgment scored, every plaintiff rolled up
      yield* eventually(Effect.map(count("SELECT count(*) AS n FROM dragonfly.collectability_scores"), (n) => n === 800), "60 seconds")
      yield* eventually(Effect.map(count("SELECT count(*) AS n FROM dragonfly.plaintiff_collectability"), (n) => n === 4), "60 seconds")
      const tiers = yield* sql<{ tier: string }>`SELECT DISTINCT tier FROM dragonfly.collectability_scores ORDER BY tier`
      assert.isAbove(tiers.length, 1)
      assert.deepStrictEqual(yield* deadLetters, [])
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(PgmqQueue.Default, UploadStore.Default, recordedAlerts).pipe(Layer.provideMerge(TestDatabase.layer())))
    ), 120_000)
})
