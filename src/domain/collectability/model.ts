import { addDays, addMonths, addYears, type CalendarDate, calendarDate, wholeYearsBetween } from "../calendar.js"
import { blank, isBusinessDebtor, type JudgmentFacts, normaliseCounty } from "../judgments/index.js"

/**
 * Collectability v1 (domain.md §3): gates, then points with evidence, then a tier.
 *
 * Pure and deterministic: every input is an argument, the as-of instant included, and every
 * legal or threshold number sits in `COLLECTABILITY_V1`. The points of the factors always add up
 * to `rawScore`; `score` is `rawScore` clamped to 0..100. Decision support, not a legal
 * determination; the legal numbers are to be confirmed by counsel (domain.md §0).
 */

export const Tiers = ["A", "B", "C", "D", "X"] as const
export type Tier = (typeof Tiers)[number]

type Scalar = string | number | boolean | null
/** One field's value, or the values of several fields by name. */
export type EvidenceValue = Scalar | { readonly [field: string]: Scalar }

/** One row of the points table as applied; stored verbatim as JSON, hence the wire names. */
export interface Factor {
  readonly code: string
  readonly points: number
  /** The data field(s) read, joined with "+" when several. */
  readonly evidence_field: string
  readonly evidence_value: EvidenceValue
}

export const GateCodes = [
  "G1_satisfied_or_vacated",
  "G2_expired",
  "G3_bankruptcy",
  "G4_deceased",
  "G5_scra_active_duty"
] as const
export type GateCode = (typeof GateCodes)[number]

export interface GateFailure {
  readonly code: GateCode
  readonly evidence_field: string
  readonly evidence_value: EvidenceValue
}

export const Flags = ["high_value_review", "exempt_only_bank"] as const
export type Flag = (typeof Flags)[number]

export interface ScoreResult {
  readonly orgId: string
  readonly judgmentId: string
  readonly plaintiffId: string
  readonly tier: Tier
  /** `rawScore` clamped to 0..100; null when a gate failed. */
  readonly score: number | null
  /** The sum of the factors' points; null when a gate failed. */
  readonly rawScore: number | null
  readonly gatesFailed: ReadonlyArray<GateCode>
  readonly gates: ReadonlyArray<GateFailure>
  /** Empty when a gate failed (no score is computed). */
  readonly factors: ReadonlyArray<Factor>
  /** Only for scored judgments. */
  readonly flags: ReadonlyArray<Flag>
  readonly scoreVersion: string
  readonly computedAt: Date
}

export interface AgeBand {
  /** Inclusive lower edge, in whole years since entry. */
  readonly fromYears: number
  readonly points: number
  readonly code: string
}

export interface BalanceBand {
  /** Exclusive upper edge in cents; null for the last band. */
  readonly belowCents: number | null
  readonly points: number
  readonly code: string
}

export interface CollectabilityConfig {
  readonly scoreVersion: string
  /** The calendar in which "today" is read from the as-of instant. */
  readonly timeZone: string
  /** The state whose banks and real property count (restraint, levy, lien). */
  readonly homeState: string
  /** CPLR 211(b). */
  readonly judgmentLifeYears: number
  readonly employment: {
    readonly windowDays: number
    readonly w2Points: number
    readonly otherPoints: number
  }
  readonly bank: { readonly windowMonths: number; readonly points: number }
  readonly property: {
    readonly aboveHomesteadPoints: number
    readonly otherPoints: number
    /** CPLR 5206 base amounts by county (CPI-adjusted every 3 years, CPLR 5253: VERIFY). */
    readonly homestead: {
      readonly tiers: ReadonlyArray<{ readonly amountCents: number; readonly counties: ReadonlyArray<string> }>
      readonly otherCountiesCents: number
    }
  }
  readonly business: { readonly activePoints: number; readonly defunctPoints: number }
  readonly exemptIncome: { readonly seniorAge: number; readonly points: number }
  readonly address: { readonly windowDays: number; readonly verifiedPoints: number; readonly badPoints: number }
  readonly contact: { readonly points: number }
  readonly payment: { readonly windowMonths: number; readonly points: number; readonly brokenPlanPoints: number }
  /** Ascending by `fromYears`, the first starting at 0. */
  readonly judgmentAge: ReadonlyArray<AgeBand>
  /** Ascending; the last has `belowCents: null`. */
  readonly balance: ReadonlyArray<BalanceBand>
  readonly highValueReviewAboveCents: number
  readonly otherJudgments: { readonly threshold: number; readonly points: number }
  readonly clamp: { readonly min: number; readonly max: number }
  /** Lowest score of each tier; below `C` is D. */
  readonly tiers: { readonly A: number; readonly B: number; readonly C: number }
}

