/**
 * The numbers of the outbound-communication rules C1–C14 (domain.md §5). They live in config
 * (`config/legal/communications.json`), not in code: counsel changes them without a release.
 * `defaultCommsRules` mirrors that file; a test checks the two are identical. The JSON is not
 * imported because the build's `rootDir` is `src`, which `config/` lies outside of.
 */
import { type Either, type ParseResult, Schema } from "effect"

const PositiveInt = Schema.Int.pipe(Schema.positive())
const NonNegativeInt = Schema.Int.pipe(Schema.nonNegative())
const Day = Schema.String.pipe(Schema.pattern(/^\d{4}-\d{2}-\d{2}$/))

const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** An IANA time zone that this runtime's ICU knows. */
export const TimeZone = Schema.String.pipe(Schema.filter(isTimeZone, { message: () => "an IANA time zone" }))

/** `HH:MM`, 24-hour clock. */
export const ClockTime = Schema.String.pipe(Schema.pattern(/^([01]\d|2[0-3]):[0-5]\d$/))

/** Minutes after midnight of an `HH:MM` clock time. */
export const clockMinutes = (time: string) => {
  const [hours, minutes] = time.split(":").map(Number)
  return hours! * 60 + minutes!
}

export const CommsRules = Schema.Struct({
  version: Schema.NonEmptyTrimmedString,
  /** The collector's calendar: the day a notice is "sent", day counts, the NYC effective date. */
  businessTimeZone: TimeZone,
  /** C1: allowed from `earliest` (inclusive) to `latest` (exclusive), local time in every possible zone. */
  contactHours: Schema.Struct({ earliest: ClockTime, latest: ClockTime }).pipe(
    Schema.filter((hours) => clockMinutes(hours.earliest) < clockMinutes(hours.latest), {
      message: () => "contactHours.earliest must be before contactHours.latest"
    })
  ),
  /** C2 (12 CFR 1006.14(b)(2)). */
  calls: Schema.Struct({
    maxPerWindow: PositiveInt,
    windowDays: PositiveInt,
    quietDaysAfterConversation: PositiveInt,
    priorConsentValidDays: PositiveInt
  }),
  /** C3 (6 RCNY, DCWP). */
  nyc: Schema.Struct({
    effectiveDate: Day,
    maxAttemptsPerWindow: PositiveInt,
    windowDays: PositiveInt,
    electronicNeedsWrittenConsent: Schema.Boolean
  }),
  /** C5 (1006.6(e); 47 CFR 64.1200(a)(10)). */
  optOut: Schema.Struct({
    /** C5 (TCPA): a text that is one of these words (or starts with one) revokes consent to texts. */
    keywords: Schema.Array(Schema.String.pipe(Schema.minLength(1))).pipe(Schema.minItems(1)),
    maxConfirmationTexts: NonNegativeInt,
    honourWithinBusinessDays: PositiveInt
  }),
  /** C8 (1006.34). */
  validationNotice: Schema.Struct({
    dueWithinDaysOfInitial: NonNegativeInt,
    assumedReceiptBusinessDays: NonNegativeInt,
    periodDays: PositiveInt
  }),
  /** C14 (1006.100). */
  recordRetentionYears: PositiveInt
})
export type CommsRules = typeof CommsRules.Type

/** Unknown keys are errors: a misspelt key in the legal config must not silently fall back. */
export const decodeCommsRules = (u: unknown): Either.Either<CommsRules, ParseResult.ParseError> =>
  Schema.decodeUnknownEither(CommsRules)(u, { onExcessProperty: "error", errors: "all" })

export const defaultCommsRules: CommsRules = {
  version: "comms-rules-v1",
  businessTimeZone: "America/New_York",
  contactHours: { earliest: "08:00", latest: "21:00" },
  calls: { maxPerWindow: 7, windowDays: 7, quietDaysAfterConversation: 7, priorConsentValidDays: 7 },
  nyc: { effectiveDate: "2026-09-01", maxAttemptsPerWindow: 3, windowDays: 7, electronicNeedsWrittenConsent: true },
  optOut: {
    keywords: ["STOP", "STOPALL", "QUIT", "END", "REVOKE", "OPT OUT", "OPTOUT", "CANCEL", "UNSUBSCRIBE"],
    maxConfirmationTexts: 1,
    honourWithinBusinessDays: 10
  },
  validationNotice: { dueWithinDaysOfInitial: 5, assumedReceiptBusinessDays: 5, periodDays: 30 },
  recordRetentionYears: 3
}
