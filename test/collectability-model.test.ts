import { assert, describe, it } from "@effect/vitest"
import { addYears, calendarDate } from "../src/domain/calendar.js"
import {
  COLLECTABILITY_V1,
  homesteadCents,
  rollup,
  SCORE_VERSION,
  scoreJudgment,
  type ScoreResult,
  tierFor
} from "../src/domain/collectability/index.js"
import type { JudgmentFacts } from "../src/domain/judgments/index.js"

/** 12:00 in New York on 2026-06-15. */
const asOf = new Date("2026-06-15T16:00:00Z")

/** Every factor at 0 points: an individual, entered 6 years ago, $2,000 owed, little known. */
const facts = (overrides: Partial<JudgmentFacts> = {}): JudgmentFacts => ({
  orgId: "00000000-0000-4000-8000-000000000001",
  judgmentId: "j-001",
  plaintiffId: "p-001",
  status: "open",
  judgmentDate: "2020-06-15",
  lastPaymentDate: null,
  lastAcknowledgmentDate: null,
  balanceCents: 200_000,
  debtorFirstName: "Pat",
  debtorLastName: "Example",
  debtorCompanyName: null,
  debtorDob: null,
  employerName: null,
  employmentType: null,
  employmentVerifiedAt: null,
  bankName: null,
  bankState: null,
  bankIdentifiedAt: null,
  bankExemptOnly: false,
  realPropertyCounty: null,
  realPropertyState: null,
  propertyEquityCents: null,
  propertyLiensCents: null,
  propertyAsOf: null,
  businessStatus: null,
  businessStatusAsOf: null,
  incomeOnlyExempt: false,
  incomeAsOf: null,
  addressVerifiedAt: "2025-01-01",
  addressReturnedMail: false,
  addressReturnedMailAt: null,
  phoneWorking: false,
  phoneVerifiedAt: null,
  emailConsented: false,
  emailConsentAt: null,
  bankruptcyStatus: null,
  bankruptcyReaffirmed: false,
  bankruptcyAsOf: null,
  deceased: false,
  deceasedAsOf: null,
  scraActiveDuty: false,
  scraCheckedAt: null,
  otherJudgmentsCount: null,
  otherJudgmentsAsOf: null,
  paymentPlanBroken: false,
  paymentPlanAsOf: null,
  ...overrides
})

const business = { debtorFirstName: null, debtorLastName: null, debtorCompanyName: "Acme Widgets, Inc." } as const

/** Scores and checks what must hold for every result: the points explain the score exactly. */
const score = (overrides: Partial<JudgmentFacts> = {}, at: Date = asOf): ScoreResult => {
  const result = scoreJudgment(facts(overrides), at)
  assert.strictEqual(result.scoreVersion, SCORE_VERSION)
  assert.strictEqual(result.computedAt, at)
  if (result.tier === "X") {
    assert.isNull(result.score)
    assert.isNull(result.rawScore)
    assert.isAbove(result.gatesFailed.length, 0)
    assert.deepStrictEqual(result.gates.map((gate) => gate.code), result.gatesFailed)
    assert.deepStrictEqual(result.factors, [])
  } else {
    assert.lengthOf(result.factors, 11)
    assert.strictEqual(result.factors.reduce((sum, factor) => sum + factor.points, 0), result.rawScore)
    assert.strictEqual(result.score, Math.min(100, Math.max(0, result.rawScore!)))
    assert.strictEqual(result.tier, tierFor(result.score!))
    assert.deepStrictEqual(result.gatesFailed, [])
  }
  return result
}

/** The factor with this code, checked to be the only non-zero one when `alone`. */
const expectFactor = (result: ScoreResult, code: string, points: number) => {
  const factor = result.factors.find((f) => f.code === code)
  assert.isDefined(factor, `no factor ${code} in ${result.factors.map((f) => f.code).join(", ")}`)
  assert.strictEqual(factor!.points, points, code)
  return factor!
}

type Case = readonly [name: string, overrides: Partial<JudgmentFacts>, code: string, points: number]

/** Each case changes one thing from the neutral facts, so the raw score is that factor's points. */
const factorCases = (cases: ReadonlyArray<Case>) =>
  it.each(cases)("%s", (_name, overrides, code, points) => {
    const result = score(overrides)
    expectFactor(result, code, points)
    assert.strictEqual(result.rawScore, points)
  })

