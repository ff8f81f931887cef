import { Command, Options } from "@effect/cli"
import { SqlClient } from "@effect/sql"
import { Console, Data, Effect } from "effect"
import * as Envelope from "../../envelope/index.js"
import { JobRequests } from "../../jobs/JobRequests.js"
import { queueName } from "../../queue/QueueName.js"
import { operatorCommand } from "./environment.js"
import { type Batch } from "../../domain/imports/index.js"
import { batchJson, failUnlessClean, follow, IntakeLive, startImport, summary } from "./imports.js"

/** The organisation of the README's examples. */
export const DEMO_ORG = "770e8400-e29b-41d4-a716-446655440002"
/** The plaintiff of the README's score example. */
export const DEMO_PLAINTIFF = "12345"

export class SyntheticDataUnavailable extends Data.TaggedError("SyntheticDataUnavailable")<{ readonly cause: unknown }> {
  override get message() {
    return "the synthetic data generator needs @faker-js/faker, an optional dependency (npm ci installs it; production images omit it)"
  }
}

export interface SeedOptions {
  readonly orgId: string
  readonly plaintiffs: number
  readonly judgments: number
  readonly seed: number
  /** Draw progress bars on stderr. */
  readonly progress: boolean
}

const today = () => new Date().toISOString().slice(0, 10)

/**
 * Synthetic plaintiffs and judgments (domain.md §6), written as a generic CSV file (the first
 * plaintiff is the README's 12345) and a Simplicity export, then imported through the real workers
 * — generic first, so that the Simplicity rows find the same plaintiffs by name. Returns both
 * batches once they have ended.
 */
export const seedDemoData = (options: SeedOptions) =>
  Effect.gen(function*() {
    const synthetic = yield* Effect.tryPromise({
      try: () => import("../../domain/synthetic/index.js"),
      catch: (cause) => new SyntheticDataUnavailable({ cause })
    })
    const data = synthetic.generate({
      seed: options.seed,
      plaintiffs: options.plaintiffs,
      judgments: options.judgments,
      asOf: today(),
      plaintiffIds: [DEMO_PLAINTIFF]
    })
    const half = (parity: number) => data.judgments.filter((_, i) => i % 2 === parity)
    const files = [
      { name: "synthetic-generic.csv", kind: "ingest" as const, csv: synthetic.toCsv("generic", half(0), { headers: "titled" }) },
      {
        name: "synthetic-simplicity.csv",
        kind: "simplicity" as const,
        csv: synthetic.toCsv("simplicity", half(1), { lineEnding: "\r\n", bom: true })
      }
    ]
    const batches: Array<Batch> = []
    for (const file of files) {
      const started = yield* startImport(file.name, Buffer.from(file.csv), file.kind, options.orgId)
      batches.push(yield* follow(started, options.progress))
    }
    yield* skipTrace(options.orgId)
    return batches
  })

/**
 * A synthetic skip trace (domain.md §3: skip, phone, scrub): a CSV states an employer or a bank but
 * verifies neither, so imported judgments score low and nothing gets planned. This verifies some of
 * the seeded facts, as a vendor's results would (fixed per judgment, from its id), and asks for the
 * scores again — which plans tiers A–C, whose consumer debts then get their validation notice.
 */
const skipTrace = (orgId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const jobs = yield* JobRequests
    yield* sql`
      WITH traced AS (
        SELECT f.judgment_id, ('x' || substr(md5(f.judgment_id), 1, 8))::bit(32)::int & 1023 AS h
        FROM dragonfly.judgment_facts f JOIN dragonfly.judgments j ON j.org_id = f.org_id AND j.id = f.judgment_id
        WHERE f.org_id = ${orgId}::uuid AND j.is_synthetic)
      UPDATE dragonfly.judgment_facts f SET
        employment_type = CASE WHEN f.employer_name IS NULL THEN f.employment_type WHEN t.h % 10 < 7 THEN 'w2' ELSE '1099' END,
        employment_verified_at = CASE WHEN f.employer_name IS NULL THEN f.employment_verified_at ELSE current_date - t.h % 150 END,
        bank_state = CASE WHEN f.bank_name IS NULL THEN f.bank_state ELSE 'NY' END,
        bank_identified_at = CASE WHEN f.bank_name IS NULL THEN f.bank_identified_at ELSE current_date - t.h % 300 END,
        address_verified_at = CASE WHEN t.h % 5 < 3 THEN current_date - t.h % 80 ELSE f.address_verified_at END,
        email_consented = f.email_consented OR t.h % 3 = 0,
        email_consent_at = CASE WHEN t.h % 3 = 0 THEN current_date - t.h % 200 ELSE f.email_consent_at END,
        updated_at = now()
      FROM traced t WHERE f.org_id = ${orgId}::uuid AND f.judgment_id = t.judgment_id`
    const plaintiffs = yield* sql<{ readonly id: string }>`SELECT id FROM dragonfly.plaintiffs WHERE org_id = ${orgId}::uuid ORDER BY id`
    yield* Effect.forEach(plaintiffs, ({ id }) =>
      jobs.enqueue(
        queueName("score_collectability"),
        Envelope.make({
          org_id: orgId,
          idempotency_key: `seed:skip-trace:plaintiff:${id}`,
          entity_type: "plaintiff",
          entity_id: id,
          payload: { action: "compute_collectability" }
        })
      ).pipe(Effect.catchTag("JobIdTaken", Effect.die)), { discard: true })
  })

const org = Options.text("org").pipe(Options.withDefault(DEMO_ORG), Options.withDescription("The organisation to seed"))
const judgments = Options.integer("judgments").pipe(Options.withDefault(2_000), Options.withDescription("How many judgments"))
const plaintiffs = Options.integer("plaintiffs").pipe(Options.withDefault(12), Options.withDescription("How many plaintiffs"))
const seed = Options.integer("seed").pipe(Options.withDefault(20_260_615), Options.withDescription("The generator's seed"))
const json = Options.boolean("json").pipe(Options.withDescription("Print the two batches as JSON lines"))

export const seedCommand = operatorCommand("seed", { org, judgments, plaintiffs, seed, json }, (options) =>
  Effect.gen(function*() {
    const batches = yield* seedDemoData({
      orgId: options.org,
      plaintiffs: options.plaintiffs,
      judgments: options.judgments,
      seed: options.seed,
      progress: !options.json
    })
    for (const batch of batches) yield* Console.log(options.json ? batchJson(batch) : summary(batch))
    if (!options.json) {
      yield* Console.log(`\nplaintiff ${DEMO_PLAINTIFF} of organisation ${options.org} is ready for the README's score example`)
    }
    yield* Effect.forEach(batches, failUnlessClean, { discard: true })
  }).pipe(Effect.provide(IntakeLive))).pipe(
    Command.withDescription(
      "Synthetic judgments (fictional people, reserved phones and domains) imported through the running ingest and simplicity workers"
    )
  )
