/**
 * The comms guard (domain.md §5, rules C1–C14): called at send time with the message, what is
 * known about the debtor and the debt (including the append-only contact ledger), the instant
 * and the rule numbers, it answers Allow, Defer(until) or Block(rule). Every rule reports an
 * outcome with the values it used, so each decision can be logged and explained.
 *
 * Business (non-consumer) debts: the FDCPA / Reg F / NYC rules are reported not_applicable, but
 * C4 (cease, attorney, do-not-use and opt-out suppressions — there without the one-confirmation
 * allowance), C12 (bankruptcy, deceased) and C14 (records) still apply.
 *
 * Windows are rolling, in UTC milliseconds: an event at t is inside an n-day window at `now` while
 * now - t < n days, so one exactly n days old has left it. A rolling 7 × 24 h window always holds
 * the "seven consecutive days" of calendar counting, so it is never the laxer reading.
 */
import { addDays, type CalendarDate, calendarDate } from "../calendar.js"
import { calendarDaysBetween } from "./holidays.js"
import {
  DISCLOSURE_EVIDENCE,
  type DisclosureId,
  NY_EXEMPT_INCOME_CATEGORIES,
  OPT_OUT_INSTRUCTION,
  statedValidationPeriodEnd
} from "./messages.js"
import { clockMinutes, type CommsRules } from "./rules.js"
import { consumerTimeZones, localDateTime, normalizeState, stateOfZip, zonedInstant } from "./timeZones.js"
import { validationNoticeContent, validationPeriodEndForInstant } from "./validationNotice.js"

export type Channel = "email" | "sms" | "call"

export const MessageKinds = [
  "initial",
  "validation_notice",
  "follow_up",
  "opt_out_confirmation",
  "collection_stopped",
  "remedy_notice"
] as const
export type MessageKind = (typeof MessageKinds)[number]

export interface OutboundMessage {
  readonly channel: Channel
  readonly kind: MessageKind
  readonly body: string
  readonly subject: string | null
  /** An email address, or an E.164 phone number. */
  readonly recipient: string
  /** What `renderMessage` declared. */
  readonly disclosures: ReadonlyArray<DisclosureId>
}

export interface Suppression {
  readonly channel: Channel | "all"
  /** Null: every address of the channel. */
  readonly address: string | null
  readonly reason: "opt_out" | "cease" | "attorney" | "do_not_use"
  readonly at: Date
}

export interface Consent {
  readonly channel: Channel
  readonly kind: "written" | "prior_express"
  readonly givenAt: Date
  readonly revokedAt: Date | null
}

export interface ContactAttempt {
  readonly medium: "call" | "sms" | "email" | "letter"
  readonly direction: "outbound" | "inbound"
  readonly kind: "attempt" | "conversation" | "opt_out_confirmation"
  /** The call reached the dialled number (rang, voicemail or answered); false: busy, failed, not in service. */
  readonly connected: boolean
  /** Made with the consumer's direct prior consent (excluded from C2). */
  readonly consentedCall: boolean
  readonly at: Date
}

export interface GuardContext {
  /** A consumer debt owed by a natural person: the consumer rules apply. */
  readonly consumer: boolean
  readonly debtor: {
    readonly state: string | null
    readonly zip: string | null
    readonly county: string | null
    readonly city: string | null
    readonly phone: string | null
    readonly email: string | null
  }
  readonly nyc: boolean
  readonly bankruptcy: "none" | "open" | "discharged" | "dismissed" | null
  readonly bankruptcyReaffirmed: boolean
  readonly deceased: boolean
  readonly account: {
    readonly initialCommunicationAt: Date | null
    readonly validationNoticeSentAt: Date | null
    readonly disputeReceivedAt: Date | null
    readonly verificationMailedAt: Date | null
    readonly ceaseRequestedAt: Date | null
    readonly attorneyRepresentedAt: Date | null
  }
  readonly suppressions: ReadonlyArray<Suppression>
  readonly consents: ReadonlyArray<Consent>
  /** The append-only ledger for this person and debt. */
  readonly attempts: ReadonlyArray<ContactAttempt>
  readonly emailIsWorkAddress: boolean
  /** C13: the rate a message may state; null or absent when not known. */
  readonly correctInterestRatePercent?: number | null
}