export const SCORE_VERSION = "collectability-v1"

export const COLLECTABILITY_V1: CollectabilityConfig = {
  scoreVersion: SCORE_VERSION,
  timeZone: "America/New_York",
  homeState: "NY",
  judgmentLifeYears: 20,
  employment: { windowDays: 180, w2Points: 25, otherPoints: 10 },
  bank: { windowMonths: 12, points: 20 },
  property: {
    aboveHomesteadPoints: 15,
    otherPoints: 5,
    homestead: {
      tiers: [
        {
          amountCents: 15_000_000,
          counties: ["new york", "kings", "queens", "bronx", "richmond", "nassau", "suffolk", "rockland", "westchester", "putnam"]
        },
        { amountCents: 12_500_000, counties: ["albany", "columbia", "dutchess", "orange", "saratoga", "ulster"] }
      ],
      otherCountiesCents: 7_500_000
    }
  },
  business: { activePoints: 10, defunctPoints: -15 },
  exemptIncome: { seniorAge: 65, points: -10 },
  address: { windowDays: 90, verifiedPoints: 10, badPoints: -10 },
  contact: { points: 5 },
  payment: { windowMonths: 24, points: 10, brokenPlanPoints: 5 },
  judgmentAge: [
    { fromYears: 0, points: 10, code: "judgment_age_0_2y" },
    { fromYears: 2, points: 5, code: "judgment_age_2_5y" },
    { fromYears: 5, points: 0, code: "judgment_age_5_10y" },
    { fromYears: 10, points: -5, code: "judgment_age_10_15y" },
    { fromYears: 15, points: -10, code: "judgment_age_15y_plus" }
  ],
  balance: [
    { belowCents: 50_000, points: -10, code: "balance_under_500" },
    { belowCents: 100_000, points: -5, code: "balance_500_1k" },
    { belowCents: null, points: 0, code: "balance_1k_plus" }
  ],
  highValueReviewAboveCents: 5_000_000,
  otherJudgments: { threshold: 3, points: -5 },
  clamp: { min: 0, max: 100 },
  tiers: { A: 65, B: 45, C: 25 }
}

/**
 * Expected recovery per tier, as a share of balance. UNCALIBRATED PLACEHOLDERS (domain.md §3):
 * replace with observed liquidation per tier.
 */
export const EXPECTED_RECOVERY_RATES: Readonly<Record<Tier, number>> = { A: 0.5, B: 0.3, C: 0.12, D: 0.03, X: 0 }

const laterOf = (dates: ReadonlyArray<CalendarDate | null>): CalendarDate | null =>
  dates.reduce<CalendarDate | null>((max, date) => (date !== null && (max === null || date > max) ? date : max), null)

/**
 * Whether a dated fact is recent: on or after `since`. A date after today counts as today (clock
 * or time-zone skew between whoever recorded it and the scorer). No date: not recent.
 */
const onOrAfter = (date: CalendarDate | null, since: CalendarDate) => date !== null && date >= since

export const homesteadCents = (county: string, config: CollectabilityConfig = COLLECTABILITY_V1) => {
  const name = normaliseCounty(county)
  return config.property.homestead.tiers.find((tier) => tier.counties.includes(name))?.amountCents ??
    config.property.homestead.otherCountiesCents
}

/** A missing state is taken as the home state: the CSV layout records bank and property without one. */
const inHomeState = (state: string | null, config: CollectabilityConfig) =>
  state === null || state.trim().toUpperCase() === config.homeState

// ---------------------------------------------------------------------------------------------
// Step 1: gates

