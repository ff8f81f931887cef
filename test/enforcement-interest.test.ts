import { assert, describe, it } from "@effect/vitest"
import {
  computeInterest,
  defaultEnforcementRules as rules,
  type InterestInput,
  interestRateOn,
  type InterestResult
} from "../src/domain/enforcement/index.js"

/** $10,000.00 of principal. */
const TEN_THOUSAND = 1_000_000

const interest = (input: Partial<Omit<InterestInput, "rules">> & Pick<InterestInput, "entryDate" | "asOf">) =>
  computeInterest({ principalCents: TEN_THOUSAND, consumer: false, payments: [], rules, ...input })

/** What must hold for every result: the money adds up. */
const balanced = (result: InterestResult, principalCents: number, paidCents: number) => {
  assert.strictEqual(result.interestAccruedCents, result.periods.reduce((sum, p) => sum + p.interestCents, 0))
  assert.strictEqual(result.paidToInterestCents + result.paidToPrincipalCents + result.overpaidCents, paidCents)
  assert.strictEqual(result.unpaidPrincipalCents, principalCents - result.paidToPrincipalCents)
  assert.strictEqual(result.unpaidInterestCents, result.interestAccruedCents - result.paidToInterestCents)
  assert.strictEqual(result.totalDueCents, result.unpaidPrincipalCents + result.unpaidInterestCents)
}