export const RuleIds = ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10", "C11", "C12", "C13", "C14"] as const
export type RuleId = (typeof RuleIds)[number]

export type RuleOutcome = "pass" | "defer" | "block" | "not_applicable"

export interface RuleEvaluation {
  readonly ruleId: RuleId
  readonly outcome: RuleOutcome
  readonly detail: string
  /** The rule values used. */
  readonly config: Record<string, unknown>
}

export type GuardDecision =
  | { readonly _tag: "Allow"; readonly evaluated: ReadonlyArray<RuleEvaluation> }
  | {
    readonly _tag: "Defer"
    readonly until: Date
    readonly ruleIds: ReadonlyArray<RuleId>
    readonly reason: string
    readonly evaluated: ReadonlyArray<RuleEvaluation>
  }
  | { readonly _tag: "Block"; readonly ruleId: RuleId; readonly reason: string; readonly evaluated: ReadonlyArray<RuleEvaluation> }

const NYC_COUNTIES = new Set(["new york", "kings", "queens", "bronx", "richmond"])
const NYC_PLACE_NAMES = new Set([
  "new york", "new york city", "nyc", "manhattan", "brooklyn", "bronx", "the bronx", "queens", "staten island"
])
/** Manhattan 100–102, Staten Island 103, the Bronx 104, Queens 111, 113, 114, 116, Brooklyn 112. */
const NYC_ZIP3 = new Set(["100", "101", "102", "103", "104", "111", "112", "113", "114", "116"])
/** Queens ZIPs inside the mostly-Nassau 110 prefix (some straddle the line: the stricter rules win). */
const NYC_ZIPS_IN_110 = new Set(["11001", "11004", "11005", "11040"])

const placeKey = (name: string) => name.trim().toLowerCase().replace(/\s+county$/, "").replace(/\s+/g, " ")

/**
 * Whether an address is in New York City. Any one sign suffices (county, borough name, ZIP):
 * when the data disagree, the stricter NYC rules apply.
 */
export const isNewYorkCity = (county: string | null, city: string | null, zip: string | null): boolean => {
  if (county !== null && NYC_COUNTIES.has(placeKey(county))) return true
  if (city !== null && NYC_PLACE_NAMES.has(placeKey(city))) return true
  const five = zip?.trim().match(/^(\d{5})(?:-?\d{4})?$/)?.[1]
  return five !== undefined && (NYC_ZIP3.has(five.slice(0, 3)) || NYC_ZIPS_IN_110.has(five))
}

/** The NYC rules start on a New York date. */
const NYC_TIME_ZONE = "America/New_York"
const DAY_MS = 86_400_000
const CEASE_EXCEPTIONS: ReadonlyArray<MessageKind> = ["collection_stopped", "remedy_notice"]
const COLLECTION_KINDS: ReadonlyArray<MessageKind> = ["initial", "follow_up", "remedy_notice"]
/** Answers the consumer asked for, which need no validation notice before them. */
const RESPONSE_KINDS: ReadonlyArray<MessageKind> = ["collection_stopped", "opt_out_confirmation"]
/** Enough for any US zones to meet; more means the configured hours leave no common time. */
const MAX_WINDOW_STEPS = 32
const MAX_RECHECKS = 16

interface Evaluation extends RuleEvaluation {
  readonly until?: Date
}

const pass = (ruleId: RuleId, detail: string, config: Record<string, unknown>): Evaluation =>
  ({ ruleId, outcome: "pass", detail, config })
const block = (ruleId: RuleId, detail: string, config: Record<string, unknown>): Evaluation =>
  ({ ruleId, outcome: "block", detail, config })
const notApplicable = (ruleId: RuleId, detail: string, config: Record<string, unknown> = {}): Evaluation =>
  ({ ruleId, outcome: "not_applicable", detail, config })
const defer = (ruleId: RuleId, until: Date, detail: string, config: Record<string, unknown>): Evaluation =>
  ({ ruleId, outcome: "defer", until, detail, config })

