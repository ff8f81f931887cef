import { addDays, addYears, type CalendarDate, wholeYearsBetween } from "../calendar.js"
import { blank, isBusinessDebtor, normaliseCounty } from "../judgments/index.js"
import { computeInterest, type InterestResult, type Payment } from "./interest.js"
import type { EnforcementAction, EnforcementRecord, PriorTask, PriorTaskStatus, RuleId } from "./record.js"
import { RuleIds } from "./record.js"
import type { EnforcementRules } from "./rules.js"

/**
 * Enforcement planning (domain.md §4): the legal gates, then every rule R1–R11 with its outcome
 * and reason, then the tasks of the rules that fired. Pure and deterministic: the as-of date, the
 * earlier tasks and every legal number are arguments. Decision support for the attorney who signs,
 * not a legal determination.
 */

export const PLANNER_VERSION = "enforcement-v1"

export const GateIds = ["G1", "G2", "G3", "G4", "G5"] as const
export type GateId = (typeof GateIds)[number]

export interface GateResult {
  readonly code: GateId
  readonly passed: boolean
  readonly reason: string
}

export type RuleOutcome = "fired" | "blocked" | "not_applicable"

export interface RuleResult {
  readonly ruleId: RuleId
  readonly outcome: RuleOutcome
  readonly reason: string
}

export interface Precondition {
  readonly code: string
  readonly ok: boolean
  readonly detail: string
}

/** A legal clock: `days` from the event `from`. The task's due date assumes that event on the as-of date. */
export interface TaskTimer {
  readonly kind: string
  readonly days: number
  readonly from: string
}

/** blocked: a precondition failed; held: a levy held while a recent payment suggests a plan (R8). */
export type TaskStatus = "pending" | "held" | "blocked"

export type TaskDraftKind = "information_subpoena" | "cover_letter" | "attorney_summary"

export interface TaskDraft {
  readonly ruleId: RuleId
  readonly action: EnforcementAction
  readonly preconditions: ReadonlyArray<Precondition>
  readonly dueDate: CalendarDate | null
  readonly timer: TaskTimer | null
  readonly nextStep: string
  readonly requiresAttorneySignoff: boolean
  readonly status: TaskStatus
  readonly garnishee: string | null
  readonly details: Readonly<Record<string, unknown>>
  /** The documents a drafter should prepare for the task. */
  readonly draftKinds: ReadonlyArray<TaskDraftKind>
}

export interface PlanDraft {
  readonly plannerVersion: string
  readonly gates: ReadonlyArray<GateResult>
  readonly rules: ReadonlyArray<RuleResult>
  readonly tasks: ReadonlyArray<TaskDraft>
  readonly interest: InterestResult
  /** The rate accruing on the as-of date, the one every amount shown uses. */
  readonly ratePercent: number
}

// ---------------------------------------------------------------------------------------------
// Reading the record

const usd = (cents: number) => {
  const sign = cents < 0 ? "-" : ""
  const abs = Math.abs(cents)
  const whole = Math.trunc(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",")
  return `${sign}$${whole}.${(abs % 100).toString().padStart(2, "0")}`
}

const countyLabel = (county: string) =>
  `${county.replace(/\b[a-z]/g, (letter) => letter.toUpperCase())} County`

const sameName = (a: string, b: string) =>
  a.trim().toLowerCase().replace(/\s+/g, " ") === b.trim().toLowerCase().replace(/\s+/g, " ")

const isState = (state: string | null, expected: string) => state !== null && state.trim().toUpperCase() === expected

/** A missing bank, property or employer state is taken as the home state, as the score model does. */
const inHomeState = (state: string | null, rules: EnforcementRules) => state === null || isState(state, rules.homeState)

const laterOf = (dates: ReadonlyArray<CalendarDate | null>): CalendarDate | null =>
  dates.reduce<CalendarDate | null>((max, date) => (date !== null && (max === null || date > max) ? date : max), null)

/** The start of the 20 years: the later of entry, the last payment and the last written acknowledgment. */
const lifeClockStart = (record: EnforcementRecord) =>
  laterOf([record.judgmentDate, record.lastPaymentDate, record.lastAcknowledgmentDate])!

const lifeClockFacts = (record: EnforcementRecord) =>
  `entry ${record.judgmentDate}, last payment ${record.lastPaymentDate ?? "none"}, ` +
  `last acknowledgment ${record.lastAcknowledgmentDate ?? "none"}`

/**
 * The payments the interest runs on. The record has totals, not a ledger: the last payment is
 * credited on its date and the rest of the payments to date on the entry date. Crediting a payment
 * earlier can only lower the interest, so the amount due is never overstated; the attorney checks
 * it against the ledger before signing.
 */
export const recordedPayments = (record: EnforcementRecord): ReadonlyArray<Payment> => {
  const total = record.paymentsToDateCents
  const last = record.lastPaymentAmountCents
  const lastDate = record.lastPaymentDate
  if (lastDate !== null && last !== null && last > 0) {
    const earlier = total === null ? 0 : Math.max(0, total - last)
    const lastCents = total === null ? last : Math.min(last, total)
    return [
      ...(earlier > 0 ? [{ date: record.judgmentDate, cents: earlier }] : []),
      ...(lastCents > 0 ? [{ date: lastDate, cents: lastCents }] : [])
    ]
  }
  return total !== null && total > 0 ? [{ date: record.judgmentDate, cents: total }] : []
}

