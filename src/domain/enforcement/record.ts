/** What the enforcement planner reads: a judgment with its facts, and the tasks of earlier plans. */
import type { CalendarDate } from "../calendar.js"
import { blank, isBusinessDebtor, type JudgmentFacts } from "../judgments/index.js"

export const RuleIds = ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11"] as const
export type RuleId = (typeof RuleIds)[number]

export const EnforcementActions = [
  "information_subpoena_debtor",
  "skip_trace",
  "information_subpoena_bank",
  "restraining_notice_bank",
  "income_execution",
  "property_execution",
  "docket_transcript",
  "record_lien",
  "renewal_judgment_action",
  "presumption_alert",
  "installment_plan_proposal",
  "stop_enforcement",
  "withdraw_executions",
  "proof_of_claim",
  "estate_claim",
  "recompute_interest",
  "amend_outstanding_process",
  "attorney_review_motion_to_compel",
  "attorney_review_execution_sale"
] as const
export type EnforcementAction = (typeof EnforcementActions)[number]

/** Simplicity account type: C = COMM (commercial), N = NONCOMM (consumer). */
export const AccountTypes = ["C", "N"] as const
export type AccountType = (typeof AccountTypes)[number]

/**
 * A judgment as the planner sees it. Dates are calendar dates; money is integer cents.
 * Text fields that the Simplicity layout does not require are nullable (null: not on file).
 */
export interface EnforcementRecord extends JudgmentFacts {
  readonly accountType: AccountType | null
  /** Natural-person defendant and consumer debt (CPLR 5004's 2% rate); see `isConsumerJudgment`. */
  readonly consumer: boolean
  /** The sum awarded, without `costsCents`: interest runs on the two together. */
  readonly judgmentAmountCents: number
  /** Costs and disbursements taxed in the judgment. */
  readonly costsCents: number | null
  /** The post-judgment rate on record (what outstanding process states); null: none on file. */
  readonly interestRatePercent: number | null
  readonly paymentsToDateCents: number | null
  readonly lastPaymentAmountCents: number | null
  readonly courtName: string | null
  readonly courtCounty: string | null
  readonly indexNumber: string | null
  /** Counties whose clerk has docketed a transcript of the judgment (CPLR 5018). */
  readonly transcriptCounties: ReadonlyArray<string>
  /** Two-letter state of the debtor's residence. */
  readonly debtorState: string | null
  readonly debtorCounty: string | null
  readonly employerAddress: string | null
  /** Two-letter state parsed from `employerAddress`; null when it could not be parsed. */
  readonly employerState: string | null
}

/**
 * Whether the 2% consumer rate applies: the defendant is a natural person (not a business
 * debtor) and the debt is a consumer debt, read from the account type (N) or, when there is no
 * account type, from the absence of a company name. A COMM account is never a consumer debt,
 * even against a named individual.
 */
export const isConsumerJudgment = (facts: JudgmentFacts, accountType: AccountType | null) => {
  if (isBusinessDebtor(facts)) return false
  switch (accountType) {
    case "N":
      return true
    case "C":
      return false
    case null:
      return blank(facts.debtorCompanyName)
  }
}

/** `blocked` is what the planner writes for a task with a failed precondition (`enforcement_tasks.status`). */
export const PriorTaskStatuses = ["pending", "waiting", "held", "blocked", "done", "cancelled", "superseded"] as const
export type PriorTaskStatus = (typeof PriorTaskStatuses)[number]

/** A task of an earlier plan for the same judgment. */
export interface PriorTask {
  readonly ruleId: RuleId
  readonly action: EnforcementAction
  readonly status: PriorTaskStatus
  readonly garnishee: string | null
  readonly createdOn: CalendarDate
}