describe("collectability v1: neutral facts", () => {
  it("score 0, tier D, one factor per points-table row", () => {
    const result = score()
    assert.strictEqual(result.rawScore, 0)
    assert.strictEqual(result.score, 0)
    assert.strictEqual(result.tier, "D")
    assert.deepStrictEqual(result.flags, [])
    assert.deepStrictEqual(result.factors.map((f) => f.code), [
      "employment_unknown",
      "bank_unknown",
      "property_unknown",
      "business_not_applicable",
      "exempt_income_none",
      "address_not_recently_verified",
      "contact_none",
      "payment_none_recent",
      "judgment_age_5_10y",
      "balance_1k_plus",
      "other_judgments_few_or_unknown"
    ])
  })
})

describe("collectability v1: gates", () => {
  const gated = (overrides: Partial<JudgmentFacts>, at: Date = asOf) => {
    const result = score(overrides, at)
    assert.strictEqual(result.tier, "X")
    return result.gatesFailed
  }
  const passes = (overrides: Partial<JudgmentFacts>, at: Date = asOf) =>
    assert.notStrictEqual(score(overrides, at).tier, "X")

  it("G1: satisfied or vacated; open and partially satisfied pass", () => {
    assert.deepStrictEqual(gated({ status: "satisfied" }), ["G1_satisfied_or_vacated"])
    assert.deepStrictEqual(gated({ status: "vacated" }), ["G1_satisfied_or_vacated"])
    passes({ status: "open" })
    passes({ status: "partially_satisfied" })
  })

  it("G2: entry + 20 years is still enforceable, the day after is not", () => {
    passes({ judgmentDate: "2006-06-15" })
    assert.deepStrictEqual(gated({ judgmentDate: "2006-06-14" }), ["G2_expired"])
  })

  it("G2: a later payment restarts the 20 years, at the same boundary", () => {
    passes({ judgmentDate: "2000-01-10", lastPaymentDate: "2006-06-15" })
    assert.deepStrictEqual(gated({ judgmentDate: "2000-01-10", lastPaymentDate: "2006-06-14" }), ["G2_expired"])
  })

  it("G2: so does a written acknowledgment; the latest of the three dates counts", () => {
    passes({ judgmentDate: "2000-01-10", lastAcknowledgmentDate: "2006-06-15" })
    passes({ judgmentDate: "2000-01-10", lastPaymentDate: "2001-01-01", lastAcknowledgmentDate: "2006-06-15" })
    assert.deepStrictEqual(
      gated({ judgmentDate: "2000-01-10", lastPaymentDate: "2006-06-14", lastAcknowledgmentDate: "2005-01-01" }),
      ["G2_expired"]
    )
  })

  it("G2: records the dates it used", () => {
    const result = score({ judgmentDate: "2000-01-10", lastPaymentDate: "2006-06-14" })
    assert.deepStrictEqual(result.gates, [{
      code: "G2_expired",
      evidence_field: "judgment_date+last_payment_date+last_acknowledgment_date",
      evidence_value: {
        judgment_date: "2000-01-10",
        last_payment_date: "2006-06-14",
        last_acknowledgment_date: null,
        presumed_paid_after: "2026-06-14"
      }
    }])
  })

  it("G2: 'today' is the New York calendar day of the as-of instant", () => {
    // 02:00 UTC on June 16 is still June 15 in New York; 05:00 UTC is June 16 there.
    passes({ judgmentDate: "2006-06-15" }, new Date("2026-06-16T02:00:00Z"))
    assert.deepStrictEqual(gated({ judgmentDate: "2006-06-15" }, new Date("2026-06-16T05:00:00Z")), ["G2_expired"])
  })

  it("G3: an open case, or a discharge without reaffirmation", () => {
    assert.deepStrictEqual(gated({ bankruptcyStatus: "open" }), ["G3_bankruptcy"])
    assert.deepStrictEqual(gated({ bankruptcyStatus: "discharged" }), ["G3_bankruptcy"])
    passes({ bankruptcyStatus: "discharged", bankruptcyReaffirmed: true })
    passes({ bankruptcyStatus: "dismissed" })
    passes({ bankruptcyStatus: "none" })
  })

  it("G4: deceased", () => {
    assert.deepStrictEqual(gated({ deceased: true }), ["G4_deceased"])
  })

  it("G5: SCRA active duty", () => {
    assert.deepStrictEqual(gated({ scraActiveDuty: true }), ["G5_scra_active_duty"])
  })

  it("records every failed gate, computes no score and no flags", () => {
    const result = score({
      status: "satisfied",
      judgmentDate: "2001-01-01",
      bankruptcyStatus: "open",
      deceased: true,
      scraActiveDuty: true,
      balanceCents: 10_000_000
    })
    assert.deepStrictEqual(result.gatesFailed, [
      "G1_satisfied_or_vacated",
      "G2_expired",
      "G3_bankruptcy",
      "G4_deceased",
      "G5_scra_active_duty"
    ])
    assert.deepStrictEqual(result.flags, [])
  })
})