export const homesteadExemptionCents = (county: string, rules: EnforcementRules) => {
  const name = normaliseCounty(county)
  return rules.homestead.tiers.find((tier) => tier.counties.includes(name))?.amountCents ??
    rules.homestead.otherCountiesCents
}

/** Whether the county clerk docketed the judgment at entry (Supreme and County Court); unknown court: yes. */
const docketedAtEntry = (record: EnforcementRecord, rules: EnforcementRules) =>
  record.courtName === null ||
  rules.lien.courtsDocketedAtEntry.some((court) => record.courtName!.toLowerCase().includes(court.toLowerCase()))

/**
 * The counties with a judgment lien: the court's county when its clerk docketed the judgment at
 * entry, and every transcript county. The record has no docketing dates, so every lien is taken
 * as docketed on the entry date; a transcript docketed later has a later lien, so the renewal
 * dates computed from the entry date err early, never late.
 */
const docketedCounties = (record: EnforcementRecord, rules: EnforcementRules): ReadonlyArray<string> => {
  const court = record.courtCounty !== null && !blank(record.courtCounty) && docketedAtEntry(record, rules)
    ? [normaliseCounty(record.courtCounty)]
    : []
  const transcripts = record.transcriptCounties.filter((county) => !blank(county)).map(normaliseCounty)
  return [...new Set([...court, ...transcripts])].sort()
}

interface MinimumWage {
  readonly region: "nyc_li_westchester" | "rest_of_state"
  readonly hourlyCents: number
  readonly basis: string
}

/**
 * The minimum wage for the exempt floors, from the debtor's county of residence (the record has
 * no employer or bank county). An unknown or non-NY county uses the highest NY wage, as DFS
 * advises for bank accounts; the higher of the federal and the NY wage applies.
 */
const minimumWage = (record: EnforcementRecord, rules: EnforcementRules): MinimumWage => {
  const { federalHourlyCents, hourlyCentsByRegion, nycLiWestchesterCounties } = rules.minimumWage
  const known = isState(record.debtorState, rules.homeState) && record.debtorCounty !== null && !blank(record.debtorCounty)
  const highest = hourlyCentsByRegion.rest_of_state > hourlyCentsByRegion.nyc_li_westchester
    ? "rest_of_state"
    : "nyc_li_westchester"
  const region = known
    ? nycLiWestchesterCounties.includes(normaliseCounty(record.debtorCounty!)) ? "nyc_li_westchester" : "rest_of_state"
    : highest
  return {
    region,
    hourlyCents: Math.max(federalHourlyCents, hourlyCentsByRegion[region]),
    basis: known
      ? `debtor resides in ${countyLabel(normaliseCounty(record.debtorCounty!))}`
      : "debtor's NY county unknown: the highest NY wage"
  }
}

// ---------------------------------------------------------------------------------------------
// Gates (the same tests as the collectability model's, domain.md §3)

const since = (label: string, date: CalendarDate | null) => (date === null ? "" : ` (${label} ${date})`)

const bankruptcyFacts = (record: EnforcementRecord) => {
  if (record.bankruptcyStatus === null) return "bankruptcy never checked"
  const reaffirmation = record.bankruptcyStatus !== "discharged"
    ? ""
    : record.bankruptcyReaffirmed
    ? " with reaffirmation"
    : " without reaffirmation"
  return `bankruptcy status ${record.bankruptcyStatus}${reaffirmation}${since("as of", record.bankruptcyAsOf)}`
}

const evaluateGates = (
  record: EnforcementRecord,
  asOf: CalendarDate,
  rules: EnforcementRules
): ReadonlyArray<GateResult> => {
  const closed = record.status === "satisfied" || record.status === "vacated"
  // Presumed paid only once the as-of date is *after* the anniversary.
  const presumedPaidAfter = addYears(lifeClockStart(record), rules.judgment.lifeYears)
  const expired = asOf > presumedPaidAfter
  const bankrupt = record.bankruptcyStatus === "open" ||
    (record.bankruptcyStatus === "discharged" && !record.bankruptcyReaffirmed)
  return [
    {
      code: "G1",
      passed: !closed,
      reason: closed ? `status ${record.status}: nothing left to enforce` : `status ${record.status}`
    },
    {
      code: "G2",
      passed: !expired,
      reason: `${expired ? "presumed paid" : "not presumed paid"}: ${rules.judgment.lifeYears} years from ` +
        `${lifeClockStart(record)} (${lifeClockFacts(record)}) run until ${presumedPaidAfter}`
    },
    {
      code: "G3",
      passed: !bankrupt,
      reason: bankrupt
        ? `${bankruptcyFacts(record)}: the automatic stay or the discharge bars enforcement`
        : bankruptcyFacts(record)
    },
    {
      code: "G4",
      passed: !record.deceased,
      reason: record.deceased
        ? `debtor recorded deceased${since("as of", record.deceasedAsOf)}: estate route only`
        : "debtor not recorded deceased"
    },
    {
      code: "G5",
      passed: !record.scraActiveDuty,
      reason: record.scraActiveDuty
        ? `active military duty confirmed${since("checked", record.scraCheckedAt)}: a court may stay enforcement`
        : "no active military duty on file"
    }
  ]
}

// ---------------------------------------------------------------------------------------------
// Tasks