const iso = (instant: Date) => instant.toISOString()
const latest = (instants: ReadonlyArray<Date>) => new Date(Math.max(...instants.map((d) => d.getTime())))
const happenedBy = (instant: Date | null, at: Date): instant is Date => instant !== null && instant.getTime() <= at.getTime()
const withinDays = (instant: Date, at: Date, days: number) =>
  instant.getTime() <= at.getTime() && at.getTime() - instant.getTime() < days * DAY_MS
const plusDays = (instant: Date, days: number) => new Date(instant.getTime() + days * DAY_MS)

/** When the window of `days` next holds fewer than `max` of these instants (all inside it now). */
const windowFreesAt = (inWindow: ReadonlyArray<Date>, max: number, days: number): Date => {
  const sorted = [...inWindow].sort((a, b) => a.getTime() - b.getTime())
  return plusDays(sorted[sorted.length - max]!, days)
}

const isActiveConsent = (consent: Consent, at: Date) =>
  happenedBy(consent.givenAt, at) && (consent.revokedAt === null || consent.revokedAt.getTime() > at.getTime())

const normalizeAddress = (address: string) =>
  address.includes("@") ? address.trim().toLowerCase() : address.replace(/\D/g, "").slice(-10)

const suppressionConcerns = (suppression: Suppression, message: OutboundMessage, at: Date) =>
  happenedBy(suppression.at, at) &&
  (suppression.channel === "all" || suppression.channel === message.channel) &&
  (suppression.address === null || normalizeAddress(suppression.address) === normalizeAddress(message.recipient))

const containsText = (body: string, text: string) => body.toLowerCase().includes(text.toLowerCase())

/** Declared by the renderer and, where the disclosure has a fixed text, found in the body. */
const carries = (message: OutboundMessage, id: DisclosureId): boolean => {
  const declared = (d: DisclosureId) => message.disclosures.includes(d)
  switch (id) {
    case "mini_miranda":
      return declared(id) && containsText(message.body, DISCLOSURE_EVIDENCE.mini_miranda)
    case "debt_collector_statement":
      // The mini-Miranda contains the statement.
      return (declared(id) || declared("mini_miranda")) &&
        containsText(message.body, DISCLOSURE_EVIDENCE.debt_collector_statement)
    case "opt_out_instruction":
      return declared(id) && (message.channel === "call" || containsText(message.body, OPT_OUT_INSTRUCTION[message.channel]))
    case "cfpb_reference":
      return declared(id) && containsText(message.body, DISCLOSURE_EVIDENCE.cfpb_reference)
    case "validation_period_end_date":
      return declared(id) && statedValidationPeriodEnd(message.body) !== null
    case "ny_exempt_income_notice":
      return declared(id) && NY_EXEMPT_INCOME_CATEGORIES.every((category) => containsText(message.body, category))
    default:
      return declared(id)
  }
}

const isNewYorkDebtor = (context: GuardContext) => {
  const state = normalizeState(context.debtor.state)
  return state === "NY" || (state === null && stateOfZip(context.debtor.zip) === "NY")
}

interface Hours {
  readonly earliest: number
  readonly latest: number
}

const minutesOfDay = (instant: Date, zone: string) => {
  const local = localDateTime(instant, zone)
  return local.hour * 60 + local.minute + local.second / 60
}

const withinHours = (instant: Date, zone: string, hours: Hours) => {
  const minutes = minutesOfDay(instant, zone)
  return minutes >= hours.earliest && minutes < hours.latest
}

const nextOpening = (instant: Date, zone: string, hours: Hours): Date => {
  const local = localDateTime(instant, zone)
  const day = minutesOfDay(instant, zone) < hours.earliest ? local.date : addDays(local.date, 1)
  return zonedInstant(day, Math.floor(hours.earliest / 60), hours.earliest % 60, zone)
}

