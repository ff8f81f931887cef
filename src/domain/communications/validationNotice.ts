/**
 * The validation notice of 12 CFR 1006.34: its validation-period end date and the content items
 * of 1006.34(c) that every notice must carry. Receipt is assumed a number of business days after
 * sending (1006.34(b)(5): excluding legal public holidays, Saturdays and Sundays) and the period
 * ends a number of calendar days after that; both numbers come from the rules.
 */
import { addDays, type CalendarDate, calendarDate } from "../calendar.js"
import { addBusinessDays } from "./holidays.js"
import type { CommsRules } from "./rules.js"

export const ValidationNoticeItems = [
  "debt_collector_statement",
  "debt_collector_name_and_address",
  "consumer_name_and_address",
  "creditor_on_itemization_date",
  "account_number",
  "current_creditor",
  "itemization_date",
  "amount_on_itemization_date",
  "itemization",
  "current_amount",
  "validation_period_end_date",
  "dispute_rights",
  "original_creditor_rights",
  "cfpb_reference",
  "electronic_dispute_instructions",
  "consumer_response_tear_off"
] as const
export type ValidationNoticeItem = (typeof ValidationNoticeItems)[number]

export interface ValidationNoticeContentItem {
  readonly id: ValidationNoticeItem
  readonly citation: string
  readonly description: string
}

export const validationNoticeContent: ReadonlyArray<ValidationNoticeContentItem> = [
  { id: "debt_collector_statement", citation: "1006.34(c)(1)", description: "the communication is from a debt collector (1006.18(e))" },
  { id: "debt_collector_name_and_address", citation: "1006.34(c)(2)(i)", description: "the debt collector's name and mailing address" },
  { id: "consumer_name_and_address", citation: "1006.34(c)(2)(ii)", description: "the consumer's name and mailing address" },
  { id: "creditor_on_itemization_date", citation: "1006.34(c)(2)(iii)", description: "the creditor on the itemization date" },
  { id: "account_number", citation: "1006.34(c)(2)(iv)", description: "the account number" },
  { id: "current_creditor", citation: "1006.34(c)(2)(v)", description: "the creditor to whom the debt is currently owed" },
  { id: "itemization_date", citation: "1006.34(c)(2)(vi)", description: "the itemization date (here the judgment date)" },
  { id: "amount_on_itemization_date", citation: "1006.34(c)(2)(vii)", description: "the amount owed on the itemization date" },
  { id: "itemization", citation: "1006.34(c)(2)(viii)", description: "interest, fees, payments and credits since the itemization date" },
  { id: "current_amount", citation: "1006.34(c)(2)(ix)", description: "the current amount of the debt" },
  { id: "validation_period_end_date", citation: "1006.34(c)(3)(i)-(iii)", description: "the end date of the validation period" },
  { id: "dispute_rights", citation: "1006.34(c)(3)(i),(iii)", description: "the right to dispute, and that collection stops on a dispute" },
  { id: "original_creditor_rights", citation: "1006.34(c)(3)(ii)", description: "the right to ask for the original creditor's name and address" },
  { id: "cfpb_reference", citation: "1006.34(c)(3)(iv)", description: "the CFPB website reference" },
  { id: "electronic_dispute_instructions", citation: "1006.34(c)(3)(v)", description: "how to dispute electronically (notice sent electronically)" },
  { id: "consumer_response_tear_off", citation: "1006.34(c)(4)", description: "the consumer-response (tear-off) section" }
]

export const assumedReceiptDate = (sentOn: CalendarDate, rules: CommsRules): CalendarDate =>
  addBusinessDays(sentOn, rules.validationNotice.assumedReceiptBusinessDays)

export const validationPeriodEnd = (sentOn: CalendarDate, rules: CommsRules): CalendarDate =>
  addDays(assumedReceiptDate(sentOn, rules), rules.validationNotice.periodDays)

/** The end date for a notice sent at `sentAt`, the sending day read in the collector's calendar. */
export const validationPeriodEndForInstant = (sentAt: Date, rules: CommsRules): CalendarDate =>
  validationPeriodEnd(calendarDate(sentAt, rules.businessTimeZone), rules)