interface Plan {
  readonly record: EnforcementRecord
  /** Sorted, so the listings do not depend on the order they were read in. */
  readonly priorTasks: ReadonlyArray<PriorTask>
  readonly asOf: CalendarDate
  readonly rules: EnforcementRules
  readonly interest: InterestResult
  readonly docketedCounties: ReadonlyArray<string>
  /** R8 fired: new levies are created held. */
  readonly holdLevies: boolean
}

/** Executions and restraints: the levies R8 holds, the process R9 withdraws and R11 amends. */
const PROCESS: ReadonlyArray<EnforcementAction> = ["restraining_notice_bank", "income_execution", "property_execution"]
/** An earlier task still in the pipeline: planned, or served and running. */
const OUTSTANDING: ReadonlyArray<PriorTaskStatus> = ["pending", "waiting"]

const DRAFT_KINDS: Partial<Record<EnforcementAction, ReadonlyArray<TaskDraftKind>>> = {
  information_subpoena_debtor: ["information_subpoena", "cover_letter"],
  information_subpoena_bank: ["information_subpoena", "cover_letter"],
  restraining_notice_bank: ["cover_letter"],
  income_execution: ["cover_letter"],
  property_execution: ["cover_letter"],
  docket_transcript: ["cover_letter"],
  installment_plan_proposal: ["cover_letter"],
  withdraw_executions: ["cover_letter"],
  amend_outstanding_process: ["cover_letter"],
  estate_claim: ["cover_letter"],
  proof_of_claim: ["attorney_summary"],
  recompute_interest: ["attorney_summary"],
  renewal_judgment_action: ["attorney_summary"],
  attorney_review_motion_to_compel: ["attorney_summary"],
  attorney_review_execution_sale: ["attorney_summary"]
}

/** Every task the attorney signs also gets a summary for the attorney. */
const draftKindsFor = (action: EnforcementAction, signoff: boolean): ReadonlyArray<TaskDraftKind> => {
  const kinds = DRAFT_KINDS[action] ?? []
  return signoff && !kinds.includes("attorney_summary") ? [...kinds, "attorney_summary"] : kinds
}

interface TaskSpec {
  readonly action: EnforcementAction
  readonly nextStep: string
  readonly garnishee?: string | null
  readonly preconditions?: ReadonlyArray<Precondition>
  readonly timer?: TaskTimer
  /** When the date is fixed by a known event; otherwise the as-of date plus the timer. */
  readonly dueDate?: CalendarDate
  readonly details?: Readonly<Record<string, unknown>>
}

const task = (plan: Plan, ruleId: RuleId, spec: TaskSpec): TaskDraft => {
  const preconditions = spec.preconditions ?? []
  const requiresAttorneySignoff = plan.rules.attorneySignoffActions.includes(spec.action)
  const status: TaskStatus = preconditions.some((precondition) => !precondition.ok)
    ? "blocked"
    : plan.holdLevies && PROCESS.includes(spec.action)
    ? "held"
    : "pending"
  return {
    ruleId,
    action: spec.action,
    preconditions,
    dueDate: spec.dueDate ?? (spec.timer === undefined ? null : addDays(plan.asOf, spec.timer.days)),
    timer: spec.timer ?? null,
    nextStep: spec.nextStep,
    requiresAttorneySignoff,
    status,
    garnishee: spec.garnishee ?? null,
    details: spec.details ?? {},
    draftKinds: draftKindsFor(spec.action, requiresAttorneySignoff)
  }
}

const amountDue = (plan: Plan) => ({
  principalCents: plan.interest.unpaidPrincipalCents,
  interestCents: plan.interest.unpaidInterestCents,
  totalCents: plan.interest.totalDueCents,
  ratePercent: plan.interest.rateNowPercent,
  asOf: plan.asOf
})

const priorTasksOf = (
  plan: Plan,
  actions: ReadonlyArray<EnforcementAction>,
  statuses: ReadonlyArray<PriorTaskStatus>,
  garnishee?: string
) =>
  plan.priorTasks.filter((prior) =>
    actions.includes(prior.action) && statuses.includes(prior.status) &&
    (garnishee === undefined || (prior.garnishee !== null && sameName(prior.garnishee, garnishee)))
  )

const describePrior = (tasks: ReadonlyArray<PriorTask>) =>
  tasks.map((prior) => {
    const to = prior.garnishee === null ? "" : ` to ${prior.garnishee}`
    return `${prior.action}${to} (${prior.status}, created ${prior.createdOn})`
  }).join("; ")

const listPrior = (tasks: ReadonlyArray<PriorTask>) =>
  tasks.map(({ action, createdOn, garnishee, ruleId, status }) => ({ ruleId, action, garnishee, status, createdOn }))

const check = (code: string, ok: boolean, detail: string): Precondition => ({ code, ok, detail })

const notOutstanding = (plan: Plan, action: EnforcementAction, what: string, garnishee?: string): Precondition => {
  const outstanding = priorTasksOf(plan, [action], OUTSTANDING, garnishee)
  return outstanding.length === 0
    ? check(`no_pending_${action}`, true, `no ${what} pending from an earlier plan`)
    : check(`no_pending_${action}`, false, `already pending: ${describePrior(outstanding)}`)
}

// ---------------------------------------------------------------------------------------------
// Rules

interface Evaluation {
  readonly fired: boolean
  readonly reason: string
  readonly tasks: ReadonlyArray<TaskDraft>
}