describe("collectability v1: employment (180 days = 2025-12-17)", () => {
  factorCases([
    ["W-2 verified 179 days ago", { employerName: "Acme", employmentType: "w2", employmentVerifiedAt: "2025-12-18" }, "employment_w2_verified", 25],
    ["W-2 verified 180 days ago", { employerName: "Acme", employmentType: "w2", employmentVerifiedAt: "2025-12-17" }, "employment_w2_verified", 25],
    ["W-2 verified 181 days ago", { employerName: "Acme", employmentType: "w2", employmentVerifiedAt: "2025-12-16" }, "employment_not_recently_verified", 0],
    ["1099 verified", { employerName: "Acme", employmentType: "1099", employmentVerifiedAt: "2026-06-01" }, "employment_other_verified", 10],
    ["self-employed verified", { employerName: "Own shop", employmentType: "self_employed", employmentVerifiedAt: "2026-06-01" }, "employment_other_verified", 10],
    ["1099 verified 181 days ago", { employerName: "Acme", employmentType: "1099", employmentVerifiedAt: "2025-12-16" }, "employment_not_recently_verified", 0],
    ["employer of unknown type verified", { employerName: "Acme", employmentVerifiedAt: "2026-06-01" }, "employment_other_verified", 10],
    ["employer never verified", { employerName: "Acme", employmentType: "w2" }, "employment_not_recently_verified", 0],
    ["verification date in the future counts as today", { employerName: "Acme", employmentType: "w2", employmentVerifiedAt: "2026-06-16" }, "employment_w2_verified", 25],
    ["blank employer", { employerName: "  ", employmentType: "w2", employmentVerifiedAt: "2026-06-01" }, "employment_unknown", 0]
  ])
})

describe("collectability v1: bank (12 months = 2025-06-15)", () => {
  factorCases([
    ["NY bank identified 12 months ago", { bankName: "Example Bank", bankState: "NY", bankIdentifiedAt: "2025-06-15" }, "bank_identified", 20],
    ["NY bank identified 12 months and a day ago", { bankName: "Example Bank", bankState: "NY", bankIdentifiedAt: "2025-06-14" }, "bank_not_recently_identified", 0],
    ["bank without a state is taken as NY", { bankName: "Example Bank", bankIdentifiedAt: "2026-01-01" }, "bank_identified", 20],
    ["out-of-state bank", { bankName: "Example Bank", bankState: "NJ", bankIdentifiedAt: "2026-01-01" }, "bank_out_of_state", 0],
    ["bank without a date", { bankName: "Example Bank", bankState: "NY" }, "bank_not_recently_identified", 0],
    ["bank receiving only exempt benefits", { bankName: "Example Bank", bankState: "ny", bankIdentifiedAt: "2026-01-01", bankExemptOnly: true }, "bank_exempt_only", 0]
  ])

  it("flags a bank that receives only exempt benefits", () => {
    assert.deepStrictEqual(
      score({ bankName: "Example Bank", bankIdentifiedAt: "2026-01-01", bankExemptOnly: true }).flags,
      ["exempt_only_bank"]
    )
    assert.deepStrictEqual(score({ bankName: "Example Bank", bankIdentifiedAt: "2026-01-01" }).flags, [])
  })
})