const gates = (facts: JudgmentFacts, today: CalendarDate, config: CollectabilityConfig) => {
  const failed: Array<GateFailure> = []
  if (facts.status === "satisfied" || facts.status === "vacated") {
    failed.push({ code: "G1_satisfied_or_vacated", evidence_field: "status", evidence_value: facts.status })
  }
  // The 20 years run from the later of entry and the last payment or written acknowledgment;
  // the judgment is presumed paid only once today is *after* that anniversary.
  const anchor = laterOf([facts.judgmentDate, facts.lastPaymentDate, facts.lastAcknowledgmentDate])!
  const presumedPaidAfter = addYears(anchor, config.judgmentLifeYears)
  if (today > presumedPaidAfter) {
    failed.push({
      code: "G2_expired",
      evidence_field: "judgment_date+last_payment_date+last_acknowledgment_date",
      evidence_value: {
        judgment_date: facts.judgmentDate,
        last_payment_date: facts.lastPaymentDate,
        last_acknowledgment_date: facts.lastAcknowledgmentDate,
        presumed_paid_after: presumedPaidAfter
      }
    })
  }
  if (facts.bankruptcyStatus === "open" || (facts.bankruptcyStatus === "discharged" && !facts.bankruptcyReaffirmed)) {
    failed.push({
      code: "G3_bankruptcy",
      evidence_field: "bankruptcy_status+bankruptcy_reaffirmed",
      evidence_value: { bankruptcy_status: facts.bankruptcyStatus, bankruptcy_reaffirmed: facts.bankruptcyReaffirmed }
    })
  }
  if (facts.deceased) {
    failed.push({ code: "G4_deceased", evidence_field: "deceased", evidence_value: true })
  }
  if (facts.scraActiveDuty) {
    failed.push({ code: "G5_scra_active_duty", evidence_field: "scra_active_duty", evidence_value: true })
  }
  return failed
}

// ---------------------------------------------------------------------------------------------
// Step 2: one factor per row of the points table, always present (0 points when it does not apply)

const employment = (facts: JudgmentFacts, today: CalendarDate, config: CollectabilityConfig): Factor => {
  const { windowDays, w2Points, otherPoints } = config.employment
  const evidence = {
    evidence_field: "employer_name+employment_type+employment_verified_at",
    evidence_value: {
      employer_name: facts.employerName,
      employment_type: facts.employmentType,
      employment_verified_at: facts.employmentVerifiedAt
    }
  }
  if (blank(facts.employerName)) return { code: "employment_unknown", points: 0, ...evidence }
  if (!onOrAfter(facts.employmentVerifiedAt, addDays(today, -windowDays))) {
    return { code: "employment_not_recently_verified", points: 0, ...evidence }
  }
  // An employer verified without a recorded type is not a verified W-2: it earns the lower points.
  return facts.employmentType === "w2"
    ? { code: "employment_w2_verified", points: w2Points, ...evidence }
    : { code: "employment_other_verified", points: otherPoints, ...evidence }
}

const bank = (facts: JudgmentFacts, today: CalendarDate, config: CollectabilityConfig): Factor => {
  const evidence = {
    evidence_field: "bank_name+bank_state+bank_identified_at+bank_exempt_only",
    evidence_value: {
      bank_name: facts.bankName,
      bank_state: facts.bankState,
      bank_identified_at: facts.bankIdentifiedAt,
      bank_exempt_only: facts.bankExemptOnly
    }
  }
  if (blank(facts.bankName)) return { code: "bank_unknown", points: 0, ...evidence }
  if (!inHomeState(facts.bankState, config)) return { code: "bank_out_of_state", points: 0, ...evidence }
  if (!onOrAfter(facts.bankIdentifiedAt, addMonths(today, -config.bank.windowMonths))) {
    return { code: "bank_not_recently_identified", points: 0, ...evidence }
  }
  if (facts.bankExemptOnly) return { code: "bank_exempt_only", points: 0, ...evidence }
  return { code: "bank_identified", points: config.bank.points, ...evidence }
}

const property = (facts: JudgmentFacts, config: CollectabilityConfig): Factor => {
  const county = facts.realPropertyCounty
  const homestead = blank(county) ? null : homesteadCents(county!, config)
  const evidence = {
    evidence_field: "real_property_county+real_property_state+property_equity_cents+property_liens_cents",
    evidence_value: {
      real_property_county: county,
      real_property_state: facts.realPropertyState,
      property_equity_cents: facts.propertyEquityCents,
      property_liens_cents: facts.propertyLiensCents,
      homestead_cents: homestead
    }
  }
  if (homestead === null) return { code: "property_unknown", points: 0, ...evidence }
  if (!inHomeState(facts.realPropertyState, config)) return { code: "property_out_of_state", points: 0, ...evidence }
  // Unknown equity cannot be shown to exceed the exemption; unknown liens count as none.
  const equity = facts.propertyEquityCents
  return equity !== null && equity > homestead + (facts.propertyLiensCents ?? 0)
    ? { code: "property_equity_above_homestead", points: config.property.aboveHomesteadPoints, ...evidence }
    : { code: "property_equity_not_above_homestead", points: config.property.otherPoints, ...evidence }
}