const notApplicable = (reason: string): Evaluation => ({ fired: false, reason, tasks: [] })
const fired = (reason: string, tasks: ReadonlyArray<TaskDraft>): Evaluation => ({ fired: true, reason, tasks })

const r1NothingKnown = (plan: Plan): Evaluation => {
  const { record, rules } = plan
  const known = [
    blank(record.employerName) ? null : `employer ${record.employerName}`,
    blank(record.bankName) ? null : `bank ${record.bankName}`,
    blank(record.realPropertyCounty) ? null : `real property in ${record.realPropertyCounty}`
  ].filter((fact) => fact !== null)
  if (known.length > 0) return notApplicable(`assets on file: ${known.join(", ")}`)
  const { answerDays, compelReviewDay } = rules.informationSubpoena
  const answers: TaskTimer = { kind: "information_subpoena_answers", days: answerDays, from: "receipt" }
  return fired("no employer, bank or real property on file", [
    task(plan, "R1", {
      action: "information_subpoena_debtor",
      preconditions: [
        record.addressReturnedMail
          ? check("debtor_address_deliverable", false, "mail to the debtor's address was returned: skip trace first")
          : check("debtor_address_deliverable", true, "no returned mail on file")
      ],
      timer: answers,
      nextStep: "Serve by registered or certified mail with the questions and a prepaid return envelope; " +
        `answers under oath are due ${answerDays} days after receipt (CPLR 5224(a)(3))`,
      details: { amountDue: amountDue(plan) }
    }),
    task(plan, "R1", {
      action: "skip_trace",
      nextStep: "Find the debtor's current address, employer, bank accounts and real property; new facts lead to a new plan"
    }),
    task(plan, "R1", {
      action: "information_subpoena_bank",
      preconditions: [
        check(
          "reasonable_belief_certified",
          false,
          "no bank on file: a subpoena to a bank needs a reasonable belief that it has relevant information and a " +
            "signed certification (CPLR 5224(a)(3)(i)); record the bank and the basis first"
        )
      ],
      timer: answers,
      nextStep: "Name the bank and document the basis; once a bank is on file, R3/R4 plan its restraining notice"
    }),
    task(plan, "R1", {
      action: "attorney_review_motion_to_compel",
      timer: { kind: "motion_to_compel_review", days: compelReviewDay, from: "service" },
      nextStep: `If the debtor has not answered by day ${compelReviewDay}, the attorney reviews a motion to compel; ` +
        "cancel if answered"
    })
  ])
}

const r2IncomeExecution = (plan: Plan): Evaluation => {
  const { record, rules } = plan
  const { homeState } = rules
  if (blank(record.employerName)) return notApplicable("no employer on file")
  const employer = record.employerName!.trim()
  if (record.employmentType === "1099" || record.employmentType === "self_employed") {
    return notApplicable(
      `employer ${employer} on file, but employment type ${record.employmentType}: an income execution reaches wages`
    )
  }
  if (!isState(record.debtorState, homeState)) {
    return notApplicable(`the debtor resides in ${record.debtorState ?? "an unknown state"}, not ${homeState}`)
  }
  // No recorded type with a named employer is taken as wages: the sheriff serves the debtor
  // first, so an execution on a non-employer fails harmlessly; the task says so.
  const typeAssumed = record.employmentType === null
  const county = blank(record.debtorCounty) ? null : countyLabel(normaliseCounty(record.debtorCounty!))
  const wage = minimumWage(record, rules)
  const { debtorFirstDays, maxDisposableEarningsPercent, maxWithholdingPercent, wageFloorMultiplier } =
    rules.incomeExecution
  const employerServable = record.employerState === null
    ? check(
      "employer_servable_in_ny",
      true,
      `employer state not parsed from the address: taken as ${homeState}; confirm before delivery`
    )
    : isState(record.employerState, homeState)
    ? check("employer_servable_in_ny", true, `employer in ${homeState}`)
    : check(
      "employer_servable_in_ny",
      false,
      `employer in ${record.employerState.trim().toUpperCase()}: flag for domestication ` +
        `(a ${homeState} execution cannot be served there)`
    )
  const employment = typeAssumed ? "employment type not recorded: treated as wages" : "W-2"
  return fired(
    `employer ${employer} (${employment}) on file and the debtor resides in ${homeState}` +
      (county === null ? "" : ` (${county})`),
    [task(plan, "R2", {
      action: "income_execution",
      garnishee: employer,
      preconditions: [
        employerServable,
        notOutstanding(plan, "income_execution", "income execution"),
        county === null
          ? check("debtor_county_known", false, "the debtor's county is not on file: the execution goes to its sheriff")
          : check("debtor_county_known", true, `the debtor resides in ${county}`)
      ],
      timer: { kind: "debtor_first_service", days: debtorFirstDays, from: "service_on_debtor" },
      nextStep: `Deliver to the sheriff of ${county ?? "the debtor's county"} (in New York City, a city marshal). ` +
        `The debtor is served first; without payment within ${debtorFirstDays} days it is served on ${employer}. ` +
        "Support orders take priority. " +
        (typeAssumed ? "Confirm the debtor is paid wages by the employer. " : "") +
        `Re-check the ${maxWithholdingPercent}% figure and the wage floors each Jan 1.`,
      details: {
        employerName: employer,
        employerAddress: record.employerAddress,
        employmentType: record.employmentType,
        employmentTypeAssumed: typeAssumed,
        sheriffCounty: county,
        maxWithholdingPercent,
        maxDisposableEarningsPercent,
        weeklyWageFloorCents: wageFloorMultiplier * wage.hourlyCents,
        minimumWageRegion: wage.region,
        minimumHourlyWageCents: wage.hourlyCents,
        minimumWageBasis: wage.basis,
        amountDue: amountDue(plan)
      }
    })]
  )
}