/** The earliest instant from `from` that is inside the hours in every zone, or null if none is. */
const earliestWithinHours = (zones: ReadonlyArray<string>, from: Date, hours: Hours): Date | null => {
  let candidate = from
  for (let step = 0; step < MAX_WINDOW_STEPS; step++) {
    const outside = zones.filter((zone) => !withinHours(candidate, zone, hours))
    if (outside.length === 0) return candidate
    candidate = latest(outside.map((zone) => nextOpening(candidate, zone, hours)))
  }
  return null
}

const clock = (instant: Date, zone: string) => {
  const local = localDateTime(instant, zone)
  return `${local.date} ${String(local.hour).padStart(2, "0")}:${String(local.minute).padStart(2, "0")}`
}

type Rule = (message: OutboundMessage, context: GuardContext, at: Date, rules: CommsRules) => Evaluation

const contactHours: Rule = (message, context, at, rules) => {
  const config = { earliest: rules.contactHours.earliest, latest: rules.contactHours.latest }
  const hours = { earliest: clockMinutes(config.earliest), latest: clockMinutes(config.latest) }
  const zones = consumerTimeZones({
    state: context.debtor.state,
    zip: context.debtor.zip,
    phones: [context.debtor.phone, message.channel === "email" ? null : message.recipient]
  })
  const localTimes = zones.map((zone) => `${zone} ${clock(at, zone)}`).join(", ")
  const allowedFrom = earliestWithinHours(zones, at, hours)
  if (allowedFrom === null) {
    return block("C1", `no time is within ${config.earliest}-${config.latest} in all of ${zones.join(", ")}`, config)
  }
  if (allowedFrom.getTime() === at.getTime()) {
    return pass("C1", `within ${config.earliest}-${config.latest} local in every possible zone: ${localTimes}`, config)
  }
  const outside = zones.filter((zone) => !withinHours(at, zone, hours))
  return defer(
    "C1",
    allowedFrom,
    `outside ${config.earliest}-${config.latest} local in ${outside.join(", ")} (now ${localTimes}); ` +
      `allowed in all possible zones from ${iso(allowedFrom)}`,
    config
  )
}

const callFrequency: Rule = (message, context, at, rules) => {
  const config = { ...rules.calls }
  if (message.channel !== "call") return notApplicable("C2", "calls only", config)
  const consent = context.consents.find((c) =>
    c.channel === "call" && isActiveConsent(c, at) && withinDays(c.givenAt, at, config.priorConsentValidDays)
  )
  if (consent !== undefined) {
    return pass("C2", `made with direct prior consent given ${iso(consent.givenAt)} (excluded, 1006.14(b)(3))`, config)
  }
  // Unanswered calls that rang count; calls that never connected to the number (busy, failed) do not.
  const counted = context.attempts.filter((a) =>
    a.medium === "call" && a.direction === "outbound" && a.kind !== "opt_out_confirmation" && a.connected &&
    !a.consentedCall && withinDays(a.at, at, config.windowDays)
  )
  const conversations = context.attempts.filter((a) =>
    a.medium === "call" && a.kind === "conversation" && withinDays(a.at, at, config.quietDaysAfterConversation)
  )
  const waits: Array<Date> = []
  const reasons: Array<string> = []
  if (counted.length >= config.maxPerWindow) {
    const frees = windowFreesAt(counted.map((a) => a.at), config.maxPerWindow, config.windowDays)
    waits.push(frees)
    reasons.push(`${counted.length} counted calls in the last ${config.windowDays} days (at most ${config.maxPerWindow}); the window frees at ${iso(frees)}`)
  }
  if (conversations.length > 0) {
    const conversation = latest(conversations.map((a) => a.at))
    const until = plusDays(conversation, config.quietDaysAfterConversation)
    waits.push(until)
    reasons.push(`telephone conversation at ${iso(conversation)}; no call for ${config.quietDaysAfterConversation} days, until ${iso(until)}`)
  }
  if (waits.length > 0) return defer("C2", latest(waits), reasons.join("; "), config)
  return pass(
    "C2",
    `${counted.length} counted calls in the last ${config.windowDays} days (at most ${config.maxPerWindow}); no conversation in the last ${config.quietDaysAfterConversation} days`,
    config
  )
}

