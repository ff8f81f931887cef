import { Args, Command, Options } from "@effect/cli"
import * as FileSystem from "@effect/platform/FileSystem"
import { Console, Effect } from "effect"
import type { UploadImport } from "../../jobs/Imports.js"
import { operatorCommand } from "./environment.js"
import { batchJson, failUnlessClean, follow, IntakeLive, quarantineExcerpt, startImport, summary } from "./imports.js"

export const sourceOption = Options.choice("source", ["generic", "simplicity"]).pipe(
  Options.withDescription("The file's layout: generic (Dragonfly's columns, worker ingest) or simplicity (a Simplicity export)")
)
export const orgOption = Options.text("org").pipe(Options.withDescription("The organisation (a UUID) the rows belong to"))
const json = Options.boolean("json").pipe(Options.withDescription("Print the batch as JSON (the API's shape), no progress"))
const noFollow = Options.boolean("no-follow").pipe(Options.withDescription("Enqueue and print the batch id; do not wait"))

export const importKind = (source: "generic" | "simplicity"): UploadImport => source === "generic" ? "ingest" : "simplicity"

export const ingestCommand = operatorCommand(
  "ingest",
  { file: Args.file({ name: "FILE", exists: "yes" }), source: sourceOption, org: orgOption, json, noFollow },
  (options) =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const content = yield* fs.readFile(options.file)
      const started = yield* startImport(options.file, content, importKind(options.source), options.org)
      if (!options.json) {
        yield* Console.error(
          started.duplicate
            ? `this file was imported before: batch ${started.batchId}`
            : `batch ${started.batchId}: ${started.expectedRows.toLocaleString("en-US")} rows queued on ${started.queue}`
        )
      }
      if (options.noFollow) return yield* Console.log(options.json ? JSON.stringify({ batch_id: started.batchId }) : started.batchId)
      const batch = yield* follow(started, !options.json)
      yield* Console.log(options.json ? batchJson(batch) : `${summary(batch)}${yield* quarantineExcerpt(batch)}`)
      yield* failUnlessClean(batch)
    }).pipe(Effect.provide(IntakeLive))
).pipe(
  Command.withDescription(
    "Upload a CSV file, enqueue its import and follow the batch to its end (exit code 1 unless it completes)"
  )
)
