/**
 * Deterministic rendering of outbound messages. Every fixed text the guard looks for is defined
 * here (`MINI_MIRANDA`, `OPT_OUT_INSTRUCTION`, the NY exempt-income categories …), so that the
 * renderer and the guard cannot drift apart. Money is integer cents.
 */
import type { CalendarDate } from "../calendar.js"
import { type CommsRules, defaultCommsRules } from "./rules.js"
import { normalizeState } from "./timeZones.js"
import { validationPeriodEnd, ValidationNoticeItems } from "./validationNotice.js"

export const DisclosureIds = ["mini_miranda", "opt_out_instruction", "ny_exempt_income_notice", ...ValidationNoticeItems] as const
export type DisclosureId = (typeof DisclosureIds)[number]

/** FDCPA 1692e(11), for the initial communication. */
export const MINI_MIRANDA =
  "This communication is from a debt collector. This is an attempt to collect a debt and any information obtained will be used for that purpose."
/** FDCPA 1692e(11), for every later communication. */
export const DEBT_COLLECTOR_STATEMENT = "This communication is from a debt collector."

/** Phrases the guard finds in a body to accept a declared disclosure (case-insensitive). */
export const DISCLOSURE_EVIDENCE = {
  mini_miranda: "any information obtained will be used for that purpose",
  debt_collector_statement: "from a debt collector",
  cfpb_reference: "www.cfpb.gov/debt-collection"
} as const

/** 1006.6(e): clear, free and simple, per medium. */
export const OPT_OUT_INSTRUCTION = {
  sms: "Reply STOP to opt out.",
  email: "To unsubscribe from these emails, reply with the word UNSUBSCRIBE"
} as const

/** 23 NYCRR 1.2(b)(2) (VERIFY wording with counsel). Amounts in words: the guard reads digits-% as a rate. */
export const NY_EXEMPT_INCOME_CATEGORIES: ReadonlyArray<string> = [
  "Supplemental security income, (SSI)",
  "Social security",
  "Public assistance (welfare)",
  "Spousal support, maintenance (alimony) or child support",
  "Unemployment benefits",
  "Disability benefits",
  "Workers' compensation benefits",
  "Public or private pensions",
  "Veterans' benefits",
  "Federal student loans, federal student grants, and federal work study funds",
  "Ninety percent of your wages or salary earned in the last sixty days"
]

const NY_NOTICE = [
  "NOTICE FOR NEW YORK RESIDENTS",
  "Debt collectors, in accordance with the Fair Debt Collection Practices Act, 15 U.S.C. § 1692 et seq., are prohibited from engaging in abusive, deceptive, and unfair debt collection efforts, including but not limited to: (i) the use or threat of violence; (ii) the use of obscene or profane language; and (iii) repeated phone calls made with the intent to annoy, abuse, or harass.",
  "If a creditor or debt collector receives a money judgment against you in court, state and federal laws may prevent the following types of income from being taken to pay the debt:",
  ...NY_EXEMPT_INCOME_CATEGORIES.map((category, i) =>
    `${i + 1}. ${category}${i === NY_EXEMPT_INCOME_CATEGORIES.length - 1 ? "." : i === NY_EXEMPT_INCOME_CATEGORIES.length - 2 ? "; and" : ";"}`)
].join("\n")

/** `$1,234.56`; negative amounts `-$1.00`. */
export const formatCents = (cents: number): string => {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`not a whole number of cents: ${cents}`)
  const abs = Math.abs(cents)
  const dollars = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",")
  return `${cents < 0 ? "-" : ""}$${dollars}.${String(abs % 100).padStart(2, "0")}`
}

const MONTHS = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December"
]

/** `October 8, 2025`, without the locale data of the runtime. */
export const formatLongDate = (date: CalendarDate): string => {
  const [y, m, d] = date.split("-").map(Number)
  return `${MONTHS[m! - 1]} ${d}, ${y}`
}

const parseLongDate = (text: string): CalendarDate | null => {
  const match = text.match(/^([A-Z][a-z]+) (\d{1,2}), (\d{4})$/)
  const month = match ? MONTHS.indexOf(match[1]!) + 1 : 0
  if (match === null || month === 0) return null
  return `${match[3]}-${String(month).padStart(2, "0")}-${match[2]!.padStart(2, "0")}`
}

const VALIDATION_END_PATTERN = /Call or write to us by ([A-Z][a-z]+ \d{1,2}, \d{4}), to dispute all or part of the debt/

/** The validation-period end date a rendered notice states, or null. */
export const statedValidationPeriodEnd = (body: string): CalendarDate | null => {
  const match = body.match(VALIDATION_END_PATTERN)
  return match ? parseLongDate(match[1]!) : null
}

export interface CollectorDetails {
  readonly name: string
  /** One line, e.g. "PO Box 1, Albany, NY 12201". */
  readonly mailingAddress: string
  readonly phone: string
  readonly email: string
}