const newYorkCity: Rule = (message, context, at, rules) => {
  const config = { ...rules.nyc }
  const nyc = context.nyc || isNewYorkCity(context.debtor.county, context.debtor.city, context.debtor.zip)
  if (!nyc) return notApplicable("C3", "not a New York City consumer", config)
  const today = calendarDate(at, NYC_TIME_ZONE)
  if (today < config.effectiveDate) {
    return notApplicable("C3", `NYC DCWP rules apply from ${config.effectiveDate}; it is ${today} in New York`, config)
  }
  if (message.kind === "opt_out_confirmation") {
    return pass("C3", "an opt-out confirmation is not a collection attempt", config)
  }
  if (config.electronicNeedsWrittenConsent && message.channel !== "call") {
    const written = context.consents.some((c) => c.channel === message.channel && c.kind === "written" && isActiveConsent(c, at))
    if (!written) return block("C3", `NYC: ${message.channel} needs the consumer's written consent; none is in force`, config)
  }
  const counted = context.attempts.filter((a) =>
    a.direction === "outbound" && a.kind !== "opt_out_confirmation" && withinDays(a.at, at, config.windowDays)
  )
  if (counted.length >= config.maxAttemptsPerWindow) {
    const frees = windowFreesAt(counted.map((a) => a.at), config.maxAttemptsPerWindow, config.windowDays)
    return defer(
      "C3",
      frees,
      `NYC: ${counted.length} attempts across all media in the last ${config.windowDays} days (at most ${config.maxAttemptsPerWindow}); the window frees at ${iso(frees)}`,
      config
    )
  }
  return pass("C3", `NYC: ${counted.length} attempts in the last ${config.windowDays} days (at most ${config.maxAttemptsPerWindow})`, config)
}

const ceaseAndSuppressions: Rule = (message, context, at) => {
  const config = { exceptionsAfterCease: CEASE_EXCEPTIONS }
  const { attorneyRepresentedAt, ceaseRequestedAt } = context.account
  // 1692c(a)(2) has no exceptions: even "collection stopped" goes to the attorney, not the consumer.
  if (happenedBy(attorneyRepresentedAt, at)) {
    return block("C4", `consumer represented by an attorney since ${iso(attorneyRepresentedAt)}: communicate with the attorney`, config)
  }
  const excepted = CEASE_EXCEPTIONS.includes(message.kind)
  if (happenedBy(ceaseRequestedAt, at) && !excepted) {
    return block("C4", `cease requested ${iso(ceaseRequestedAt)}: only ${CEASE_EXCEPTIONS.join(" or ")} messages may follow`, config)
  }
  const handledByOptOutRule = (s: Suppression) => s.reason === "opt_out" && context.consumer && message.channel !== "call"
  const suppression = context.suppressions.find((s) =>
    suppressionConcerns(s, message, at) && !handledByOptOutRule(s) && !(s.reason === "cease" && excepted)
  )
  if (suppression !== undefined) {
    return block(
      "C4",
      `suppressed (${suppression.reason}) for ${suppression.channel}${suppression.address === null ? "" : ` ${suppression.address}`} since ${iso(suppression.at)}`,
      config
    )
  }
  return pass("C4", "no cease request, attorney or suppression concerns this message", config)
}

const optOut: Rule = (message, context, at, rules) => {
  const config = { ...rules.optOut }
  if (message.channel === "call") return notApplicable("C5", "email and text only", config)
  const optOuts = context.suppressions.filter((s) => s.reason === "opt_out" && suppressionConcerns(s, message, at))
  if (message.kind === "opt_out_confirmation") {
    if (message.channel !== "sms") return block("C5", "an opt-out confirmation is a text message", config)
    if (optOuts.length === 0) return block("C5", "no text opt-out to confirm", config)
    const optedOutAt = latest(optOuts.map((s) => s.at))
    const confirmations = context.attempts.filter((a) =>
      a.medium === "sms" && a.direction === "outbound" && a.kind === "opt_out_confirmation" &&
      a.at.getTime() >= optedOutAt.getTime() && a.at.getTime() <= at.getTime()
    )
    if (confirmations.length >= config.maxConfirmationTexts) {
      return block("C5", `${confirmations.length} confirmation(s) already sent after the opt-out of ${iso(optedOutAt)} (at most ${config.maxConfirmationTexts})`, config)
    }
    return pass("C5", `confirmation ${confirmations.length + 1} of at most ${config.maxConfirmationTexts} after the opt-out of ${iso(optedOutAt)}`, config)
  }
  if (!carries(message, "opt_out_instruction")) {
    return block("C5", `the ${message.channel} carries no opt-out instruction ("${OPT_OUT_INSTRUCTION[message.channel]}")`, config)
  }
  if (optOuts.length > 0) {
    return block("C5", `opted out of ${message.channel} at ${iso(latest(optOuts.map((s) => s.at)))}`, config)
  }
  return pass("C5", "opt-out instruction present; no opt-out for this channel and address", config)
}

