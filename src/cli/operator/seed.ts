import { Command, Options } from "@effect/cli"
import { Console, Data, Effect } from "effect"
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
    return batches
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