const bankRule = (plan: Plan, ruleId: "R3" | "R4"): Evaluation => {
  const { record, rules } = plan
  if (blank(record.bankName)) return notApplicable("no bank on file")
  const business = isBusinessDebtor(record)
  if (ruleId === "R3" && business) return notApplicable(`business debtor ${record.debtorCompanyName}: R4 applies`)
  if (ruleId === "R4" && !business) return notApplicable("the debtor is an individual: R3 applies")
  const bank = record.bankName!.trim()
  const individual = ruleId === "R3"
  const { exemptionClaimForms, exemptionClaimWindowDays, releaseAllExemptDays, releaseOtherwiseDays, validityDays } =
    rules.restraint
  const inState = inHomeState(record.bankState, rules)
    ? check("bank_in_ny", true, `${bank} in ${record.bankState ?? `${rules.homeState} (no state on file)`}`)
    : check("bank_in_ny", false, `${bank} is in ${record.bankState}: domesticate the judgment there first`)
  const notExemptOnly: ReadonlyArray<Precondition> = !individual
    ? []
    : record.bankExemptOnly
    ? [check(
      "funds_not_exempt_only",
      false,
      `the account at ${bank} is recorded as receiving only exempt deposits: no restraint or levy of exempt funds`
    )]
    : [check("funds_not_exempt_only", true, "no record that the account receives only exempt deposits")]
  const served = priorTasksOf(plan, ["restraining_notice_bank"], ["waiting", "done"], bank)
  const planned = priorTasksOf(plan, ["restraining_notice_bank"], ["pending"], bank)
  const wage = minimumWage(record, rules)
  const bankFloorCents = rules.restraint.bankFloorMultiplier * wage.hourlyCents
  const floor = individual
    ? { bankFloorCents, minimumWageRegion: wage.region, minimumWageBasis: wage.basis }
    : {}
  const amount = amountDue(plan)
  return fired(
    individual
      ? `bank ${bank} on file for an individual debtor`
      : `bank ${bank} on file for business debtor ${record.debtorCompanyName}`,
    [
      task(plan, ruleId, {
        action: "restraining_notice_bank",
        garnishee: bank,
        preconditions: [
          inState,
          ...notExemptOnly,
          served.length === 0
            ? check("no_earlier_notice_on_garnishee", true, `no earlier restraining notice to ${bank} for this judgment`)
            : check(
              "no_earlier_notice_on_garnishee",
              false,
              `leave of court required: a restraining notice to ${bank} was already served for this judgment ` +
                `(CPLR 5222(c)): ${describePrior(served)}`
            ),
          planned.length === 0
            ? check("no_pending_notice_on_garnishee", true, `no restraining notice to ${bank} pending from an earlier plan`)
            : check("no_pending_notice_on_garnishee", false, `already pending: ${describePrior(planned)}`)
        ],
        timer: individual
          ? { kind: "exemption_claim_window", days: exemptionClaimWindowDays, from: "bank_postmark" }
          : { kind: "restraint_validity", days: validityDays, from: "service_on_garnishee" },
        nextStep: individual
          ? `Serve on ${bank} personally or by certified mail with the exemption notice and ` +
            `${exemptionClaimForms} exemption claim forms (without them the restraint is void, CPLR 5222-a); ` +
            `${usd(bankFloorCents)} is never restrained (CPLR 5222(i)). The debtor has ${exemptionClaimWindowDays} ` +
            "days from the bank's postmark to claim an exemption; release within " +
            `${releaseAllExemptDays} days if the claim shows all funds exempt, otherwise the bank releases ` +
            `${releaseOtherwiseDays} days after the claim unless we move to object. ` +
            `The restraint lapses after ${validityDays} days.`
          : `Serve on ${bank} personally or by certified mail (the CPLR 5222-a exemption forms apply only to ` +
            `natural persons). The restraint lapses after ${validityDays} days.`,
        details: {
          ...floor,
          ...(individual
            ? { exemptionClaimForms, exemptionClaimWindowDays, releaseAllExemptDays, releaseOtherwiseDays }
            : {}),
          restraintValidityDays: validityDays,
          restraintLapsesOn: addDays(plan.asOf, validityDays),
          amountDue: amount
        }
      }),
      task(plan, ruleId, {
        action: "information_subpoena_bank",
        garnishee: bank,
        preconditions: [
          inState,
          check(
            "reasonable_belief_certified",
            true,
            `${bank} on file${since("identified", record.bankIdentifiedAt)}: ` +
              "the basis for the certification (CPLR 5224(a)(3)(i))"
          ),
          notOutstanding(plan, "information_subpoena_bank", `information subpoena to ${bank}`, bank)
        ],
        timer: { kind: "information_subpoena_answers", days: rules.informationSubpoena.answerDays, from: "receipt" },
        nextStep: "Serve with the restraining notice; answers are due " +
          `${rules.informationSubpoena.answerDays} days after receipt`
      }),
      task(plan, ruleId, {
        action: "property_execution",
        garnishee: bank,
        preconditions: [
          inState,
          ...notExemptOnly,
          notOutstanding(plan, "property_execution", `property execution on ${bank}`, bank)
        ],
        timer: { kind: "execution_return", days: rules.propertyExecution.returnDays, from: "delivery_to_officer" },
        nextStep: "After the restraint, deliver a property execution to a sheriff or city marshal to levy the " +
          `account at ${bank} (the officer does not search for assets). It is returned within ` +
          `${rules.propertyExecution.returnDays} days unless extended.`,
        details: { ...floor, amountDue: amount }
      })
    ]
  )
}