const consentAndWorkEmail: Rule = (message, context, at) => {
  switch (message.channel) {
    case "sms": {
      if (message.kind === "opt_out_confirmation") {
        return pass("C6", "the opt-out confirmation may follow the revocation of consent", {})
      }
      const consent = context.consents.find((c) => c.channel === "sms" && isActiveConsent(c, at))
      return consent === undefined
        ? block("C6", "texts need the consumer's prior express consent; none is in force", {})
        : pass("C6", `${consent.kind} consent to texts given ${iso(consent.givenAt)}`, {})
    }
    case "email":
      return context.emailIsWorkAddress
        ? block("C6", "the address is a work email provided by the employer (1006.22(f))", {})
        : pass("C6", "not a work email address", {})
    case "call":
      return notApplicable("C6", "dialling mode unknown here: autodialled or prerecorded calls to a mobile need prior express consent")
  }
}

const debtCollectorDisclosure: Rule = (message, context) => {
  // The confirmation a revocation allows (47 CFR 64.1200(a)(10)) answers the consumer; it is not
  // the initial communication about the debt, whatever came before.
  const initial = message.kind !== "opt_out_confirmation" &&
    (message.kind === "initial" || context.account.initialCommunicationAt === null)
  if (initial) {
    return carries(message, "mini_miranda")
      ? pass("C7", "initial communication carries the mini-Miranda", {})
      : block("C7", "the initial communication must carry the mini-Miranda (1692e(11))", {})
  }
  return carries(message, "debt_collector_statement")
    ? pass("C7", "states that it is from a debt collector", {})
    : block("C7", "a later communication must state that it is from a debt collector (1692e(11))", {})
}

const validationNotice: Rule = (message, context, at, rules) => {
  const config = { ...rules.validationNotice }
  const { initialCommunicationAt, validationNoticeSentAt } = context.account
  if (message.kind === "validation_notice") {
    const missing = validationNoticeContent.filter((item) => !carries(message, item.id))
    if (missing.length > 0) {
      return block("C8", `validation notice lacks ${missing.map((item) => `${item.id} (${item.citation})`).join(", ")}`, config)
    }
    const stated = statedValidationPeriodEnd(message.body)!
    const required = validationPeriodEndForInstant(at, rules)
    if (stated < required) {
      return block("C8", `states a validation period ending ${stated}; sent now it must end no earlier than ${required}: re-render`, config)
    }
    return pass("C8", `validation notice complete; the period ends ${stated} (at least ${required})`, config)
  }
  if (validationNoticeSentAt !== null) return pass("C8", `validation notice sent ${iso(validationNoticeSentAt)}`, config)
  if (initialCommunicationAt === null || RESPONSE_KINDS.includes(message.kind)) {
    return pass("C8", "no validation notice yet, none due before this message", config)
  }
  const initialDay = calendarDate(initialCommunicationAt, rules.businessTimeZone)
  const elapsed = calendarDaysBetween(initialDay, calendarDate(at, rules.businessTimeZone))
  if (elapsed > config.dueWithinDaysOfInitial) {
    return block(
      "C8",
      `validation notice overdue: initial communication on ${initialDay}, ${elapsed} days ago (due within ${config.dueWithinDaysOfInitial}), none sent`,
      config
    )
  }
  return pass("C8", `validation notice due by ${addDays(initialDay, config.dueWithinDaysOfInitial)}`, config)
}

