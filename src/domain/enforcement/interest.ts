import { type CalendarDate, daysBetween } from "../calendar.js"
import type { EnforcementRules } from "./rules.js"

/**
 * CPLR 5004 post-judgment interest: simple interest on the unpaid principal, from the entry date.
 *
 * Days are counted as `to − from` (a period includes its first day, not its last), so a judgment
 * entered 2023-01-01 has 365 days of interest on 2024-01-01. A day's interest is
 * principal × rate × 1 / day-count basis; the product is exact in BigInt (rates to a millionth of
 * a percent), and each period's interest is rounded half-up to the cent once, at the end of the
 * period. Totals are sums of the rounded periods.
 */

export interface Payment {
  readonly date: CalendarDate
  readonly cents: number
}

export interface InterestPeriod {
  readonly from: CalendarDate
  /** Exclusive: the period has `to − from` days of interest. */
  readonly to: CalendarDate
  readonly days: number
  readonly ratePercent: number
  readonly principalCents: number
  readonly interestCents: number
}

export interface InterestInput {
  readonly principalCents: number
  readonly entryDate: CalendarDate
  /** Natural-person defendant and consumer debt. */
  readonly consumer: boolean
  readonly payments: ReadonlyArray<Payment>
  readonly asOf: CalendarDate
  readonly rules: Pick<EnforcementRules, "interest">
}

export interface InterestResult {
  /** The rate accruing on `asOf`. */
  readonly rateNowPercent: number
  readonly periods: ReadonlyArray<InterestPeriod>
  readonly interestAccruedCents: number
  readonly paidToInterestCents: number
  readonly paidToPrincipalCents: number
  /** Paid beyond everything owed at the time. */
  readonly overpaidCents: number
  readonly unpaidPrincipalCents: number
  readonly unpaidInterestCents: number
  readonly totalDueCents: number
}

/**
 * The rate that accrues on `date`: 9%, except a consumer judgment entered on or after the switch
 * date (2% throughout) or an older one from the switch date on (CPLR 5004(a), (c)).
 */
export const interestRateOn = (
  date: CalendarDate,
  entryDate: CalendarDate,
  consumer: boolean,
  rules: Pick<EnforcementRules, "interest">
) => {
  const { consumerRatePercent, consumerSwitchDate, standardRatePercent } = rules.interest
  return consumer && (entryDate >= consumerSwitchDate || date >= consumerSwitchDate)
    ? consumerRatePercent
    : standardRatePercent
}

const RATE_SCALE = 1_000_000n

const periodInterestCents = (principalCents: number, ratePercent: number, days: number, basis: number) => {
  const numerator = BigInt(principalCents) * BigInt(Math.round(ratePercent * 1_000_000)) * BigInt(days)
  const denominator = 100n * RATE_SCALE * BigInt(basis)
  return Number((2n * numerator + denominator) / (2n * denominator))
}

/**
 * Interest and amounts due on `asOf`. Payments dated after `asOf` are not counted; payments dated
 * before entry are credited on the entry date; payments of 0 or less are ignored.
 *
 * Each payment is applied first to the interest accrued and unpaid on its date, then to principal.
 * The accrual runs in date order, so a payment made before the switch date was applied under the
 * 9% interest as it stood then and is not reopened; only the principal unpaid on the switch date
 * accrues at 2%. Before the entry date there is no judgment debt: everything is 0.
 */
export const computeInterest = (input: InterestInput): InterestResult => {
  const { asOf, consumer, entryDate, rules } = input
  const rateNowPercent = interestRateOn(asOf, entryDate, consumer, rules)
  if (asOf < entryDate) {
    return {
      rateNowPercent,
      periods: [],
      interestAccruedCents: 0,
      paidToInterestCents: 0,
      paidToPrincipalCents: 0,
      overpaidCents: 0,
      unpaidPrincipalCents: 0,
      unpaidInterestCents: 0,
      totalDueCents: 0
    }
  }
  const payments = input.payments
    .filter((payment) => payment.cents > 0 && payment.date <= asOf)
    .map((payment) => ({ date: payment.date < entryDate ? entryDate : payment.date, cents: payment.cents }))
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0))
  const { consumerSwitchDate } = rules.interest
  const rateChange = consumer && entryDate < consumerSwitchDate && consumerSwitchDate < asOf
    ? [consumerSwitchDate]
    : []
  const boundaries = [...new Set([...rateChange, ...payments.map((payment) => payment.date), asOf])].sort()

  const periods: Array<InterestPeriod> = []
  let principalCents = input.principalCents
  let unpaidInterestCents = 0
  let paidToInterestCents = 0
  let paidToPrincipalCents = 0
  let overpaidCents = 0
  let from = entryDate
  let next = 0
  for (const to of boundaries) {
    const days = daysBetween(from, to)
    if (days > 0 && principalCents > 0) {
      const ratePercent = interestRateOn(from, entryDate, consumer, rules)
      const interestCents = periodInterestCents(principalCents, ratePercent, days, rules.interest.dayCountBasis)
      periods.push({ from, to, days, ratePercent, principalCents, interestCents })
      unpaidInterestCents += interestCents
    }
    from = to
    for (; next < payments.length && payments[next]!.date === to; next++) {
      const toInterest = Math.min(payments[next]!.cents, unpaidInterestCents)
      const toPrincipal = Math.min(payments[next]!.cents - toInterest, principalCents)
      unpaidInterestCents -= toInterest
      principalCents -= toPrincipal
      paidToInterestCents += toInterest
      paidToPrincipalCents += toPrincipal
      overpaidCents += payments[next]!.cents - toInterest - toPrincipal
    }
  }
  return {
    rateNowPercent,
    periods,
    interestAccruedCents: periods.reduce((sum, period) => sum + period.interestCents, 0),
    paidToInterestCents,
    paidToPrincipalCents,
    overpaidCents,
    unpaidPrincipalCents: principalCents,
    unpaidInterestCents,
    totalDueCents: principalCents + unpaidInterestCents
  }
}