const r5RealProperty = (plan: Plan): Evaluation => {
  const { record, rules } = plan
  if (blank(record.realPropertyCounty)) return notApplicable("no real property on file")
  if (!inHomeState(record.realPropertyState, rules)) {
    return notApplicable(`real property in ${record.realPropertyState}, outside ${rules.homeState}`)
  }
  const county = normaliseCounty(record.realPropertyCounty!)
  const label = countyLabel(county)
  const docketed = plan.docketedCounties.includes(county)
  const docketedIn = plan.docketedCounties.length === 0 ? "none" : plan.docketedCounties.map(countyLabel).join(", ")
  const homesteadCents = homesteadExemptionCents(county, rules)
  const liensCents = record.propertyLiensCents ?? 0
  const equityCents = record.propertyEquityCents
  // Unknown equity cannot be shown to exceed the exemption; unknown liens count as none (as the score model).
  const nonExemptEquityCents = equityCents === null ? null : equityCents - homesteadCents - liensCents
  const aboveHomestead = nonExemptEquityCents !== null && nonExemptEquityCents > 0
  const docketCheck = docketed
    ? check("docketed_in_county", true, `the judgment is docketed in ${label}`)
    : check("docketed_in_county", false, `waits for the transcript to be docketed in ${label}`)
  const propertyFacts = { county, docketedCounties: plan.docketedCounties, equityCents, liensCents, homesteadCents }
  const equityText = equityCents === null
    ? "equity unknown"
    : `equity ${usd(equityCents)} ${aboveHomestead ? ">" : "≤"} homestead ${usd(homesteadCents)} + ` +
      `liens ${usd(liensCents)}`
  return fired(
    `real property in ${label}; the judgment is ${docketed ? "" : "not "}docketed there ` +
      `(docketed in: ${docketedIn}); ${equityText}`,
    [
      ...(docketed ? [] : [task(plan, "R5", {
        action: "docket_transcript",
        nextStep: `Docket a transcript of the judgment with the ${label} clerk (CPLR 5018); ` +
          "the lien on real property there starts on that docketing",
        details: propertyFacts
      })]),
      task(plan, "R5", {
        action: "record_lien",
        preconditions: [docketCheck],
        nextStep: `Record the judgment lien on the debtor's real property in ${label}; ` +
          `it lasts ${rules.lien.years} years from docketing`,
        details: { ...propertyFacts, lienExpiresOn: docketed ? addYears(record.judgmentDate, rules.lien.years) : null }
      }),
      ...(aboveHomestead ? [task(plan, "R5", {
        action: "attorney_review_execution_sale",
        preconditions: [docketCheck],
        nextStep: `The attorney reviews an execution sale of the real property in ${label}: the equity above the ` +
          `${usd(homesteadCents)} homestead exemption (CPLR 5206) and the liens is ${usd(nonExemptEquityCents!)}`,
        details: { ...propertyFacts, nonExemptEquityCents, amountDue: amountDue(plan) }
      })] : [])
    ]
  )
}

const r6LienRenewal = (plan: Plan): Evaluation => {
  const { asOf, record, rules } = plan
  if (blank(record.realPropertyCounty) || !inHomeState(record.realPropertyState, rules)) {
    return notApplicable(`no ${rules.homeState} real property on file: no lien to renew`)
  }
  const county = normaliseCounty(record.realPropertyCounty!)
  const label = countyLabel(county)
  if (!plan.docketedCounties.includes(county)) {
    return notApplicable(`no lien in ${label}: the judgment is not docketed there (R5)`)
  }
  const docketedOn = record.judgmentDate
  const age = wholeYearsBetween(docketedOn, asOf)
  const opensAtYears = rules.lien.years - rules.lien.renewalWindowYears
  const expiresOn = addYears(docketedOn, rules.lien.years)
  const lien = `the lien in ${label} (docketed ${docketedOn}: the entry date, no docketing date on file) ` +
    `is ${age} years old`
  if (age < opensAtYears) {
    return notApplicable(`${lien}; renewal opens at ${opensAtYears} years, on ${addYears(docketedOn, opensAtYears)}`)
  }
  const lapsed = asOf >= expiresOn
  return fired(`${lien} (≥ ${opensAtYears}) and the property is still on file`, [
    task(plan, "R6", {
      action: "renewal_judgment_action",
      dueDate: expiresOn,
      preconditions: [check("new_action", true, "a new action for a renewal judgment, not a motion in the old case")],
      nextStep: lapsed
        ? `The lien lapsed on ${expiresOn}: a renewal judgment (CPLR 5014) now makes a lien only from its own docketing`
        : `Start an action for a renewal judgment (CPLR 5014) before ${expiresOn}, so that its lien takes effect ` +
          "when the first one ends",
      details: { county, docketedOn, lienExpiresOn: expiresOn, lienLapsed: lapsed }
    })
  ])
}