describe("collectability v1: real property", () => {
  it.each([
    ["Kings", 15_000_000],
    ["Brooklyn", 15_000_000],
    ["new york county", 15_000_000],
    ["Nassau County", 15_000_000],
    ["Putnam", 15_000_000],
    ["Dutchess County", 12_500_000],
    ["Saratoga", 12_500_000],
    ["Erie", 7_500_000],
    ["Onondaga County", 7_500_000]
  ] as const)("homestead in %s: %i cents", (county, cents) => {
    assert.strictEqual(homesteadCents(county), cents)
  })

  const property = (county: string, equity: number | null, liens: number | null = null, state: string | null = null) => ({
    realPropertyCounty: county,
    realPropertyState: state,
    propertyEquityCents: equity,
    propertyLiensCents: liens
  })
  factorCases([
    ["150k-dollar tier: equity above homestead + liens", property("Kings", 15_500_001, 500_000), "property_equity_above_homestead", 15],
    ["150k-dollar tier: equity equal to homestead + liens", property("Kings", 15_500_000, 500_000), "property_equity_not_above_homestead", 5],
    ["150k-dollar tier: 140k-dollar equity", property("Westchester", 14_000_000), "property_equity_not_above_homestead", 5],
    ["125k-dollar tier: equity above homestead", property("Dutchess County", 12_500_001), "property_equity_above_homestead", 15],
    ["125k-dollar tier: equity equal to homestead", property("Dutchess County", 12_500_000), "property_equity_not_above_homestead", 5],
    ["75k-dollar tier: 80k-dollar equity, no liens", property("Erie", 8_000_000), "property_equity_above_homestead", 15],
    ["75k-dollar tier: 80k-dollar equity, 10k-dollar liens", property("Erie", 8_000_000, 1_000_000), "property_equity_not_above_homestead", 5],
    ["equity unknown", property("Monroe", null), "property_equity_not_above_homestead", 5],
    ["property outside NY", property("Bergen", 50_000_000, 0, "NJ"), "property_out_of_state", 0],
    ["property in NY, state recorded", property("Albany", 50_000_000, 0, "NY"), "property_equity_above_homestead", 15]
  ])
})

describe("collectability v1: business debtor", () => {
  factorCases([
    ["active", { ...business, businessStatus: "active" }, "business_active", 10],
    ["dissolved", { ...business, businessStatus: "dissolved" }, "business_dissolved", -15],
    ["inactive", { ...business, businessStatus: "inactive" }, "business_inactive", -15],
    ["status unknown", { ...business }, "business_status_unknown", 0],
    ["an individual", { businessStatus: "active" }, "business_not_applicable", 0],
    ["a company with a named individual is an individual", { debtorCompanyName: "Pat's Deli", businessStatus: "active" }, "business_not_applicable", 0]
  ])
})

describe("collectability v1: exempt income (65th birthday 2026-06-15 for dob 1961-06-15)", () => {
  factorCases([
    ["65 today", { debtorDob: "1961-06-15" }, "exempt_income_age", -10],
    ["65 tomorrow", { debtorDob: "1961-06-16" }, "exempt_income_none", 0],
    ["income only SS/pension", { incomeOnlyExempt: true }, "exempt_income_benefits_only", -10],
    ["both count once", { debtorDob: "1950-01-01", incomeOnlyExempt: true }, "exempt_income_age", -10],
    ["no date of birth", { debtorDob: null }, "exempt_income_none", 0],
    ["not for a business", { ...business, debtorDob: "1950-01-01", incomeOnlyExempt: true }, "exempt_income_not_applicable", 0]
  ])
})

describe("collectability v1: address (90 days = 2026-03-17)", () => {
  factorCases([
    ["verified 90 days ago", { addressVerifiedAt: "2026-03-17" }, "address_verified", 10],
    ["verified 91 days ago", { addressVerifiedAt: "2026-03-16" }, "address_not_recently_verified", 0],
    ["returned mail, even after a recent verification", { addressVerifiedAt: "2026-06-01", addressReturnedMail: true }, "address_returned_mail", -10],
    ["unknown: no verification on file", { addressVerifiedAt: null }, "address_unknown", -10]
  ])
})

describe("collectability v1: phone or email", () => {
  factorCases([
    ["working phone", { phoneWorking: true }, "contact_channel", 5],
    ["consented email", { emailConsented: true }, "contact_channel", 5],
    ["both count once", { phoneWorking: true, emailConsented: true }, "contact_channel", 5],
    ["neither", {}, "contact_none", 0]
  ])
})

