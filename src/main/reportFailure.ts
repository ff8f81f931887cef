import { Cause, Console, Effect } from "effect"

/** Failures whose message says everything an operator needs: printed alone, without a stack. */
const OPERATOR_FACING = new Set([
  "InvalidConfiguration",
  "DatabaseUnavailable",
  "DatabaseRefused",
  "EmbeddedPostgresError",
  "PortInUse",
  "MigrationError",
  "SchemaNotCurrent",
  "DiscordNotConfigured",
  "DiscordRateLimited",
  "DiscordUnavailable",
  "DiscordRejected",
  "StaleWorkersFound",
  "DoctorFoundProblems",
  "DeadLetterNotFound",
  "AlreadyResolved",
  "NotReplayable",
  "MissingReason",
  "WrongEnvironment",
  "NotCsvFile",
  "ImportNotClean",
  "SyntheticDataUnavailable"
])

const isOperatorFacing = (error: unknown): error is { readonly _tag: string; readonly message: string } =>
  typeof error === "object" && error !== null && "_tag" in error && OPERATOR_FACING.has(String(error._tag))

/**
 * Prints why the process is about to exit non-zero: a known failure as its message, anything else
 * as the full cause. Interruption (Ctrl-C, SIGTERM) is a clean stop and prints nothing, and so do
 * failures `alreadyPrinted` says were shown (the CLI's usage errors: @effect/cli prints them).
 */
export const reportFailure = <E>(cause: Cause.Cause<E>, alreadyPrinted: (error: unknown) => boolean = () => false) => {
  if (Cause.isInterruptedOnly(cause)) return Effect.void
  const failures: ReadonlyArray<unknown> = [...Cause.failures(cause), ...Cause.defects(cause)]
  if (failures.length > 0 && failures.every(alreadyPrinted)) return Effect.void
  if (failures.length > 0 && failures.every(isOperatorFacing)) {
    return Console.error(failures.map((failure) => `error: ${failure.message}`).join("\n"))
  }
  return Console.error(Cause.pretty(cause))
}