const r7Presumption = (plan: Plan): Evaluation => {
  const { asOf, record, rules } = plan
  const { lifeYears, presumptionAlertYears } = rules.judgment
  const start = lifeClockStart(record)
  const years = wholeYearsBetween(start, asOf)
  const presumedPaidAfter = addYears(start, lifeYears)
  const facts = `${years} years since ${start} (the later of ${lifeClockFacts(record)})`
  if (years < presumptionAlertYears) {
    return notApplicable(`${facts}; the alert starts at ${presumptionAlertYears} years`)
  }
  return fired(`${facts} (≥ ${presumptionAlertYears})`, [
    task(plan, "R7", {
      action: "presumption_alert",
      dueDate: presumedPaidAfter,
      nextStep: `The judgment is presumed paid after ${presumedPaidAfter} (CPLR 211(b)); a payment or a signed ` +
        `written acknowledgment restarts the ${lifeYears} years`,
      details: { clockStart: start, presumedPaidAfter }
    })
  ])
}

const r8RecentPayment = (plan: Plan): Evaluation => {
  const { asOf, record, rules } = plan
  const windowDays = rules.payment.recentWindowDays
  const windowStart = addDays(asOf, -windowDays)
  if (record.lastPaymentDate === null) return notApplicable("no payment on file")
  const amount = record.lastPaymentAmountCents === null ? "" : ` of ${usd(record.lastPaymentAmountCents)}`
  const payment = `payment${amount} on ${record.lastPaymentDate}`
  if (record.lastPaymentDate < windowStart) {
    return notApplicable(`last ${payment}, before the ${windowDays}-day window that starts ${windowStart}`)
  }
  if (record.paymentPlanBroken) {
    return notApplicable(`${payment} is recent, but the payment plan is broken: levies go ahead (R2–R4)`)
  }
  return fired(`${payment}, within ${windowDays} days (since ${windowStart}): new levies are held`, [
    task(plan, "R8", {
      action: "installment_plan_proposal",
      nextStep: "Propose an installment plan; new levies stay held while it performs, and a missed payment sends " +
        "the case back to R2–R4",
      details: {
        lastPaymentDate: record.lastPaymentDate,
        lastPaymentAmountCents: record.lastPaymentAmountCents,
        amountDue: amountDue(plan)
      }
    })
  ])
}

const outstandingProcess = (plan: Plan) => priorTasksOf(plan, PROCESS, OUTSTANDING)

const r9Bankruptcy = (plan: Plan, gate: GateResult): Evaluation => {
  const { asOf, record } = plan
  const outstanding = outstandingProcess(plan)
  const toWithdraw = outstanding.length === 0
    ? "no outstanding execution or restraint"
    : `${outstanding.length} outstanding execution(s) or restraint(s) to withdraw`
  return fired(`${gate.reason}; ${toWithdraw}`, [
    task(plan, "R9", {
      action: "stop_enforcement",
      dueDate: asOf,
      nextStep: "Stop all enforcement and collection now (automatic stay, 11 USC 362); watch the case for " +
        "dismissal or discharge",
      details: {
        bankruptcyStatus: record.bankruptcyStatus,
        bankruptcyAsOf: record.bankruptcyAsOf,
        outstandingProcess: listPrior(outstanding)
      }
    }),
    ...(outstanding.length === 0 ? [] : [task(plan, "R9", {
      action: "withdraw_executions",
      dueDate: asOf,
      nextStep: `Withdraw or release now: ${describePrior(outstanding)}`,
      details: { process: listPrior(outstanding) }
    })]),
    task(plan, "R9", {
      action: "proof_of_claim",
      nextStep: record.bankruptcyStatus === "open"
        ? `File a proof of claim for ${usd(plan.interest.totalDueCents)} in the bankruptcy case before its claims bar date`
        : "Discharged without reaffirmation: the attorney checks whether claims are still taken (an asset case) " +
          "and otherwise closes the file",
      details: { amountDue: amountDue(plan) }
    })
  ])
}

const r10Deceased = (plan: Plan, gate: GateResult): Evaluation => {
  const outstanding = outstandingProcess(plan)
  return fired(gate.reason, [
    task(plan, "R10", {
      action: "stop_enforcement",
      dueDate: plan.asOf,
      nextStep: "Stop enforcement: an execution reaches only property of a living debtor (CPLR 5230(a)); " +
        "contact only the estate's representative" +
        (outstanding.length === 0 ? "" : `; withdraw ${describePrior(outstanding)}`),
      details: { deceasedAsOf: plan.record.deceasedAsOf, outstandingProcess: listPrior(outstanding) }
    }),
    task(plan, "R10", {
      action: "estate_claim",
      nextStep: `Present a claim for ${usd(plan.interest.totalDueCents)} to the estate's representative`,
      details: { amountDue: amountDue(plan) }
    })
  ])
}