const business = (facts: JudgmentFacts, config: CollectabilityConfig): Factor => {
  const evidence = {
    evidence_field: "debtor_company_name+business_status",
    evidence_value: { debtor_company_name: facts.debtorCompanyName, business_status: facts.businessStatus }
  }
  if (!isBusinessDebtor(facts)) return { code: "business_not_applicable", points: 0, ...evidence }
  switch (facts.businessStatus) {
    case "active":
      return { code: "business_active", points: config.business.activePoints, ...evidence }
    case "inactive":
    case "dissolved":
      return { code: `business_${facts.businessStatus}`, points: config.business.defunctPoints, ...evidence }
    case null:
      return { code: "business_status_unknown", points: 0, ...evidence }
  }
}

const exemptIncome = (facts: JudgmentFacts, today: CalendarDate, config: CollectabilityConfig): Factor => {
  const evidence = {
    evidence_field: "debtor_dob+income_only_exempt",
    evidence_value: { debtor_dob: facts.debtorDob, income_only_exempt: facts.incomeOnlyExempt }
  }
  if (isBusinessDebtor(facts)) return { code: "exempt_income_not_applicable", points: 0, ...evidence }
  // No date of birth: the age test cannot fire.
  const senior = facts.debtorDob !== null && wholeYearsBetween(facts.debtorDob, today) >= config.exemptIncome.seniorAge
  if (senior) return { code: "exempt_income_age", points: config.exemptIncome.points, ...evidence }
  if (facts.incomeOnlyExempt) return { code: "exempt_income_benefits_only", points: config.exemptIncome.points, ...evidence }
  return { code: "exempt_income_none", points: 0, ...evidence }
}

const address = (facts: JudgmentFacts, today: CalendarDate, config: CollectabilityConfig): Factor => {
  const evidence = {
    evidence_field: "address_verified_at+address_returned_mail",
    evidence_value: { address_verified_at: facts.addressVerifiedAt, address_returned_mail: facts.addressReturnedMail }
  }
  // Returned mail outweighs a verification (the flag is cleared when the address is re-verified);
  // "unknown" is no verification on file; a verification older than the window scores 0.
  if (facts.addressReturnedMail) return { code: "address_returned_mail", points: config.address.badPoints, ...evidence }
  if (facts.addressVerifiedAt === null) return { code: "address_unknown", points: config.address.badPoints, ...evidence }
  return onOrAfter(facts.addressVerifiedAt, addDays(today, -config.address.windowDays))
    ? { code: "address_verified", points: config.address.verifiedPoints, ...evidence }
    : { code: "address_not_recently_verified", points: 0, ...evidence }
}

const contact = (facts: JudgmentFacts, config: CollectabilityConfig): Factor => {
  const evidence = {
    evidence_field: "phone_working+email_consented",
    evidence_value: { phone_working: facts.phoneWorking, email_consented: facts.emailConsented }
  }
  return facts.phoneWorking || facts.emailConsented
    ? { code: "contact_channel", points: config.contact.points, ...evidence }
    : { code: "contact_none", points: 0, ...evidence }
}

const payment = (facts: JudgmentFacts, today: CalendarDate, config: CollectabilityConfig): Factor => {
  const evidence = {
    evidence_field: "last_payment_date+payment_plan_broken",
    evidence_value: { last_payment_date: facts.lastPaymentDate, payment_plan_broken: facts.paymentPlanBroken }
  }
  // A broken plan lowers the credit for a recent payment; without a recent payment it earns nothing.
  if (!onOrAfter(facts.lastPaymentDate, addMonths(today, -config.payment.windowMonths))) {
    return { code: "payment_none_recent", points: 0, ...evidence }
  }
  return facts.paymentPlanBroken
    ? { code: "payment_recent_plan_broken", points: config.payment.brokenPlanPoints, ...evidence }
    : { code: "payment_recent", points: config.payment.points, ...evidence }
}

const judgmentAge = (facts: JudgmentFacts, today: CalendarDate, config: CollectabilityConfig): Factor => {
  // Bands include their lower edge: exactly 2 years old is in 2–5y, exactly 10 in 10–15y (the lien
  // has lapsed). Older than the last edge (possible after a payment renewed the 20 years) stays in it.
  const years = wholeYearsBetween(facts.judgmentDate, today)
  const band = config.judgmentAge.findLast((b) => years >= b.fromYears) ?? config.judgmentAge[0]!
  return { code: band.code, points: band.points, evidence_field: "judgment_date", evidence_value: facts.judgmentDate }
}

const balance = (facts: JudgmentFacts, config: CollectabilityConfig): Factor => {
  // $500.00 is in $500–1k, $1,000.00 in $1k–50k.
  const band = config.balance.find((b) => b.belowCents === null || facts.balanceCents < b.belowCents) ??
    config.balance[config.balance.length - 1]!
  return {
    code: band.code,
    points: band.points,
    evidence_field: "current_balance_cents",
    evidence_value: facts.balanceCents
  }
}

