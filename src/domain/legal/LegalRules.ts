import { Effect, Either, Layer, Option, ParseResult, Schema } from "effect"
import { readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { InvalidConfiguration, LegalRulesConfig } from "../../config/index.js"
import { CommsRules, defaultCommsRules } from "../communications/rules.js"
import { defaultEnforcementRules, EnforcementRules } from "../enforcement/rules.js"

/** The package's own copy, beside `src/` and `dist/`. */
const PACKAGED_DIRECTORY = fileURLToPath(new URL("../../../config/legal/", import.meta.url))

export interface LegalRulesShape {
  readonly enforcement: EnforcementRules
  readonly communications: CommsRules
  /** Where they were read from. */
  readonly directory: string
}

const readRules = <A, I>(directory: string, file: string, schema: Schema.Schema<A, I>) =>
  Effect.tryPromise(() => readFile(`${directory.replace(/\/?$/, "/")}${file}`, "utf8")).pipe(
    Effect.mapError((error) => `cannot read ${file}: ${error.cause instanceof Error ? error.cause.message : String(error.cause)}`),
    Effect.flatMap((text) =>
      Either.try(() => JSON.parse(text) as unknown).pipe(
        Either.mapLeft((error) => `${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`)
      )
    ),
    Effect.flatMap((json) =>
      Schema.decodeUnknown(schema, { errors: "all", onExcessProperty: "error" })(json).pipe(
        Effect.mapError((error) => `${file}: ${ParseResult.TreeFormatter.formatErrorSync(error)}`)
      )
    )
  )

/**
 * The legal numbers of enforcement and communications (domain.md: "in config, not code"): counsel's
 * JSON files, read and checked once at start. A missing or malformed file stops the process with
 * what is wrong with it.
 */
export class LegalRules extends Effect.Service<LegalRules>()("legal/LegalRules", {
  effect: Effect.gen(function*() {
    const settings = yield* LegalRulesConfig
    const directory = Option.getOrElse(settings.directory, () => PACKAGED_DIRECTORY)
    const [enforcement, communications] = yield* Effect.all([
      Effect.either(readRules(directory, "enforcement.json", EnforcementRules)),
      Effect.either(readRules(directory, "communications.json", CommsRules))
    ])
    const problems = [
      ...(Either.isLeft(enforcement) ? [enforcement.left] : []),
      ...(Either.isLeft(communications) ? [communications.left] : [])
    ]
    if (Either.isLeft(enforcement) || Either.isLeft(communications)) {
      return yield* new InvalidConfiguration({
        problems: problems.map((problem) => ({ variable: `LEGAL_RULES_DIR (${directory})`, problem }))
      })
    }
    return { enforcement: enforcement.right, communications: communications.right, directory } satisfies LegalRulesShape
  })
}) {
  /** The packaged defaults, for tests and tools that need no files. */
  static readonly Defaults = Layer.succeed(
    LegalRules,
    LegalRules.make({ enforcement: defaultEnforcementRules, communications: defaultCommsRules, directory: PACKAGED_DIRECTORY })
  )
}