const r11ConsumerRate = (plan: Plan): Evaluation => {
  const { asOf, interest, record, rules } = plan
  const { consumerRatePercent, consumerSwitchDate, standardRatePercent } = rules.interest
  const entered = `consumer judgment entered ${record.judgmentDate}`
  if (!record.consumer) {
    return notApplicable(`not a consumer judgment (account type ${record.accountType ?? "none"}): ${standardRatePercent}%`)
  }
  if (record.judgmentDate >= consumerSwitchDate) {
    return notApplicable(`${entered}, on or after ${consumerSwitchDate}: ${consumerRatePercent}% from entry`)
  }
  if (asOf < consumerSwitchDate) return notApplicable(`as of ${asOf}, before the ${consumerSwitchDate} rate change`)
  if (record.balanceCents <= 0) return notApplicable(`${entered}, but no open balance`)
  const rateOnRecord = record.interestRatePercent
  if (rateOnRecord === consumerRatePercent) {
    return notApplicable(`${entered}; the rate on record is already ${consumerRatePercent}%`)
  }
  const outstanding = outstandingProcess(plan)
  return fired(
    `${entered}, before ${consumerSwitchDate}, with ${usd(record.balanceCents)} open and ` +
      (rateOnRecord === null ? "no rate on record" : `${rateOnRecord}% on record`),
    [
      task(plan, "R11", {
        action: "recompute_interest",
        nextStep: `Recompute at ${consumerRatePercent}% from ${consumerSwitchDate} on the principal then unpaid ` +
          "(amounts paid before are not reopened) and correct the balance on record: " +
          `${usd(interest.totalDueCents)} due as of ${asOf}`,
        details: {
          rateOnRecordPercent: rateOnRecord,
          correctRatePercent: consumerRatePercent,
          switchDate: consumerSwitchDate,
          balanceOnRecordCents: record.balanceCents,
          computedTotalDueCents: interest.totalDueCents,
          differenceCents: record.balanceCents - interest.totalDueCents,
          periods: interest.periods
        }
      }),
      ...(outstanding.length === 0 ? [] : [task(plan, "R11", {
        action: "amend_outstanding_process",
        nextStep: `Amend each outstanding restraining notice and execution to state ${consumerRatePercent}% from ` +
          `${consumerSwitchDate} (CPLR 5222(a), 5231(a)): ${describePrior(outstanding)}`,
        details: { process: listPrior(outstanding), correctRatePercent: consumerRatePercent, amountDue: amountDue(plan) }
      })])
    ]
  )
}

const byPriorOrder = (a: PriorTask, b: PriorTask) =>
  a.createdOn.localeCompare(b.createdOn) || a.action.localeCompare(b.action) ||
  (a.garnishee ?? "").localeCompare(b.garnishee ?? "") || a.status.localeCompare(b.status) ||
  a.ruleId.localeCompare(b.ruleId)

/**
 * The plan for one judgment as of `asOf`. A failed gate blocks every action rule; R9 and R10 fire
 * exactly when G3 and G4 fail. Tasks come in rule order, then in the order each rule lists them.
 */
export const planEnforcement = (
  record: EnforcementRecord,
  priorTasks: ReadonlyArray<PriorTask>,
  asOf: CalendarDate,
  rules: EnforcementRules
): PlanDraft => {
  const interest = computeInterest({
    principalCents: record.judgmentAmountCents + (record.costsCents ?? 0),
    entryDate: record.judgmentDate,
    consumer: record.consumer,
    payments: recordedPayments(record),
    asOf,
    rules
  })
  const gates = evaluateGates(record, asOf, rules)
  const failed = gates.filter((gate) => !gate.passed)
  const base: Plan = {
    record,
    priorTasks: [...priorTasks].sort(byPriorOrder),
    asOf,
    rules,
    interest,
    docketedCounties: docketedCounties(record, rules),
    holdLevies: false
  }
  const recentPayment = r8RecentPayment(base)
  const plan: Plan = { ...base, holdLevies: recentPayment.fired }
  const gate = (code: GateId) => gates.find((result) => result.code === code)!

  const evaluate = (ruleId: RuleId): Evaluation => {
    switch (ruleId) {
      case "R1":
        return r1NothingKnown(plan)
      case "R2":
        return r2IncomeExecution(plan)
      case "R3":
      case "R4":
        return bankRule(plan, ruleId)
      case "R5":
        return r5RealProperty(plan)
      case "R6":
        return r6LienRenewal(plan)
      case "R7":
        return r7Presumption(plan)
      case "R8":
        return recentPayment
      case "R9":
        return gate("G3").passed ? notApplicable(`G3 passed (${gate("G3").reason})`) : r9Bankruptcy(plan, gate("G3"))
      case "R10":
        return gate("G4").passed ? notApplicable(`G4 passed (${gate("G4").reason})`) : r10Deceased(plan, gate("G4"))
      case "R11":
        return r11ConsumerRate(plan)
    }
  }
  const blocked = `blocked by ${failed.map((gate) => gate.code).join(", ")}: ` +
    failed.map((gate) => gate.reason).join("; ")
  const evaluations = RuleIds.map((ruleId) => {
    if (ruleId !== "R9" && ruleId !== "R10" && failed.length > 0) {
      return { ruleId, outcome: "blocked" as const, reason: blocked, tasks: [] }
    }
    const evaluation = evaluate(ruleId)
    const outcome = evaluation.fired ? "fired" as const : "not_applicable" as const
    return { ruleId, outcome, reason: evaluation.reason, tasks: evaluation.tasks }
  })
  return {
    plannerVersion: PLANNER_VERSION,
    gates,
    rules: evaluations.map(({ outcome, reason, ruleId }) => ({ ruleId, outcome, reason })),
    tasks: evaluations.flatMap((evaluation) => evaluation.tasks),
    interest,
    ratePercent: interest.rateNowPercent
  }
}