describe("collectability v1: payments (24 months = 2024-06-15)", () => {
  factorCases([
    ["paid 24 months ago", { lastPaymentDate: "2024-06-15" }, "payment_recent", 10],
    ["paid 24 months and a day ago", { lastPaymentDate: "2024-06-14" }, "payment_none_recent", 0],
    ["paid recently under a plan since broken", { lastPaymentDate: "2026-01-01", paymentPlanBroken: true }, "payment_recent_plan_broken", 5],
    ["broken plan without a recent payment", { lastPaymentDate: "2023-01-01", paymentPlanBroken: true }, "payment_none_recent", 0],
    ["never paid", { lastPaymentDate: null }, "payment_none_recent", 0]
  ])
})

describe("collectability v1: judgment age (bands include their lower edge)", () => {
  factorCases([
    ["entered today", { judgmentDate: "2026-06-15" }, "judgment_age_0_2y", 10],
    ["a day short of 2 years", { judgmentDate: "2024-06-16" }, "judgment_age_0_2y", 10],
    ["exactly 2 years", { judgmentDate: "2024-06-15" }, "judgment_age_2_5y", 5],
    ["a day short of 5 years", { judgmentDate: "2021-06-16" }, "judgment_age_2_5y", 5],
    ["exactly 5 years", { judgmentDate: "2021-06-15" }, "judgment_age_5_10y", 0],
    ["a day short of 10 years", { judgmentDate: "2016-06-16" }, "judgment_age_5_10y", 0],
    ["exactly 10 years", { judgmentDate: "2016-06-15" }, "judgment_age_10_15y", -5],
    ["a day short of 15 years", { judgmentDate: "2011-06-16" }, "judgment_age_10_15y", -5],
    ["exactly 15 years", { judgmentDate: "2011-06-15" }, "judgment_age_15y_plus", -10],
    ["exactly 20 years", { judgmentDate: "2006-06-15" }, "judgment_age_15y_plus", -10]
  ])

  it("older than 20 years but renewed by a payment stays in the last band", () => {
    const result = score({ judgmentDate: "2003-01-01", lastPaymentDate: "2020-01-01" })
    expectFactor(result, "judgment_age_15y_plus", -10)
  })
})

describe("collectability v1: balance", () => {
  factorCases([
    ["499.99 dollars", { balanceCents: 49_999 }, "balance_under_500", -10],
    ["500.00 dollars", { balanceCents: 50_000 }, "balance_500_1k", -5],
    ["999.99 dollars", { balanceCents: 99_999 }, "balance_500_1k", -5],
    ["1,000.00 dollars", { balanceCents: 100_000 }, "balance_1k_plus", 0],
    ["50,000.00 dollars", { balanceCents: 5_000_000 }, "balance_1k_plus", 0],
    ["50,000.01 dollars", { balanceCents: 5_000_001 }, "balance_1k_plus", 0]
  ])

  it("flags high_value_review above $50,000 only", () => {
    assert.deepStrictEqual(score({ balanceCents: 5_000_000 }).flags, [])
    assert.deepStrictEqual(score({ balanceCents: 5_000_001 }).flags, ["high_value_review"])
  })
})

describe("collectability v1: other judgments or liens", () => {
  factorCases([
    ["2 others", { otherJudgmentsCount: 2 }, "other_judgments_few_or_unknown", 0],
    ["3 others", { otherJudgmentsCount: 3 }, "other_judgments_many", -5],
    ["unknown", { otherJudgmentsCount: null }, "other_judgments_few_or_unknown", 0]
  ])
})

