import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { withCliFixture } from "./support/cli.js"
import { count, ORG, recordedAlerts, serviceWorker } from "./support/runtime.js"

const file = (name: string, content: string | Buffer) => {
  const path = join(mkdtempSync(join(tmpdir(), "dragonfly-cli-intake-")), name)
  writeFileSync(path, content)
  return path
}

const GENERIC = [
  "Plaintiff Name,Case Number,Debtor First Name,Debtor Last Name,Judgment Date,Judgment Amount,Current Balance Due",
  "Example Funding LLC (TEST),CLI-1,Ada,Lovelace,01/02/2020,\"$1,000.00\",900",
  "Example Funding LLC (TEST),CLI-2,Grace,Hopper,2020-02-30,100,100",
  "Example Funding LLC (TEST),CLI-3,Alan,Turing,03/04/2021,250.50,250.50"
].join("\n")

const workers = Layer.mergeAll(serviceWorker("ingest"), serviceWorker("simplicity"), serviceWorker("score"))

describe("dragonfly ingest and seed", () => {
  it.live("ingest uploads, enqueues and follows the batch to its end; --json prints the API's shape", () =>
    withCliFixture(({ dragonfly }) =>
      Effect.gen(function*() {
        yield* Layer.build(workers)
        const path = file("judgments.csv", GENERIC)
        const human = yield* dragonfly(["ingest", path, "--source", "generic", "--org", ORG])
        assert.strictEqual(human.code, 0, human.stderr)
        assert.match(human.stderr, /batch [0-9a-f-]{36}: 3 rows queued on ingest_raw/)
        assert.match(human.stdout, /: completed \(generic layout, source upload/)
        assert.match(human.stdout, /rows read +inserted +updated +unchanged +quarantined +blank\n +3 +2 +0 +0 +1 +0/)
        assert.include(human.stdout, "row 2: judgment_date '2020-02-30' is not a date that exists")

        // the same bytes again: the earlier batch, nothing imported twice
        const again = yield* dragonfly(["ingest", path, "--source", "generic", "--org", ORG, "--json"])
        assert.strictEqual(again.code, 0, again.stderr)
        const batch = JSON.parse(again.stdout)
        assert.deepStrictEqual([batch.status, batch.rows_read, batch.inserted, batch.quarantined], ["completed", 3, 2, 1])
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM dragonfly.import_batches"), 1)
      }).pipe(Effect.scoped, Effect.provide(recordedAlerts))), 60_000)

  it.live("refuses a file that is not text CSV, and exits 1 when the import fails", () =>
    withCliFixture(({ dragonfly }) =>
      Effect.gen(function*() {
        yield* Layer.build(workers)
        const binary = yield* dragonfly([
          "ingest",
          file("export.xlsx", Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00])),
          "--source",
          "simplicity",
          "--org",
          ORG
        ])
        assert.strictEqual(binary.code, 1)
        assert.match(binary.stderr, /error: .*export\.xlsx: not text: .*ZIP archive or an XLSX/)
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM dragonfly.uploads"), 0)

        const noColumns = yield* dragonfly([
          "ingest",
          file("short.csv", "client_name,case_number\nExample Funding LLC (TEST),S-1\n"),
          "--source",
          "simplicity",
          "--org",
          ORG
        ])
        assert.strictEqual(noColumns.code, 1)
        assert.include(noColumns.stdout, "bad_header: missing required columns: judgment_date, judgment_amount, current_balance_due")
        assert.include(noColumns.stderr, "error: the import ended failed")
      }).pipe(Effect.scoped, Effect.provide(recordedAlerts))), 60_000)

  it.live("seed imports synthetic data through the workers: the README's plaintiff 12345 gets scored", () =>
    withCliFixture(({ dragonfly }) =>
      Effect.gen(function*() {
        yield* Layer.build(workers)
        const seeded = yield* dragonfly(["seed", "--judgments", "300", "--plaintiffs", "3", "--json"])
        assert.strictEqual(seeded.code, 0, seeded.stderr)
        const batches = seeded.stdout.trim().split("\n").map((line) => JSON.parse(line))
        assert.deepStrictEqual(batches.map((b) => [b.layout, b.status, b.inserted, b.quarantined]), [
          ["generic", "completed", 150, 0],
          ["simplicity", "completed", 150, 0]
        ])
        assert.isAbove(
          yield* count(
            "SELECT count(*) AS n FROM dragonfly.judgments WHERE plaintiff_id = '12345' AND org_id = '770e8400-e29b-41d4-a716-446655440002'"
          ),
          0
        )
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM dragonfly.plaintiffs"), 3)
      }).pipe(Effect.scoped, Effect.provide(recordedAlerts))), 90_000)

  it.live("--no-follow only enqueues; without a worker nothing runs", () =>
    withCliFixture(({ dragonfly }) =>
      Effect.gen(function*() {
        const queued = yield* dragonfly(["ingest", file("later.csv", GENERIC), "--source", "generic", "--org", ORG, "--no-follow"])
        assert.strictEqual(queued.code, 0, queued.stderr)
        assert.match(queued.stdout.trim(), /^[0-9a-f-]{36}$/)
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM pgmq.q_ingest_raw"), 1)
        assert.strictEqual(yield* count("SELECT count(*) AS n FROM dragonfly.import_batches"), 0)
      })), 60_000)
})