const newYorkExemptIncome: Rule = (message, context) => {
  const config = { categories: NY_EXEMPT_INCOME_CATEGORIES.length }
  if (!isNewYorkDebtor(context)) return notApplicable("C9", "debtor not in New York", config)
  if (message.kind !== "validation_notice") {
    return notApplicable("C9", "the exempt-income notice travels with the validation notice (C8 checks its timing)", config)
  }
  if (carries(message, "ny_exempt_income_notice")) return pass("C9", "carries the NY exempt-income notice", config)
  const missing = NY_EXEMPT_INCOME_CATEGORIES.filter((category) => !containsText(message.body, category))
  return block(
    "C9",
    `NY validation notice lacks the exempt-income notice (23 NYCRR 1.2)${missing.length > 0 ? `: missing ${missing.join("; ")}` : ""}`,
    config
  )
}

const disputePause: Rule = (message, context, at, rules) => {
  const config = { collectionKinds: COLLECTION_KINDS, periodDays: rules.validationNotice.periodDays }
  const { disputeReceivedAt, validationNoticeSentAt, verificationMailedAt } = context.account
  if (!happenedBy(disputeReceivedAt, at)) return pass("C10", "no dispute received", config)
  if (happenedBy(verificationMailedAt, at) && verificationMailedAt.getTime() >= disputeReceivedAt.getTime()) {
    return pass("C10", `verification mailed ${iso(verificationMailedAt)} after the dispute of ${iso(disputeReceivedAt)}`, config)
  }
  const periodEnd: CalendarDate | null = validationNoticeSentAt === null ? null : validationPeriodEndForInstant(validationNoticeSentAt, rules)
  const disputedOn = calendarDate(disputeReceivedAt, rules.businessTimeZone)
  if (periodEnd !== null && disputedOn > periodEnd) {
    return pass("C10", `dispute of ${disputedOn} came after the validation period ended ${periodEnd}`, config)
  }
  if (!COLLECTION_KINDS.includes(message.kind)) {
    return pass("C10", `dispute pending; a ${message.kind} message does not collect`, config)
  }
  return block(
    "C10",
    `dispute received ${disputedOn}, within the validation period${periodEnd === null ? "" : ` (ends ${periodEnd})`}; collection paused until verification is mailed`,
    config
  )
}

const voicemail: Rule = (message) =>
  notApplicable(
    "C11",
    message.channel === "call"
      ? "a voicemail left on this call must be the limited-content message (1006.2(j)); the dialler enforces it"
      : `voicemail rule; not applicable to ${message.channel}`
  )

const bankruptcyAndDeceased: Rule = (_message, context) => {
  const config = { suppressedBankruptcy: ["open", "discharged without reaffirmation"] }
  if (context.deceased) return block("C12", "debtor deceased: contact only the estate representative", config)
  if (context.bankruptcy === "open") return block("C12", "bankruptcy case open (automatic stay)", config)
  if (context.bankruptcy === "discharged" && !context.bankruptcyReaffirmed) {
    return block("C12", "bankruptcy discharged and the debt not reaffirmed", config)
  }
  return pass("C12", `bankruptcy ${context.bankruptcy ?? "unknown"}${context.bankruptcyReaffirmed ? " (reaffirmed)" : ""}; not deceased`, config)
}

const RATE_PATTERN = /(\d+(?:\.\d+)?)\s*(?:%|percent\b)/gi

const interestRate: Rule = (message, context) => {
  const correct = context.correctInterestRatePercent ?? null
  const config = { correctInterestRatePercent: correct }
  const stated = [...`${message.subject ?? ""}\n${message.body}`.matchAll(RATE_PATTERN)].map((match) => Number(match[1]))
  if (stated.length === 0) return pass("C13", "no rate stated", config)
  if (correct === null) return block("C13", `states ${stated.join("%, ")}% but the correct rate is not known`, config)
  const wrong = stated.filter((rate) => Math.abs(rate - correct) > 1e-9)
  if (wrong.length > 0) return block("C13", `states ${wrong.join("%, ")}%; the correct rate is ${correct}%`, config)
  return pass("C13", `states the correct rate, ${correct}%`, config)
}