describe("collectability v1: clamp and tiers", () => {
  const strong: Partial<JudgmentFacts> = {
    employerName: "Acme",
    employmentType: "w2",
    employmentVerifiedAt: "2026-06-01",
    bankName: "Example Bank",
    bankIdentifiedAt: "2026-06-01",
    addressVerifiedAt: "2026-06-01",
    judgmentDate: "2025-06-15"
  }

  it("clamps at 100 and keeps the raw sum", () => {
    const result = score({
      ...strong,
      ...business,
      businessStatus: "active",
      realPropertyCounty: "Erie",
      propertyEquityCents: 50_000_000,
      phoneWorking: true,
      lastPaymentDate: "2026-01-01"
    })
    assert.strictEqual(result.rawScore, 105)
    assert.strictEqual(result.score, 100)
    assert.strictEqual(result.tier, "A")
  })

  it("clamps at 0 and keeps the raw sum", () => {
    const result = score({
      ...business,
      businessStatus: "dissolved",
      addressVerifiedAt: null,
      judgmentDate: "2010-01-01",
      balanceCents: 10_000,
      otherJudgmentsCount: 7
    })
    assert.strictEqual(result.rawScore, -50)
    assert.strictEqual(result.score, 0)
    assert.strictEqual(result.tier, "D")
  })

  it.each([
    [100, "A"],
    [65, "A"],
    [64, "B"],
    [45, "B"],
    [44, "C"],
    [25, "C"],
    [24, "D"],
    [0, "D"]
  ] as const)("tierFor(%i) = %s", (points, tier) => {
    assert.strictEqual(tierFor(points), tier)
  })

  it.each([
    ["65 (A)", strong, 65, "A"],
    ["60 (B)", { ...strong, judgmentDate: "2024-06-15" }, 60, "B"],
    ["45 (B)", { ...strong, bankName: null }, 45, "B"],
    ["40 (C)", { ...strong, bankName: null, judgmentDate: "2024-06-15" }, 40, "C"],
    ["25 (C)", { employerName: "Acme", employmentType: "w2", employmentVerifiedAt: "2026-06-01" }, 25, "C"],
    ["20 (D)", { bankName: "Example Bank", bankIdentifiedAt: "2026-06-01" }, 20, "D"]
  ] as const)("a judgment scoring %s", (_name, overrides, points, tier) => {
    const result = score(overrides)
    assert.strictEqual(result.score, points)
    assert.strictEqual(result.tier, tier)
  })
})

describe("collectability v1: calendar and config", () => {
  it("reads the as-of calendar day in New York", () => {
    assert.strictEqual(calendarDate(new Date("2026-01-01T04:59:59Z"), "America/New_York"), "2025-12-31")
    assert.strictEqual(calendarDate(new Date("2026-01-01T05:00:00Z"), "America/New_York"), "2026-01-01")
  })

  it("moves Feb 29 to Feb 28 in a common year", () => {
    assert.strictEqual(addYears("2004-02-29", 20), "2024-02-29")
    assert.strictEqual(addYears("2004-02-29", 21), "2025-02-28")
  })

  it("keeps the legal numbers in one config", () => {
    assert.strictEqual(COLLECTABILITY_V1.judgmentLifeYears, 20)
    assert.strictEqual(COLLECTABILITY_V1.employment.windowDays, 180)
    assert.strictEqual(COLLECTABILITY_V1.bank.windowMonths, 12)
    assert.strictEqual(COLLECTABILITY_V1.address.windowDays, 90)
    assert.strictEqual(COLLECTABILITY_V1.payment.windowMonths, 24)
    assert.strictEqual(COLLECTABILITY_V1.exemptIncome.seniorAge, 65)
  })
})

describe("collectability v1: rollup", () => {
  const result = (judgmentId: string, tier: ScoreResult["tier"]) => ({ judgmentId, tier })

  it("counts and sums balances by tier, expected recovery at the placeholder rates", () => {
    const summary = rollup(
      [
        result("a1", "A"),
        result("a2", "A"),
        result("b1", "B"),
        result("c1", "C"),
        result("d1", "D"),
        result("x1", "X"),
        result("unknown-balance", "B")
      ],
      new Map([["a1", 100_000], ["a2", 300_000], ["b1", 100_001], ["c1", 12_345], ["d1", 50_000], ["x1", 999]])
    )
    assert.deepStrictEqual(summary.byTier, {
      A: { count: 2, balanceCents: 400_000 },
      B: { count: 2, balanceCents: 100_001 },
      C: { count: 1, balanceCents: 12_345 },
      D: { count: 1, balanceCents: 50_000 },
      X: { count: 1, balanceCents: 999 }
    })
    // 400,000 × .5 + round(100,001 × .3) + round(12,345 × .12) + 50,000 × .03 + 0
    assert.strictEqual(summary.expectedRecoveryIndexCents, 200_000 + 30_000 + 1_481 + 1_500)
    assert.strictEqual(summary.judgmentsScored, 7)
  })

  it("rounds half a cent up, per tier", () => {
    assert.strictEqual(rollup([result("b", "B")], new Map([["b", 5]])).expectedRecoveryIndexCents, 2)
  })

  it("is empty for no results", () => {
    const summary = rollup([], new Map())
    assert.strictEqual(summary.judgmentsScored, 0)
    assert.strictEqual(summary.expectedRecoveryIndexCents, 0)
    assert.deepStrictEqual(summary.byTier.A, { count: 0, balanceCents: 0 })
  })
})