const otherJudgments = (facts: JudgmentFacts, config: CollectabilityConfig): Factor => {
  const count = facts.otherJudgmentsCount
  const many = count !== null && count >= config.otherJudgments.threshold
  return {
    code: many ? "other_judgments_many" : "other_judgments_few_or_unknown",
    points: many ? config.otherJudgments.points : 0,
    evidence_field: "other_judgments_count",
    evidence_value: count
  }
}

export const tierFor = (score: number, config: CollectabilityConfig = COLLECTABILITY_V1): Tier =>
  score >= config.tiers.A ? "A" : score >= config.tiers.B ? "B" : score >= config.tiers.C ? "C" : "D"

/** Scores one judgment as of `asOf` (its calendar date in `config.timeZone`). */
export const scoreJudgment = (
  facts: JudgmentFacts,
  asOf: Date,
  config: CollectabilityConfig = COLLECTABILITY_V1
): ScoreResult => {
  const today = calendarDate(asOf, config.timeZone)
  const base = {
    orgId: facts.orgId,
    judgmentId: facts.judgmentId,
    plaintiffId: facts.plaintiffId,
    scoreVersion: config.scoreVersion,
    computedAt: asOf
  }
  const failed = gates(facts, today, config)
  if (failed.length > 0) {
    return {
      ...base,
      tier: "X",
      score: null,
      rawScore: null,
      gatesFailed: failed.map((gate) => gate.code),
      gates: failed,
      factors: [],
      flags: []
    }
  }
  const factors = [
    employment(facts, today, config),
    bank(facts, today, config),
    property(facts, config),
    business(facts, config),
    exemptIncome(facts, today, config),
    address(facts, today, config),
    contact(facts, config),
    payment(facts, today, config),
    judgmentAge(facts, today, config),
    balance(facts, config),
    otherJudgments(facts, config)
  ]
  const rawScore = factors.reduce((sum, factor) => sum + factor.points, 0)
  const score = Math.min(config.clamp.max, Math.max(config.clamp.min, rawScore))
  const flags: Array<Flag> = []
  if (facts.balanceCents > config.highValueReviewAboveCents) flags.push("high_value_review")
  if (!blank(facts.bankName) && facts.bankExemptOnly) flags.push("exempt_only_bank")
  return { ...base, tier: tierFor(score, config), score, rawScore, gatesFailed: [], gates: [], factors, flags }
}

// ---------------------------------------------------------------------------------------------
// Per-plaintiff rollup

export interface TierTotals {
  readonly count: number
  readonly balanceCents: number
}

export interface PlaintiffRollup {
  readonly byTier: Readonly<Record<Tier, TierTotals>>
  /** Σ balance × `EXPECTED_RECOVERY_RATES[tier]`, rounded to the cent per tier. */
  readonly expectedRecoveryIndexCents: number
  readonly judgmentsScored: number
}

/** The rollup from totals per tier (absent tiers count as empty). */
export const rollupFromTotals = (totals: Partial<Record<Tier, TierTotals>>): PlaintiffRollup => {
  const byTier = Object.fromEntries(
    Tiers.map((tier) => [tier, totals[tier] ?? { count: 0, balanceCents: 0 }])
  ) as Record<Tier, TierTotals>
  // Rates as basis points keep the product an exact integer, so rounding is deterministic.
  const expectedRecoveryIndexCents = Tiers.reduce((sum, tier) =>
    sum + Math.round(byTier[tier].balanceCents * Math.round(EXPECTED_RECOVERY_RATES[tier] * 10_000) / 10_000), 0)
  const judgmentsScored = Tiers.reduce((sum, tier) => sum + byTier[tier].count, 0)
  return { byTier, expectedRecoveryIndexCents, judgmentsScored }
}

/** Counts and balances by tier for a plaintiff's results; a judgment without a known balance adds 0. */
export const rollup = (
  results: ReadonlyArray<Pick<ScoreResult, "judgmentId" | "tier">>,
  balances: ReadonlyMap<string, number>
): PlaintiffRollup => {
  const totals: Partial<Record<Tier, TierTotals>> = {}
  for (const result of results) {
    const current = totals[result.tier] ?? { count: 0, balanceCents: 0 }
    totals[result.tier] = {
      count: current.count + 1,
      balanceCents: current.balanceCents + (balances.get(result.judgmentId) ?? 0)
    }
  }
  return rollupFromTotals(totals)
}
