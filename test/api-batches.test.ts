import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { randomUUID } from "node:crypto"
import { ImportBatches } from "../src/domain/imports/index.js"
import * as ApiTest from "./support/api.js"
import { authorized, raw } from "./support/api.js"
import { eventually, ORG, recordedAlerts, serviceWorker } from "./support/runtime.js"

const CSV = [
  "plaintiff_name,case_number,debtor_first_name,debtor_last_name,judgment_date,judgment_amount,current_balance_due",
  "Example Funding LLC (TEST),B-1,Ada,Lovelace,01/02/2020,100,100",
  "Example Funding LLC (TEST),B-2,Grace,,01/02/2020,100,100",
  "Example Funding LLC (TEST),B-3,Alan,Turing,13/45/2020,100,100",
  "Example Funding LLC (TEST),B-4,Edsger,Dijkstra,01/02/2020,100,100"
].join("\n")

describe("API: import batches", () => {
  it.live("GET /v1/batches: an uploaded file's batch, its status, counts, and its quarantine page by page", () =>
      Effect.gen(function*() {
        yield* Layer.build(serviceWorker("ingest"))
        const uploaded = yield* raw(`/v1/uploads?enqueue=ingest&org_id=${ORG}`, {
          method: "POST",
          headers: authorized({ "content-type": "text/csv" }),
          body: `${CSV}\n${randomUUID()},x,y,z,01/01/2020,1,1`
        })
        assert.strictEqual(uploaded.status, 201)
        const batchId: string = uploaded.json.job.job_id
        const client = yield* ApiTest.client()
        yield* eventually(
          Effect.map(
            Effect.either(client.batches.get({ path: { id: batchId }, urlParams: { org_id: ORG } })),
            (found) => found._tag === "Right" && found.right.status !== "running"
          ),
          "30 seconds"
        )
        const batch = yield* client.batches.get({ path: { id: batchId }, urlParams: { org_id: ORG } })
        assert.deepStrictEqual(
          [batch.status, batch.layout, batch.rows_read, batch.inserted, batch.quarantined, batch.expected_row_count],
          ["completed", "generic", 5, 3, 2, 5]
        )
        const first = yield* client.batches.quarantine({ path: { id: batchId }, urlParams: { org_id: ORG, limit: 1 } })
        assert.deepStrictEqual(first.rows.map((row) => row.row_number), [2])
        assert.strictEqual(first.rows[0]!.reasons[0]!.field, "debtor_last_name")
        const second = yield* client.batches.quarantine({
          path: { id: batchId },
          urlParams: { org_id: ORG, limit: 1, after: first.next_after! }
        })
        assert.deepStrictEqual(second.rows.map((row) => [row.row_number, row.raw["judgment_date"]]), [[3, "13/45/2020"]])
        const last = yield* client.batches.quarantine({
          path: { id: batchId },
          urlParams: { org_id: ORG, limit: 1, after: second.next_after! }
        })
        assert.deepStrictEqual([last.rows.length, last.next_after], [0, null])
        // another organisation's batch, or none at all: 404
        const other = yield* raw(`/v1/batches/${batchId}?org_id=${randomUUID()}`, { headers: authorized() })
        assert.strictEqual(other.status, 404)
        const unknown = yield* raw(`/v1/batches/${randomUUID()}?org_id=${ORG}`, { headers: authorized() })
        assert.strictEqual(unknown.status, 404)
        const bad = yield* raw(`/v1/batches/not-a-uuid?org_id=${ORG}`, { headers: authorized() })
        assert.strictEqual(bad.status, 400)
      }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(ApiTest.layer(), recordedAlerts))), 60_000)
})

describe("API: the list of import batches", () => {
  it.scoped("newest first, across organisations unless one is named, by status", () =>
    Effect.gen(function*() {
      const batches = yield* ImportBatches
      const otherOrg = randomUUID()
      const begin = (orgId: string, source: string) =>
        batches.begin({
          id: randomUUID(),
          orgId,
          source,
          layout: "generic",
          filePath: `uploads/${source}.csv`,
          expectedRowCount: null,
          queueName: "ingest_csv"
        })
      const first = yield* begin(ORG, "first")
      const second = yield* begin(otherOrg, "second")
      yield* batches.finish(first.id, "completed", [])
      const client = yield* ApiTest.client()

      const all = yield* client.batches.list({ urlParams: {} })
      assert.deepStrictEqual(all.batches.map((b) => [b.batch_id, b.org_id, b.status]), [
        [second.id, otherOrg, "running"],
        [first.id, ORG, "completed"]
      ])
      const ours = yield* client.batches.list({ urlParams: { org_id: ORG } })
      assert.deepStrictEqual(ours.batches.map((b) => b.batch_id), [first.id])
      const running = yield* client.batches.list({ urlParams: { status: "running" } })
      assert.deepStrictEqual(running.batches.map((b) => b.batch_id), [second.id])
      const one = yield* client.batches.list({ urlParams: { limit: 1 } })
      assert.deepStrictEqual(one.batches.map((b) => b.batch_id), [second.id])
      const bad = yield* raw("/v1/batches?status=lost", { headers: authorized() })
      assert.strictEqual(bad.status, 400)
    }).pipe(Effect.provide(ImportBatches.Default.pipe(Layer.provideMerge(ApiTest.layer())))))
})
