/** The judgment records every service shares (`dragonfly.judgments`, `dragonfly.judgment_facts`). */
import type { CalendarDate } from "../calendar.js"

export const JudgmentStatuses = ["open", "partially_satisfied", "satisfied", "vacated"] as const
export type JudgmentStatus = (typeof JudgmentStatuses)[number]

export const EmploymentTypes = ["w2", "1099", "self_employed"] as const
export type EmploymentType = (typeof EmploymentTypes)[number]

export const BusinessStatuses = ["active", "inactive", "dissolved"] as const
export type BusinessStatus = (typeof BusinessStatuses)[number]

export const BankruptcyStatuses = ["none", "open", "discharged", "dismissed"] as const
export type BankruptcyStatus = (typeof BankruptcyStatuses)[number]

/** A judgment with the debtor facts the models read (`dragonfly.judgments` + `dragonfly.judgment_facts`). */
export interface JudgmentFacts {
  readonly orgId: string
  readonly judgmentId: string
  readonly plaintiffId: string
  readonly status: JudgmentStatus
  /** Entry date. */
  readonly judgmentDate: CalendarDate
  readonly lastPaymentDate: CalendarDate | null
  readonly lastAcknowledgmentDate: CalendarDate | null
  readonly balanceCents: number
  readonly debtorFirstName: string | null
  readonly debtorLastName: string | null
  readonly debtorCompanyName: string | null
  readonly debtorDob: CalendarDate | null
  readonly employerName: string | null
  readonly employmentType: EmploymentType | null
  readonly employmentVerifiedAt: CalendarDate | null
  readonly bankName: string | null
  readonly bankState: string | null
  readonly bankIdentifiedAt: CalendarDate | null
  readonly bankExemptOnly: boolean
  readonly realPropertyCounty: string | null
  readonly realPropertyState: string | null
  readonly propertyEquityCents: number | null
  readonly propertyLiensCents: number | null
  readonly propertyAsOf: CalendarDate | null
  readonly businessStatus: BusinessStatus | null
  readonly businessStatusAsOf: CalendarDate | null
  /** Income only from Social Security / pension. */
  readonly incomeOnlyExempt: boolean
  readonly incomeAsOf: CalendarDate | null
  readonly addressVerifiedAt: CalendarDate | null
  readonly addressReturnedMail: boolean
  readonly addressReturnedMailAt: CalendarDate | null
  readonly phoneWorking: boolean
  readonly phoneVerifiedAt: CalendarDate | null
  readonly emailConsented: boolean
  readonly emailConsentAt: CalendarDate | null
  /** NULL: never checked. */
  readonly bankruptcyStatus: BankruptcyStatus | null
  readonly bankruptcyReaffirmed: boolean
  readonly bankruptcyAsOf: CalendarDate | null
  readonly deceased: boolean
  readonly deceasedAsOf: CalendarDate | null
  readonly scraActiveDuty: boolean
  readonly scraCheckedAt: CalendarDate | null
  /** Other judgments or liens against the debtor; NULL: unknown. */
  readonly otherJudgmentsCount: number | null
  readonly otherJudgmentsAsOf: CalendarDate | null
  readonly paymentPlanBroken: boolean
  readonly paymentPlanAsOf: CalendarDate | null
}

/** No text, or only white space. */
export const blank = (text: string | null) => text === null || text.trim() === ""

/**
 * A business debtor has a company name and not both personal names (a COMM account with a named
 * individual is enforced against that individual).
 */
export const isBusinessDebtor = (facts: Pick<JudgmentFacts, "debtorCompanyName" | "debtorFirstName" | "debtorLastName">) =>
  !blank(facts.debtorCompanyName) && (blank(facts.debtorFirstName) || blank(facts.debtorLastName))

const COUNTY_ALIASES: Readonly<Record<string, string>> = {
  manhattan: "new york",
  brooklyn: "kings",
  "staten island": "richmond",
  "the bronx": "bronx"
}

/** "Kings County", " KINGS ", "Brooklyn" → "kings". */
export const normaliseCounty = (county: string) => {
  const name = county.trim().toLowerCase().replace(/\s+/g, " ").replace(/ county$/, "")
  return COUNTY_ALIASES[name] ?? name
}