const recordKeeping: Rule = (_message, _context, _at, rules) =>
  pass(
    "C14",
    `the ledger is append-only; keep this decision and message for ${rules.recordRetentionYears} years after the last collection activity`,
    { recordRetentionYears: rules.recordRetentionYears }
  )

const RULES: ReadonlyArray<readonly [RuleId, Rule]> = [
  ["C1", contactHours],
  ["C2", callFrequency],
  ["C3", newYorkCity],
  ["C4", ceaseAndSuppressions],
  ["C5", optOut],
  ["C6", consentAndWorkEmail],
  ["C7", debtCollectorDisclosure],
  ["C8", validationNotice],
  ["C9", newYorkExemptIncome],
  ["C10", disputePause],
  ["C11", voicemail],
  ["C12", bankruptcyAndDeceased],
  ["C13", interestRate],
  ["C14", recordKeeping]
]

const RULES_FOR_BUSINESS_DEBTS: ReadonlySet<RuleId> = new Set(["C4", "C12", "C14"])

const evaluate = (message: OutboundMessage, context: GuardContext, at: Date, rules: CommsRules): ReadonlyArray<Evaluation> =>
  RULES.map(([ruleId, rule]) =>
    context.consumer || RULES_FOR_BUSINESS_DEBTS.has(ruleId)
      ? rule(message, context, at, rules)
      : notApplicable(ruleId, "business debt: only C4, C12 and C14 apply")
  )

const report = (evaluations: ReadonlyArray<Evaluation>): ReadonlyArray<RuleEvaluation> =>
  evaluations.map(({ config, detail, outcome, ruleId }) => ({ ruleId, outcome, detail, config }))

const blockReason = (blocks: ReadonlyArray<Evaluation>) =>
  blocks.length === 1 ? blocks[0]!.detail : `${blocks[0]!.detail} (also blocked by ${blocks.slice(1).map((b) => b.ruleId).join(", ")})`

/**
 * Any Block wins (the first in rule order names it; the reason lists the others); else any Defer, until the latest of the deferral instants — re-evaluated there
 * until nothing defers (a C1 opening can land inside a C3 window). If the rules block at that
 * instant (the NYC rules have started, the validation notice is overdue), waiting cannot help:
 * the answer is that Block. `evaluated` always describes `now`.
 */
export const commsGuard = (
  message: OutboundMessage,
  context: GuardContext,
  now: Date,
  rules: CommsRules
): GuardDecision => {
  const evaluations = evaluate(message, context, now, rules)
  const evaluated = report(evaluations)
  const blocks = evaluations.filter((e) => e.outcome === "block")
  if (blocks.length > 0) return { _tag: "Block", ruleId: blocks[0]!.ruleId, reason: blockReason(blocks), evaluated }
  let defers = evaluations.filter((e) => e.outcome === "defer")
  if (defers.length === 0) return { _tag: "Allow", evaluated }
  const ruleIds = new Set<RuleId>()
  const reasons: Array<string> = []
  let until = now
  for (let recheck = 0; recheck < MAX_RECHECKS && defers.length > 0; recheck++) {
    for (const d of defers) {
      ruleIds.add(d.ruleId)
      reasons.push(`${d.ruleId}: ${d.detail}`)
    }
    until = latest(defers.map((d) => d.until!))
    const later = evaluate(message, context, until, rules)
    const laterBlocks = later.filter((e) => e.outcome === "block")
    if (laterBlocks.length > 0) {
      return {
        _tag: "Block",
        ruleId: laterBlocks[0]!.ruleId,
        reason: `deferred to ${iso(until)} by ${[...ruleIds].join(", ")}, where ${laterBlocks[0]!.ruleId} blocks: ${blockReason(laterBlocks)}`,
        evaluated
      }
    }
    defers = later.filter((e) => e.outcome === "defer")
  }
  return { _tag: "Defer", until, ruleIds: [...ruleIds], reason: reasons.join("; "), evaluated }
}
