import { type Effect, type ParseResult, Schema } from "effect"
import { EnforcementActions } from "./record.js"

/**
 * Every legal number the enforcement planner and the interest computation use (domain.md §0, §2,
 * §4). The source of truth is config/legal/enforcement.json; `defaultEnforcementRules` is the same
 * content, kept as a constant because the build compiles only `src/` (a test asserts that the
 * two are identical); the workers read the file at start (LegalRules). All of it is to be confirmed
 * by counsel; the wages change every Jan 1.
 */

const Day = Schema.String.pipe(Schema.pattern(/^\d{4}-\d{2}-\d{2}$/))
const Count = Schema.Int.pipe(Schema.nonNegative())
const PositiveCount = Schema.Int.pipe(Schema.positive())
const Cents = Schema.Int.pipe(Schema.nonNegative())
const Percent = Schema.Number.pipe(Schema.finite(), Schema.between(0, 100))
/** County names as `normaliseCounty` writes them ("new york", "kings", …). */
const Counties = Schema.Array(Schema.String)

export const EnforcementRules = Schema.Struct({
  /** Stored with every plan (`enforcement_plans.rules_version`). */
  version: Schema.String.pipe(Schema.minLength(1)),
  /** The state whose courts, sheriffs, banks and real property these numbers are for. */
  homeState: Schema.String.pipe(Schema.length(2)),
  /** CPLR 5004. */
  interest: Schema.Struct({
    standardRatePercent: Percent,
    consumerRatePercent: Percent,
    /** Fair Consumer Judgment Interest Act, effective date. */
    consumerSwitchDate: Day,
    dayCountBasis: PositiveCount
  }),
  judgment: Schema.Struct({
    /** CPLR 211(b). */
    lifeYears: PositiveCount,
    /** R7: alert this many years into the 20. */
    presumptionAlertYears: PositiveCount
  }),
  lien: Schema.Struct({
    /** CPLR 5203(a). */
    years: PositiveCount,
    /** CPLR 5014: the renewal action may start this many years before the lien expires. */
    renewalWindowYears: PositiveCount,
    /**
     * Courts whose judgments the county clerk dockets at entry (matched case-insensitively in the
     * court name). Others (NYC Civil, District, City, Justice courts) make a lien only where a
     * transcript is docketed (CCA/UDCA/UCCA/UJCA 1502).
     */
    courtsDocketedAtEntry: Schema.Array(Schema.String)
  }),
  /** CPLR 5224. */
  informationSubpoena: Schema.Struct({
    answerDays: PositiveCount,
    /** With no answers by this day, the attorney reviews a motion to compel. */
    compelReviewDay: PositiveCount
  }),
  /** CPLR 5231. */
  incomeExecution: Schema.Struct({
    debtorFirstDays: PositiveCount,
    maxWithholdingPercent: Percent,
    maxDisposableEarningsPercent: Percent,
    /** Nothing is withheld in a week unless disposable earnings exceed this × the hourly minimum wage. */
    wageFloorMultiplier: PositiveCount
  }),
  /** The higher of the federal and the NY wage is used (CPLR 5222(i), 5231(b)). */
  minimumWage: Schema.Struct({
    federalHourlyCents: Cents,
    hourlyCentsByRegion: Schema.Struct({ nyc_li_westchester: Cents, rest_of_state: Cents }),
    nycLiWestchesterCounties: Counties
  }),
  /** CPLR 5222, 5222-a. */
  restraint: Schema.Struct({
    validityDays: PositiveCount,
    /** A natural person's account is never restrained below this × the hourly minimum wage. */
    bankFloorMultiplier: PositiveCount,
    exemptionClaimForms: PositiveCount,
    exemptionClaimWindowDays: PositiveCount,
    releaseAllExemptDays: PositiveCount,
    releaseOtherwiseDays: PositiveCount
  }),
  /** CPLR 5230(c). */
  propertyExecution: Schema.Struct({ returnDays: PositiveCount }),
  /** R8: a payment this recent holds new levies. */
  payment: Schema.Struct({ recentWindowDays: Count }),
  /** CPLR 5206 base amounts by county (CPI-adjusted every 3 years, CPLR 5253). */
  homestead: Schema.Struct({
    tiers: Schema.Array(Schema.Struct({ amountCents: Cents, counties: Counties })),
    otherCountiesCents: Cents
  }),
  /** Process the attorney issues as an officer of the court (CPLR 5222(a), 5230(b), 5224, 5014). */
  attorneySignoffActions: Schema.Array(Schema.Literal(...EnforcementActions))
})
export type EnforcementRules = typeof EnforcementRules.Type

export const decodeEnforcementRules = (u: unknown): Effect.Effect<EnforcementRules, ParseResult.ParseError> =>
  Schema.decodeUnknown(EnforcementRules)(u)

/** The content of config/legal/enforcement.json. */
export const defaultEnforcementRules: EnforcementRules = {
  version: "ny-2026-01-01",
  homeState: "NY",
  interest: {
    standardRatePercent: 9,
    consumerRatePercent: 2,
    consumerSwitchDate: "2022-04-30",
    dayCountBasis: 365
  },
  judgment: { lifeYears: 20, presumptionAlertYears: 18 },
  lien: { years: 10, renewalWindowYears: 1, courtsDocketedAtEntry: ["supreme court", "county court"] },
  informationSubpoena: { answerDays: 7, compelReviewDay: 14 },
  incomeExecution: {
    debtorFirstDays: 20,
    maxWithholdingPercent: 10,
    maxDisposableEarningsPercent: 25,
    wageFloorMultiplier: 30
  },
  minimumWage: {
    federalHourlyCents: 725,
    hourlyCentsByRegion: { nyc_li_westchester: 1700, rest_of_state: 1600 },
    nycLiWestchesterCounties: ["new york", "kings", "queens", "bronx", "richmond", "nassau", "suffolk", "westchester"]
  },
  restraint: {
    validityDays: 365,
    bankFloorMultiplier: 240,
    exemptionClaimForms: 2,
    exemptionClaimWindowDays: 20,
    releaseAllExemptDays: 7,
    releaseOtherwiseDays: 8
  },
  propertyExecution: { returnDays: 60 },
  payment: { recentWindowDays: 90 },
  homestead: {
    tiers: [
      {
        amountCents: 15_000_000,
        counties: ["new york", "kings", "queens", "bronx", "richmond", "nassau", "suffolk", "rockland", "westchester", "putnam"]
      },
      { amountCents: 12_500_000, counties: ["albany", "columbia", "dutchess", "orange", "saratoga", "ulster"] }
    ],
    otherCountiesCents: 7_500_000
  },
  attorneySignoffActions: [
    "information_subpoena_debtor",
    "information_subpoena_bank",
    "restraining_notice_bank",
    "income_execution",
    "property_execution",
    "renewal_judgment_action",
    "amend_outstanding_process"
  ]
}