export interface ConsumerDetails {
  readonly name: string
  readonly mailingAddress: string
  /** Selects state notices (NY exempt income). */
  readonly state: string | null
}

export interface Itemization {
  readonly interestCents: number
  readonly feesCents: number
  readonly paymentsCents: number
  readonly creditsCents: number
}

export interface ValidationNoticeData {
  readonly collector: CollectorDetails
  readonly consumer: ConsumerDetails
  readonly accountNumber: string
  /** The judgment creditor. */
  readonly creditorOnItemizationDate: string
  readonly currentCreditor: string
  /** The judgment date, an allowed itemization date (1006.34(b)(3)). */
  readonly itemizationDate: CalendarDate
  readonly amountOnItemizationDateCents: number
  /** Since the itemization date; all amounts positive. */
  readonly itemization: Itemization
  /** The day the notice is sent: the validation period is computed from it. */
  readonly sentOn: CalendarDate
  /** Stated beside the interest line when given. */
  readonly interestRatePercent?: number
}

export interface AccountMessageData {
  readonly channel: "email" | "sms"
  readonly collector: CollectorDetails
  readonly consumerName: string
  readonly accountNumber: string
  readonly currentCreditor: string
  readonly currentAmountCents: number
}

export interface CollectionStoppedData {
  readonly channel: "email" | "sms"
  readonly collector: CollectorDetails
  readonly consumerName: string
  readonly accountNumber: string
}

export interface OptOutConfirmationData {
  readonly collector: CollectorDetails
}

export interface MessageData {
  readonly validation_notice: ValidationNoticeData
  readonly initial: AccountMessageData
  readonly follow_up: AccountMessageData
  readonly opt_out_confirmation: OptOutConfirmationData
  readonly collection_stopped: CollectionStoppedData
}
export type RenderableKind = keyof MessageData

export interface RenderedMessage {
  readonly subject: string | null
  readonly body: string
  readonly disclosures: ReadonlyArray<DisclosureId>
}

export const currentAmountCents = (data: ValidationNoticeData): number =>
  data.amountOnItemizationDateCents + data.itemization.interestCents + data.itemization.feesCents -
  data.itemization.paymentsCents - data.itemization.creditsCents

/** Texts and emails other than the validation notice name only the last four digits. */
const accountEnding = (accountNumber: string) => `ending in ${accountNumber.slice(-4)}`

const emailOptOut = (collector: CollectorDetails) =>
  `${OPT_OUT_INSTRUCTION.email} or write to ${collector.email}. Unsubscribing is free.`

const line = (label: string, amount: string) => `${label.padEnd(58, " ")} ${amount}`

const renderValidationNotice = (data: ValidationNoticeData, rules: CommsRules): RenderedMessage => {
  const { collector, consumer, itemization } = data
  const asOf = formatLongDate(data.itemizationDate)
  const endsOn = formatLongDate(validationPeriodEnd(data.sentOn, rules))
  const rate = data.interestRatePercent === undefined ? "" : ` (at ${data.interestRatePercent}% per year)`
  const newYork = normalizeState(consumer.state) === "NY"
  const body = [
    `${collector.name}\n${collector.mailingAddress}\n${collector.phone} | ${collector.email}`,
    `To: ${consumer.name}\n${consumer.mailingAddress}`,
    `Reference: account number ${data.accountNumber}`,
    MINI_MIRANDA,
    `${collector.name} is a debt collector. We are trying to collect a debt that you owe to ${data.currentCreditor}. We will use any information you give us to help collect the debt.`,
    [
      "Our information shows:",
      `A judgment was entered against you in favor of ${data.creditorOnItemizationDate} on ${asOf}, account number ${data.accountNumber}.`,
      line(`As of ${asOf}, you owed:`, formatCents(data.amountOnItemizationDateCents)),
      `Between ${asOf} and today:`,
      line(`  You were charged this amount in interest${rate}:`, `+ ${formatCents(itemization.interestCents)}`),
      line("  You were charged this amount in fees:", `+ ${formatCents(itemization.feesCents)}`),
      line("  You paid this amount toward the debt:", `- ${formatCents(itemization.paymentsCents)}`),
      line("  You were credited this amount toward the debt:", `- ${formatCents(itemization.creditsCents)}`),
      line("Total amount of the debt now:", formatCents(currentAmountCents(data)))
    ].join("\n"),
    [
      "How can you dispute the debt?",
      `- Call or write to us by ${endsOn}, to dispute all or part of the debt. If you do not, we will assume that our information is correct.`,
      `- If you write to us by ${endsOn}, we must stop collection on any amount you dispute until we send you information that shows you owe the debt, such as a copy of the judgment. You may use the form below or write to us without the form. You may also include supporting documents.`,
      `- You may dispute electronically: reply to this email or write to ${collector.email}.`
    ].join("\n"),
    [
      "What else can you do?",
      `- Write to ask for the name and address of the original creditor, if different from the current creditor. If you write by ${endsOn}, we must stop collection until we send you that information. You may use the form below or write to us without the form.`,
      `- Go to ${DISCLOSURE_EVIDENCE.cfpb_reference} to learn more about your rights under federal law.`,
      `- Contact us about your payment options: ${collector.phone}.`
    ].join("\n"),
    ...(newYork ? [NY_NOTICE] : []),
    emailOptOut(collector),
    [
      "------------------------- Detach and mail this part -------------------------",
      "How do you want to respond?",
      `Mail this form to: ${collector.name}, ${collector.mailingAddress}`,
      `${consumer.name}\n${consumer.mailingAddress}`,
      `Reference: account number ${data.accountNumber}`,
      "Check all that apply:",
      "I want to dispute the debt because I think:",
      "[ ] This is not my debt.",
      "[ ] The amount is wrong.",
      "[ ] Other (please describe on reverse or attach additional information).",
      "[ ] I want you to send me the name and address of the original creditor.",
      "[ ] I enclosed this amount: $__________",
      `Make your check payable to ${collector.name}. Include the reference number ${data.accountNumber}.`
    ].join("\n")
  ].join("\n\n")
  return {
    subject: `${collector.name}: notice about your account`,
    body,
    disclosures: ["mini_miranda", ...ValidationNoticeItems, ...(newYork ? ["ny_exempt_income_notice" as const] : []), "opt_out_instruction"]
  }
}