describe("computeInterest", () => {
  it("$10,000 at 9% for 365 days is $900.00", () => {
    // 2023-01-01 → 2024-01-01 = 365 days; 1,000,000¢ × 9% × 365 / 365 = 90,000¢
    const result = interest({ entryDate: "2023-01-01", asOf: "2024-01-01" })
    assert.deepStrictEqual(result.periods, [
      { from: "2023-01-01", to: "2024-01-01", days: 365, ratePercent: 9, principalCents: TEN_THOUSAND, interestCents: 90_000 }
    ])
    assert.strictEqual(result.rateNowPercent, 9)
    assert.strictEqual(result.totalDueCents, 1_090_000)
    balanced(result, TEN_THOUSAND, 0)
  })

  it("a leap year has 366 days on a 365-day basis", () => {
    // 2024-01-01 → 2025-01-01 = 366 days; 1,000,000 × 9 × 366 / 36,500 = 90,246.575¢ → 90,247¢
    const result = interest({ entryDate: "2024-01-01", asOf: "2025-01-01" })
    assert.strictEqual(result.periods[0]!.days, 366)
    assert.strictEqual(result.interestAccruedCents, 90_247)
  })

  it("accrues nothing on the entry date and nothing before it", () => {
    assert.strictEqual(interest({ entryDate: "2023-01-01", asOf: "2023-01-01" }).interestAccruedCents, 0)
    assert.strictEqual(interest({ entryDate: "2023-01-01", asOf: "2023-01-01" }).totalDueCents, TEN_THOUSAND)
    const before = interest({ entryDate: "2023-01-01", asOf: "2022-12-31", payments: [{ date: "2022-12-01", cents: 500 }] })
    assert.deepStrictEqual(before, {
      rateNowPercent: 9,
      periods: [],
      interestAccruedCents: 0,
      paidToInterestCents: 0,
      paidToPrincipalCents: 0,
      overpaidCents: 0,
      unpaidPrincipalCents: 0,
      unpaidInterestCents: 0,
      totalDueCents: 0
    })
  })

  it("splits an older consumer judgment at the switch date, with exact day counts", () => {
    // 2020-01-01 → 2022-04-30: 366 (2020) + 365 (2021) + 31 + 28 + 31 + 29 (to Apr 29 inclusive) = 850 days at 9%
    //   1,000,000 × 9 × 850 / 36,500 = 209,589.04¢ → 209,589¢
    // 2022-04-30 → 2023-01-01: 1 (Apr 30) + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 31 = 246 days at 2%
    //   1,000,000 × 2 × 246 / 36,500 = 13,479.45¢ → 13,479¢
    const result = interest({ consumer: true, entryDate: "2020-01-01", asOf: "2023-01-01" })
    assert.deepStrictEqual(result.periods, [
      { from: "2020-01-01", to: "2022-04-30", days: 850, ratePercent: 9, principalCents: TEN_THOUSAND, interestCents: 209_589 },
      { from: "2022-04-30", to: "2023-01-01", days: 246, ratePercent: 2, principalCents: TEN_THOUSAND, interestCents: 13_479 }
    ])
    assert.strictEqual(result.interestAccruedCents, 223_068)
    assert.strictEqual(result.rateNowPercent, 2)
    assert.strictEqual(result.totalDueCents, 1_223_068)
  })

  it("leaves a commercial judgment at 9% across the switch date", () => {
    // 2020-01-01 → 2023-01-01 = 1,096 days; 1,000,000 × 9 × 1,096 / 36,500 = 270,246.58¢ → 270,247¢
    const result = interest({ consumer: false, entryDate: "2020-01-01", asOf: "2023-01-01" })
    assert.strictEqual(result.periods.length, 1)
    assert.strictEqual(result.interestAccruedCents, 270_247)
    assert.strictEqual(result.rateNowPercent, 9)
  })

  it("accrues 2% throughout on a consumer judgment entered after the switch, or on the switch date itself", () => {
    // 2022-06-01 → 2023-06-01 = 365 days; 1,000,000 × 2 × 365 / 36,500 = 20,000¢
    const after = interest({ consumer: true, entryDate: "2022-06-01", asOf: "2023-06-01" })
    assert.deepStrictEqual(after.periods.map((p) => [p.ratePercent, p.interestCents]), [[2, 20_000]])
    const onSwitch = interest({ consumer: true, entryDate: "2022-04-30", asOf: "2023-04-30" })
    assert.deepStrictEqual(onSwitch.periods.map((p) => [p.days, p.ratePercent, p.interestCents]), [[365, 2, 20_000]])
    // A consumer judgment entered on/after the switch is at 2% even when looked at before the switch.
    assert.strictEqual(interestRateOn("2022-01-01", "2022-06-01", true, rules), 2)
  })

  it("charges the day before the switch at 9% and the switch date at 2%", () => {
    // Entered 2022-04-29: 1 day at 9% (Apr 29) = 1,000,000 × 9 / 36,500 = 246.58¢ → 247¢;
    // 1 day at 2% (Apr 30) = 1,000,000 × 2 / 36,500 = 54.79¢ → 55¢
    const result = interest({ consumer: true, entryDate: "2022-04-29", asOf: "2022-05-01" })
    assert.deepStrictEqual(result.periods.map((p) => [p.from, p.days, p.ratePercent, p.interestCents]), [
      ["2022-04-29", 1, 9, 247],
      ["2022-04-30", 1, 2, 55]
    ])
    assert.strictEqual(interestRateOn("2022-04-29", "2020-01-01", true, rules), 9)
    assert.strictEqual(interestRateOn("2022-04-30", "2020-01-01", true, rules), 2)
  })

  it("applies a payment before the switch under 9% and one after it under 2%, interest first", () => {
    // Consumer, $10,000 entered 2020-01-01; $1,000 paid 2021-01-01; $2,000 paid 2022-07-01; as of 2023-01-01.
    // 1) 2020-01-01 → 2021-01-01, 366 days at 9% on 1,000,000: 90,246.58 → 90,247¢.
    //    $1,000 pays 90,247¢ of interest and 9,753¢ of principal: principal 990,247¢.
    // 2) 2021-01-01 → 2022-04-30, 484 days at 9% on 990,247: 990,247 × 9 × 484 / 36,500 = 118,178.52 → 118,179¢
    // 3) 2022-04-30 → 2022-07-01, 62 days at 2% on 990,247: 990,247 × 2 × 62 / 36,500 = 3,364.13 → 3,364¢
    //    $2,000 pays 118,179 + 3,364 = 121,543¢ of interest and 78,457¢ of principal: principal 911,790¢.
    // 4) 2022-07-01 → 2023-01-01, 184 days at 2% on 911,790: 911,790 × 2 × 184 / 36,500 = 9,192.84 → 9,193¢
    const result = interest({
      consumer: true,
      entryDate: "2020-01-01",
      asOf: "2023-01-01",
      payments: [{ date: "2022-07-01", cents: 200_000 }, { date: "2021-01-01", cents: 100_000 }]
    })
    assert.deepStrictEqual(result.periods, [
      { from: "2020-01-01", to: "2021-01-01", days: 366, ratePercent: 9, principalCents: 1_000_000, interestCents: 90_247 },
      { from: "2021-01-01", to: "2022-04-30", days: 484, ratePercent: 9, principalCents: 990_247, interestCents: 118_179 },
      { from: "2022-04-30", to: "2022-07-01", days: 62, ratePercent: 2, principalCents: 990_247, interestCents: 3_364 },
      { from: "2022-07-01", to: "2023-01-01", days: 184, ratePercent: 2, principalCents: 911_790, interestCents: 9_193 }
    ])
    assert.strictEqual(result.paidToInterestCents, 90_247 + 121_543)
    assert.strictEqual(result.paidToPrincipalCents, 9_753 + 78_457)
    assert.strictEqual(result.unpaidPrincipalCents, 911_790)
    assert.strictEqual(result.unpaidInterestCents, 9_193)
    assert.strictEqual(result.totalDueCents, 920_983)
    balanced(result, TEN_THOUSAND, 300_000)
  })

  it("keeps unpaid interest when a payment does not cover it, without compounding", () => {
    // 365 days at 9% = 90,000¢; $500 pays interest only: 40,000¢ unpaid; the next 365 days
    // accrue on the principal alone: another 90,000¢.
    const result = interest({ entryDate: "2023-01-01", asOf: "2025-01-01", payments: [{ date: "2024-01-01", cents: 50_000 }] })
    assert.deepStrictEqual(result.periods.map((p) => [p.principalCents, p.interestCents]), [
      [TEN_THOUSAND, 90_000],
      [TEN_THOUSAND, 90_247]
    ])
    assert.strictEqual(result.paidToPrincipalCents, 0)
    assert.strictEqual(result.unpaidInterestCents, 40_000 + 90_247)
    balanced(result, TEN_THOUSAND, 50_000)
  })

  it("rounds each period half-up to the cent", () => {
    // 9,125¢ × 2% × 1 / 365 = 0.5¢ exactly → 1¢
    const result = interest({ principalCents: 9_125, consumer: true, entryDate: "2023-01-01", asOf: "2023-01-02" })
    assert.strictEqual(result.interestAccruedCents, 1)
    // 9,124¢ → 0.49989¢ → 0¢
    assert.strictEqual(interest({ principalCents: 9_124, consumer: true, entryDate: "2023-01-01", asOf: "2023-01-02" }).interestAccruedCents, 0)
  })

  it("has no float drift on a large principal over many years", () => {
    // 2004-01-01 → 2024-01-01 = 20 × 365 + 5 leap days = 7,305 days
    // 123,456,789 × 9 × 7,305 / 36,500 = 8,116,666,592,805 / 36,500 = 222,374,427.2001¢ → 222,374,427¢
    const result = interest({ principalCents: 123_456_789, entryDate: "2004-01-01", asOf: "2024-01-01" })
    assert.strictEqual(result.periods[0]!.days, 7_305)
    const exact = 123_456_789n * 9n * 7_305n
    assert.strictEqual(BigInt(result.interestAccruedCents), (2n * exact + 36_500n) / 73_000n)
    assert.strictEqual(result.interestAccruedCents, 222_374_427)
  })

  it("credits a payment on the entry date to principal, and one before entry on the entry date", () => {
    const result = interest({
      entryDate: "2023-01-01",
      asOf: "2024-01-01",
      payments: [{ date: "2023-01-01", cents: 100_000 }, { date: "2022-06-01", cents: 100_000 }]
    })
    // 800,000¢ × 9% × 365 / 365 = 72,000¢
    assert.strictEqual(result.paidToPrincipalCents, 200_000)
    assert.strictEqual(result.interestAccruedCents, 72_000)
    assert.strictEqual(result.totalDueCents, 872_000)
  })

  it("ignores payments after the as-of date and reports overpayment", () => {
    const future = interest({ entryDate: "2023-01-01", asOf: "2024-01-01", payments: [{ date: "2024-01-02", cents: 100 }] })
    assert.strictEqual(future.paidToInterestCents + future.paidToPrincipalCents, 0)
    // 90,000¢ interest + 1,000,000¢ principal owed on 2024-01-01; 1,100,000¢ paid: 10,000¢ over, nothing accrues after.
    const over = interest({
      entryDate: "2023-01-01",
      asOf: "2025-01-01",
      payments: [{ date: "2024-01-01", cents: 1_100_000 }]
    })
    assert.strictEqual(over.overpaidCents, 10_000)
    assert.strictEqual(over.totalDueCents, 0)
    assert.strictEqual(over.periods.length, 1)
    balanced(over, TEN_THOUSAND, 1_100_000)
  })
})