const renderAccountMessage = (initial: boolean) => (data: AccountMessageData): RenderedMessage => {
  const { collector } = data
  const statement = initial ? MINI_MIRANDA : DEBT_COLLECTOR_STATEMENT
  const about = `your account ${accountEnding(data.accountNumber)} with ${data.currentCreditor}: the balance is ${formatCents(data.currentAmountCents)}`
  const disclosures: ReadonlyArray<DisclosureId> = initial
    ? ["mini_miranda", "debt_collector_statement", "opt_out_instruction"]
    : ["debt_collector_statement", "opt_out_instruction"]
  if (data.channel === "sms") {
    return {
      subject: null,
      body: `${collector.name}: ${statement} About ${about}. Call us at ${collector.phone}. ${OPT_OUT_INSTRUCTION.sms}`,
      disclosures
    }
  }
  return {
    subject: `A message from ${collector.name}`,
    body: [
      `Dear ${data.consumerName},`,
      statement,
      `We are writing about ${about}.`,
      `Please call us at ${collector.phone} or write to ${collector.email} to discuss your payment options.`,
      `${collector.name}\n${collector.mailingAddress}`,
      emailOptOut(collector)
    ].join("\n\n"),
    disclosures
  }
}

const renderCollectionStopped = (data: CollectionStoppedData): RenderedMessage => {
  const { collector } = data
  const stopped = `We have stopped collection of your account ${accountEnding(data.accountNumber)}. We will not contact you again about it except as the law allows.`
  const disclosures: ReadonlyArray<DisclosureId> = ["debt_collector_statement", "opt_out_instruction"]
  if (data.channel === "sms") {
    return { subject: null, body: `${collector.name}: ${DEBT_COLLECTOR_STATEMENT} ${stopped} ${OPT_OUT_INSTRUCTION.sms}`, disclosures }
  }
  return {
    subject: `${collector.name}: update about your account`,
    body: [`Dear ${data.consumerName},`, DEBT_COLLECTOR_STATEMENT, stopped, `${collector.name}\n${collector.mailingAddress}`, emailOptOut(collector)]
      .join("\n\n"),
    disclosures
  }
}

const renderOptOutConfirmation = (data: OptOutConfirmationData): RenderedMessage => ({
  subject: null,
  body: `${data.collector.name}: You have opted out and will receive no more text messages from us. ${DEBT_COLLECTOR_STATEMENT}`,
  disclosures: ["debt_collector_statement"]
})

const renderers: { readonly [K in RenderableKind]: (data: MessageData[K], rules: CommsRules) => RenderedMessage } = {
  validation_notice: renderValidationNotice,
  initial: renderAccountMessage(true),
  follow_up: renderAccountMessage(false),
  opt_out_confirmation: renderOptOutConfirmation,
  collection_stopped: renderCollectionStopped
}

/**
 * The subject (null for texts), body and declared disclosures of a message. The validation
 * notice is an email, the opt-out confirmation a text; the others go by `data.channel`.
 */
export const renderMessage = <K extends RenderableKind>(
  kind: K,
  data: MessageData[K],
  rules: CommsRules = defaultCommsRules
): RenderedMessage => renderers[kind](data, rules)
