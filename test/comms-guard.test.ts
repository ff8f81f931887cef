import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import { readFileSync } from "node:fs"
import {
  type CollectorDetails,
  commsGuard,
  type ContactAttempt,
  decodeCommsRules,
  defaultCommsRules,
  type GuardContext,
  type GuardDecision,
  isNewYorkCity,
  type MessageData,
  type OutboundMessage,
  renderMessage,
  type RenderableKind,
  RuleIds,
  US_TIME_ZONES
} from "../src/domain/communications/index.js"

const rules = defaultCommsRules
const DAY = 86_400_000
const at = (iso: string) => new Date(iso)
const minus = (instant: Date, ms: number) => new Date(instant.getTime() - ms)
/** 12:00 in New York, a Monday. */
const noon = at("2026-06-15T16:00:00Z")

const PHONE = "+15185550142"
const EMAIL = "pat@example.com"

const collector: CollectorDetails = {
  name: "Dragonfly Recovery LLC",
  mailingAddress: "PO Box 100, Albany, NY 12201",
  phone: "(518) 555-0100",
  email: "help@dragonfly.example"
}

/** Albany (upstate NY, not NYC), phone 518; notice sent long ago; consents to texts and email. */
const context = (overrides: Partial<GuardContext> = {}): GuardContext => ({
  consumer: true,
  debtor: { state: "NY", zip: "12207", county: "Albany", city: "Albany", phone: PHONE, email: EMAIL },
  nyc: false,
  bankruptcy: "none",
  bankruptcyReaffirmed: false,
  deceased: false,
  account: {
    initialCommunicationAt: at("2026-05-01T14:00:00Z"),
    validationNoticeSentAt: at("2026-05-01T14:00:00Z"),
    disputeReceivedAt: null,
    verificationMailedAt: null,
    ceaseRequestedAt: null,
    attorneyRepresentedAt: null
  },
  suppressions: [],
  consents: [
    { channel: "sms", kind: "prior_express", givenAt: at("2026-01-01T00:00:00Z"), revokedAt: null },
    { channel: "email", kind: "written", givenAt: at("2026-01-01T00:00:00Z"), revokedAt: null }
  ],
  attempts: [],
  emailIsWorkAddress: false,
  correctInterestRatePercent: 9,
  ...overrides
})

const withAccount = (account: Partial<GuardContext["account"]>, overrides: Partial<GuardContext> = {}) => {
  const base = context(overrides)
  return { ...base, account: { ...base.account, ...account } }
}

const account = {
  collector,
  consumerName: "Pat Example",
  accountNumber: "CV-2025-001234",
  currentCreditor: "Acme Funding LLC",
  currentAmountCents: 518_997
}

const validationData: MessageData["validation_notice"] = {
  collector,
  consumer: { name: "Pat Example", mailingAddress: "12 Elm St, Albany, NY 12207", state: "NY" },
  accountNumber: "CV-2025-001234",
  creditorOnItemizationDate: "Acme Funding LLC",
  currentCreditor: "Acme Funding LLC",
  itemizationDate: "2025-03-03",
  amountOnItemizationDateCents: 523_410,
  itemization: { interestCents: 4_321, feesCents: 2_500, paymentsCents: 10_000, creditsCents: 1_234 },
  sentOn: "2026-06-15"
}

const render = <K extends RenderableKind>(kind: K, data: MessageData[K], channel: "email" | "sms"): OutboundMessage => ({
  channel,
  kind,
  recipient: channel === "email" ? EMAIL : PHONE,
  ...renderMessage(kind, data)
})

const followUpSms = render("follow_up", { ...account, channel: "sms" }, "sms")
const followUpEmail = render("follow_up", { ...account, channel: "email" }, "email")
const initialSms = render("initial", { ...account, channel: "sms" }, "sms")
const validationEmail = render("validation_notice", validationData, "email")
const confirmation = render("opt_out_confirmation", { collector }, "sms")
const collectionStopped = render("collection_stopped", { ...account, channel: "email" }, "email")
const call: OutboundMessage = {
  channel: "call",
  kind: "follow_up",
  recipient: PHONE,
  subject: null,
  body: "Hello, this is Dragonfly Recovery. This communication is from a debt collector.",
  disclosures: ["debt_collector_statement"]
}

const outcome = (decision: GuardDecision, ruleId: string) => decision.evaluated.find((e) => e.ruleId === ruleId)!.outcome

const assertAllow = (decision: GuardDecision) => assert.strictEqual(decision._tag, "Allow", JSON.stringify(decision))

const assertBlock = (decision: GuardDecision, ruleId: string) => {
  assert.strictEqual(decision._tag, "Block", JSON.stringify(decision))
  if (decision._tag === "Block") assert.strictEqual(decision.ruleId, ruleId, decision.reason)
}

const assertDefer = (decision: GuardDecision, until: string, ruleIds?: ReadonlyArray<string>) => {
  assert.strictEqual(decision._tag, "Defer", JSON.stringify(decision))
  if (decision._tag !== "Defer") return
  assert.strictEqual(decision.until.toISOString(), until, decision.reason)
  if (ruleIds) assert.deepStrictEqual([...decision.ruleIds].sort(), [...ruleIds].sort())
}

const callAttempt = (instant: Date, overrides: Partial<ContactAttempt> = {}): ContactAttempt => ({
  medium: "call", direction: "outbound", kind: "attempt", connected: true, consentedCall: false, at: instant, ...overrides
})

describe("rules config", () => {
  it("config/legal/communications.json decodes to exactly defaultCommsRules", () => {
    const json: unknown = JSON.parse(readFileSync(new URL("../config/legal/communications.json", import.meta.url), "utf8"))
    const decoded = decodeCommsRules(json)
    assert.isTrue(Either.isRight(decoded))
    if (Either.isRight(decoded)) assert.deepStrictEqual(decoded.right, defaultCommsRules)
  })

  it("refuses unknown keys, hours out of order and unknown time zones", () => {
    assert.isTrue(Either.isLeft(decodeCommsRules({ ...rules, extra: 1 })))
    assert.isTrue(Either.isLeft(decodeCommsRules({ ...rules, contactHours: { earliest: "21:00", latest: "08:00" } })))
    assert.isTrue(Either.isLeft(decodeCommsRules({ ...rules, businessTimeZone: "Mars/Olympus" })))
    assert.isTrue(Either.isLeft(decodeCommsRules({ ...rules, calls: { ...rules.calls, maxPerWindow: 0 } })))
  })
})

describe("decision", () => {
  it("an ordinary follow-up at noon is allowed, with every rule explained", () => {
    const decision = commsGuard(followUpSms, context(), noon, rules)
    assertAllow(decision)
    assert.deepStrictEqual(decision.evaluated.map((e) => e.ruleId), [...RuleIds])
    const c1 = decision.evaluated[0]!
    assert.deepStrictEqual(c1.config, { earliest: "08:00", latest: "21:00" })
    assert.include(c1.detail, "America/New_York 2026-06-15 12:00")
    assert.strictEqual(outcome(decision, "C11"), "not_applicable")
    const c14 = decision.evaluated.find((e) => e.ruleId === "C14")!
    assert.deepStrictEqual([c14.outcome, c14.config], ["pass", { recordRetentionYears: 3 }])
  })

  it("every message the renderer makes passes in that context", () => {
    for (const message of [followUpSms, followUpEmail, initialSms, validationEmail, collectionStopped]) {
      assertAllow(commsGuard(message, context(), noon, rules))
    }
  })

  it("a block wins over a defer and names every blocking rule", () => {
    const decision = commsGuard(followUpSms, context({ deceased: true, consents: [] }), at("2026-06-15T03:00:00Z"), rules)
    assertBlock(decision, "C6")
    assert.include(decision._tag === "Block" ? decision.reason : "", "also blocked by C12")
    assert.strictEqual(outcome(decision, "C1"), "defer")
  })
})

describe("C1 contact hours", () => {
  it("07:59 defers to 08:00 local, 08:00 is allowed", () => {
    assertDefer(commsGuard(followUpSms, context(), at("2026-06-15T11:59:00Z"), rules), "2026-06-15T12:00:00.000Z", ["C1"])
    assertAllow(commsGuard(followUpSms, context(), at("2026-06-15T12:00:00Z"), rules))
  })

  it("20:59 is allowed, 21:00 defers to 08:00 the next day", () => {
    assertAllow(commsGuard(followUpEmail, context(), at("2026-06-16T00:59:00Z"), rules))
    assertDefer(commsGuard(followUpEmail, context(), at("2026-06-16T01:00:00Z"), rules), "2026-06-16T12:00:00.000Z")
  })

  it("a New York address with a California area code must be inside both windows", () => {
    const ctx = context({ debtor: { ...context().debtor, phone: "+12135550142" } })
    const text = { ...followUpSms, recipient: "+12135550142" }
    // 10:59 in New York, 07:59 in Los Angeles
    assertDefer(commsGuard(text, ctx, at("2026-06-15T14:59:00Z"), rules), "2026-06-15T15:00:00.000Z")
    assertAllow(commsGuard(text, ctx, at("2026-06-15T15:00:00Z"), rules))
    // 20:59 / 17:59, then 21:00 / 18:00: the next opening is 08:00 in Los Angeles
    assertAllow(commsGuard(text, ctx, at("2026-06-16T00:59:00Z"), rules))
    const late = commsGuard(text, ctx, at("2026-06-16T01:00:00Z"), rules)
    assertDefer(late, "2026-06-16T15:00:00.000Z")
    assert.include(late._tag === "Defer" ? late.reason : "", "outside 08:00-21:00 local in America/New_York")
  })

  it("an email also counts the debtor's phone as a possible location", () => {
    const ctx = context({ debtor: { ...context().debtor, phone: "+13105550142" } })
    assertDefer(commsGuard(followUpEmail, ctx, at("2026-06-15T14:30:00Z"), rules), "2026-06-15T15:00:00.000Z")
  })

  it("around the spring-forward transition", () => {
    assertDefer(commsGuard(followUpSms, context(), at("2026-03-07T12:30:00Z"), rules), "2026-03-07T13:00:00.000Z")
    assertDefer(commsGuard(followUpSms, context(), at("2026-03-08T11:59:00Z"), rules), "2026-03-08T12:00:00.000Z")
    assertAllow(commsGuard(followUpSms, context(), at("2026-03-08T12:00:00Z"), rules))
    // 21:00 EST on Saturday; the next 08:00 is already daylight time
    assertDefer(commsGuard(followUpSms, context(), at("2026-03-08T02:00:00Z"), rules), "2026-03-08T12:00:00.000Z")
  })

  it("around the fall-back transition", () => {
    assertDefer(commsGuard(followUpSms, context(), at("2026-11-01T05:30:00Z"), rules), "2026-11-01T13:00:00.000Z")
    assertDefer(commsGuard(followUpSms, context(), at("2026-11-01T12:59:00Z"), rules), "2026-11-01T13:00:00.000Z")
    assertAllow(commsGuard(followUpSms, context(), at("2026-11-01T13:00:00Z"), rules))
    assertAllow(commsGuard(followUpSms, context(), at("2026-11-02T01:59:00Z"), rules))
    assertDefer(commsGuard(followUpSms, context(), at("2026-11-02T02:00:00Z"), rules), "2026-11-02T13:00:00.000Z")
  })

  it("nothing known about the location: the window of every US zone, Guam to American Samoa", () => {
    const ctx = context({ debtor: { state: null, zip: null, county: null, city: null, phone: null, email: EMAIL } })
    const decision = commsGuard(followUpEmail, ctx, noon, rules)
    assertDefer(decision, "2026-06-15T22:00:00.000Z")
    for (const zone of US_TIME_ZONES) assert.include(decision.evaluated[0]!.detail, zone)
    assertAllow(commsGuard(followUpEmail, ctx, at("2026-06-16T00:59:00Z"), rules))
    assertDefer(commsGuard(followUpEmail, ctx, at("2026-06-16T01:00:00Z"), rules), "2026-06-16T22:00:00.000Z")
  })

  it("hours that no two zones share block", () => {
    const narrow = { ...rules, contactHours: { earliest: "08:00", latest: "09:00" } }
    const ctx = context({ debtor: { ...context().debtor, phone: "+13105550142" } })
    assertBlock(commsGuard(followUpEmail, ctx, noon, narrow), "C1")
  })
})

describe("C2 call frequency", () => {
  const sevenCalls = (oldest: Date) =>
    Array.from({ length: 7 }, (_, i) => callAttempt(new Date(oldest.getTime() + i * 20 * 60 * 60 * 1000)))

  it("seven calls in the last 7 days: the 8th waits until the oldest leaves the window", () => {
    const oldest = minus(noon, 7 * DAY - 60 * 60 * 1000)
    const decision = commsGuard(call, context({ attempts: sevenCalls(oldest) }), noon, rules)
    assertDefer(decision, "2026-06-15T17:00:00.000Z", ["C2"])
    assert.deepStrictEqual(decision.evaluated[1]!.config, { maxPerWindow: 7, windowDays: 7, quietDaysAfterConversation: 7, priorConsentValidDays: 7 })
  })

  it("a call exactly 7 days old has left the window", () => {
    assertAllow(commsGuard(call, context({ attempts: sevenCalls(minus(noon, 7 * DAY)) }), noon, rules))
    const justInside = commsGuard(call, context({ attempts: sevenCalls(minus(noon, 7 * DAY - 1)) }), noon, rules)
    assertDefer(justInside, "2026-06-15T16:00:00.001Z")
  })

  it("six calls: the 7th is allowed", () => {
    assertAllow(commsGuard(call, context({ attempts: sevenCalls(minus(noon, 7 * DAY - 3_600_000)).slice(1) }), noon, rules))
  })

  it("unanswered calls count; calls not connected, consented calls and the consumer's calls do not", () => {
    const oldest = minus(noon, 6 * DAY)
    const base = sevenCalls(oldest)
    assertDefer(commsGuard(call, context({ attempts: base }), noon, rules), "2026-06-16T16:00:00.000Z")
    for (const excluded of [{ connected: false }, { consentedCall: true }, { direction: "inbound" as const }]) {
      const attempts = [callAttempt(base[0]!.at, excluded), ...base.slice(1)]
      assertAllow(commsGuard(call, context({ attempts }), noon, rules))
    }
  })

  it("no call within 7 days after a telephone conversation, whoever called", () => {
    const talked = callAttempt(minus(noon, 3 * DAY), { kind: "conversation", direction: "inbound" })
    assertDefer(commsGuard(call, context({ attempts: [talked] }), noon, rules), "2026-06-19T16:00:00.000Z", ["C2"])
    const weekAgo = callAttempt(minus(noon, 7 * DAY), { kind: "conversation" })
    assertAllow(commsGuard(call, context({ attempts: [weekAgo] }), noon, rules))
  })

  it("a call with direct prior consent given within 7 days is excluded", () => {
    const talked = callAttempt(minus(noon, DAY), { kind: "conversation" })
    const consent = (givenAt: Date) => ({ channel: "call" as const, kind: "prior_express" as const, givenAt, revokedAt: null })
    assertAllow(commsGuard(call, context({ attempts: [talked], consents: [consent(minus(noon, 2 * DAY))] }), noon, rules))
    assert.strictEqual(
      commsGuard(call, context({ attempts: [talked], consents: [consent(minus(noon, 7 * DAY))] }), noon, rules)._tag,
      "Defer"
    )
  })

  it("texts are not calls", () => {
    const attempts = sevenCalls(minus(noon, 6 * DAY))
    const decision = commsGuard(followUpSms, context({ attempts }), noon, rules)
    assertAllow(decision)
    assert.strictEqual(outcome(decision, "C2"), "not_applicable")
  })

  it("a conversation's quiet week ending at night defers on to 08:00 (C2 then C1)", () => {
    const talked = callAttempt(at("2026-06-10T02:00:00Z"), { kind: "conversation", direction: "inbound" })
    assertDefer(commsGuard(call, context({ attempts: [talked] }), noon, rules), "2026-06-17T12:00:00.000Z", ["C1", "C2"])
  })
})

describe("C3 New York City", () => {
  const brooklyn = (overrides: Partial<GuardContext> = {}) =>
    context({
      debtor: { state: "NY", zip: "11201", county: "Kings", city: "Brooklyn", phone: "+17185550142", email: EMAIL },
      nyc: true,
      consents: [
        { channel: "sms", kind: "written", givenAt: at("2026-01-01T00:00:00Z"), revokedAt: null },
        { channel: "email", kind: "written", givenAt: at("2026-01-01T00:00:00Z"), revokedAt: null }
      ],
      ...overrides
    })
  const text = { ...followUpSms, recipient: "+17185550142" }
  const letters = (...instants: ReadonlyArray<string>): ReadonlyArray<ContactAttempt> =>
    instants.map((instant, i) => ({
      medium: (["letter", "email", "call"] as const)[i % 3]!, direction: "outbound", kind: "attempt",
      connected: true, consentedCall: false, at: at(instant)
    }))

  it("the day before the effective date the cap does not apply; from the date it does", () => {
    const ctx = brooklyn({ attempts: letters("2026-08-27T14:00:00Z", "2026-08-28T14:00:00Z", "2026-08-29T14:00:00Z") })
    const before = commsGuard(text, ctx, at("2026-08-31T16:00:00Z"), rules)
    assertAllow(before)
    assert.strictEqual(outcome(before, "C3"), "not_applicable")
    assertDefer(commsGuard(text, ctx, at("2026-09-01T16:00:00Z"), rules), "2026-09-03T14:00:00.000Z", ["C3"])
  })

  it("at most 3 attempts per 7 days across all media, exactly 7 days old is out", () => {
    const now = at("2026-09-15T16:00:00Z")
    assertAllow(commsGuard(text, brooklyn({ attempts: letters("2026-09-13T14:00:00Z", "2026-09-14T14:00:00Z") }), now, rules))
    const three = letters("2026-09-08T16:00:00Z", "2026-09-13T14:00:00Z", "2026-09-14T14:00:00Z")
    assertAllow(commsGuard(text, brooklyn({ attempts: three }), now, rules))
    const inside = letters("2026-09-08T16:00:01Z", "2026-09-13T14:00:00Z", "2026-09-14T14:00:00Z")
    assertDefer(commsGuard(text, brooklyn({ attempts: inside }), now, rules), "2026-09-15T16:00:01.000Z")
  })

  it("inbound contacts and opt-out confirmations are not attempts", () => {
    const attempts: ReadonlyArray<ContactAttempt> = [
      ...letters("2026-09-13T14:00:00Z", "2026-09-14T14:00:00Z"),
      { ...letters("2026-09-14T15:00:00Z")[0]!, direction: "inbound" },
      { ...letters("2026-09-14T15:00:00Z")[0]!, medium: "sms", kind: "opt_out_confirmation" }
    ]
    assertAllow(commsGuard(text, brooklyn({ attempts }), at("2026-09-15T16:00:00Z"), rules))
  })

  it("email and texts need written consent from the effective date", () => {
    const prior = brooklyn({ consents: [{ channel: "sms", kind: "prior_express", givenAt: at("2026-01-01T00:00:00Z"), revokedAt: null }] })
    assertAllow(commsGuard(text, prior, at("2026-08-31T16:00:00Z"), rules))
    assertBlock(commsGuard(text, prior, at("2026-09-01T16:00:00Z"), rules), "C3")
    assertBlock(commsGuard({ ...followUpEmail }, prior, at("2026-09-01T16:00:00Z"), rules), "C3")
  })

  it("a C1 deferral across the effective date lands under the NYC rules: without written consent, Block", () => {
    const prior = brooklyn({ consents: [{ channel: "sms", kind: "prior_express", givenAt: at("2026-01-01T00:00:00Z"), revokedAt: null }] })
    const decision = commsGuard(text, prior, at("2026-09-01T02:00:00Z"), rules)
    assertBlock(decision, "C3")
    assert.include(decision._tag === "Block" ? decision.reason : "", "deferred to 2026-09-01T12:00:00.000Z by C1")
    assert.strictEqual(outcome(decision, "C1"), "defer")
  })

  it("a C1 deferral that lands in a C3 window waits for the window", () => {
    const attempts = letters("2026-08-26T14:00:00Z", "2026-08-27T14:00:00Z", "2026-08-28T14:00:00Z")
    assertDefer(commsGuard(text, brooklyn({ attempts }), at("2026-09-01T02:00:00Z"), rules), "2026-09-02T14:00:00.000Z", ["C1", "C3"])
  })

  it("a C3 window that frees at night waits for 08:00", () => {
    const attempts = letters("2026-09-08T01:30:00Z", "2026-09-09T14:00:00Z", "2026-09-10T14:00:00Z")
    assertDefer(commsGuard(text, brooklyn({ attempts }), at("2026-09-14T16:00:00Z"), rules), "2026-09-15T12:00:00.000Z", ["C1", "C3"])
  })

  it("context.nyc, or the address itself, makes a NYC consumer", () => {
    const byAddress = brooklyn({ nyc: false, consents: [] })
    assertBlock(commsGuard(text, byAddress, at("2026-09-01T16:00:00Z"), rules), "C3")
  })
})

describe("isNewYorkCity", () => {
  it("by county, borough name or ZIP", () => {
    assert.isTrue(isNewYorkCity("Kings County", null, null))
    assert.isTrue(isNewYorkCity("richmond", null, null))
    assert.isTrue(isNewYorkCity(null, "Staten Island", null))
    assert.isTrue(isNewYorkCity(null, "New York", null))
    assert.isTrue(isNewYorkCity(null, null, "10001"))
    assert.isTrue(isNewYorkCity(null, null, "11375"))
    assert.isTrue(isNewYorkCity(null, null, "11004"))
    assert.isTrue(isNewYorkCity(null, null, "10451-1234"))
  })

  it("Nassau, Westchester and upstate are not", () => {
    assert.isFalse(isNewYorkCity("Nassau", "Mineola", "11501"))
    assert.isFalse(isNewYorkCity("Westchester", "Yonkers", "10701"))
    assert.isFalse(isNewYorkCity("Albany", "Albany", "12207"))
    assert.isFalse(isNewYorkCity(null, null, null))
  })
})

describe("C4 cease, attorney and suppressions", () => {
  it("after a cease request only collection-stopped and remedy notices go", () => {
    const ctx = withAccount({ ceaseRequestedAt: at("2026-06-10T12:00:00Z") })
    assertBlock(commsGuard(followUpEmail, ctx, noon, rules), "C4")
    assertAllow(commsGuard(collectionStopped, ctx, noon, rules))
    const remedy = { ...followUpEmail, kind: "remedy_notice" as const }
    assertAllow(commsGuard(remedy, ctx, noon, rules))
  })

  it("a cease request dated later than now does not apply yet", () => {
    assertAllow(commsGuard(followUpEmail, withAccount({ ceaseRequestedAt: at("2026-06-16T12:00:00Z") }), noon, rules))
  })

  it("an attorney: nothing goes to the consumer, not even collection-stopped", () => {
    const ctx = withAccount({ attorneyRepresentedAt: at("2026-06-10T12:00:00Z") })
    assertBlock(commsGuard(followUpEmail, ctx, noon, rules), "C4")
    assertBlock(commsGuard(collectionStopped, ctx, noon, rules), "C4")
  })

  it("a medium the consumer asked us not to use, by channel and address", () => {
    const doNotEmail = context({ suppressions: [{ channel: "email", address: null, reason: "do_not_use", at: at("2026-06-01T00:00:00Z") }] })
    assertBlock(commsGuard(followUpEmail, doNotEmail, noon, rules), "C4")
    assertAllow(commsGuard(followUpSms, doNotEmail, noon, rules))
    const otherAddress = context({ suppressions: [{ channel: "email", address: "old@example.com", reason: "do_not_use", at: at("2026-06-01T00:00:00Z") }] })
    assertAllow(commsGuard(followUpEmail, otherAddress, noon, rules))
    const sameAddress = context({ suppressions: [{ channel: "all", address: "PAT@example.com", reason: "do_not_use", at: at("2026-06-01T00:00:00Z") }] })
    assertBlock(commsGuard(followUpEmail, sameAddress, noon, rules), "C4")
  })

  it("a cease suppression on every channel still lets collection-stopped through", () => {
    const ctx = context({ suppressions: [{ channel: "all", address: null, reason: "cease", at: at("2026-06-01T00:00:00Z") }] })
    assertBlock(commsGuard(followUpSms, ctx, noon, rules), "C4")
    assertAllow(commsGuard(collectionStopped, ctx, noon, rules))
  })
})

describe("C5 opt-out", () => {
  const optedOut = (overrides: Partial<GuardContext> = {}) =>
    context({
      suppressions: [{ channel: "sms", address: PHONE, reason: "opt_out", at: at("2026-06-15T15:00:00Z") }],
      consents: [{ channel: "sms", kind: "prior_express", givenAt: at("2026-01-01T00:00:00Z"), revokedAt: at("2026-06-15T15:00:00Z") }],
      ...overrides
    })
  const confirmationSent = (instant: string): ContactAttempt => ({
    medium: "sms", direction: "outbound", kind: "opt_out_confirmation", connected: true, consentedCall: false, at: at(instant)
  })

  it("every email and text carries an opt-out instruction, declared and present in the body", () => {
    assertBlock(commsGuard({ ...followUpEmail, disclosures: ["debt_collector_statement"] }, context(), noon, rules), "C5")
    assertBlock(commsGuard({ ...followUpSms, body: followUpSms.body.replace("Reply STOP to opt out.", "") }, context(), noon, rules), "C5")
  })

  it("after a text opt-out: texts blocked, one confirmation allowed, a second blocked", () => {
    assertBlock(commsGuard(followUpSms, optedOut(), noon, rules), "C5")
    assertAllow(commsGuard(confirmation, optedOut(), noon, rules))
    const second = commsGuard(confirmation, optedOut({ attempts: [confirmationSent("2026-06-15T15:01:00Z")] }), noon, rules)
    assertBlock(second, "C5")
  })

  it("a confirmation before an earlier opt-out does not count against a new one", () => {
    const ctx = optedOut({ attempts: [confirmationSent("2026-03-01T15:01:00Z")] })
    assertAllow(commsGuard(confirmation, ctx, noon, rules))
  })

  it("nothing to confirm without an opt-out; email still allowed after a text opt-out", () => {
    assertBlock(commsGuard(confirmation, context(), noon, rules), "C5")
    assertAllow(commsGuard(followUpEmail, optedOut(), noon, rules))
  })

  it("an email opt-out blocks emails", () => {
    const ctx = context({ suppressions: [{ channel: "email", address: null, reason: "opt_out", at: at("2026-06-01T00:00:00Z") }] })
    assertBlock(commsGuard(followUpEmail, ctx, noon, rules), "C5")
  })
})

describe("C6 consent and work email", () => {
  it("texts need prior express consent in force", () => {
    assertBlock(commsGuard(followUpSms, context({ consents: [] }), noon, rules), "C6")
    const revoked = [{ channel: "sms" as const, kind: "prior_express" as const, givenAt: at("2026-01-01T00:00:00Z"), revokedAt: at("2026-06-01T00:00:00Z") }]
    assertBlock(commsGuard(followUpSms, context({ consents: revoked }), noon, rules), "C6")
  })

  it("no email to a work address", () => {
    assertBlock(commsGuard(followUpEmail, context({ emailIsWorkAddress: true }), noon, rules), "C6")
  })
})

describe("C7 debt-collector disclosures", () => {
  it("the initial communication needs the mini-Miranda", () => {
    assertBlock(commsGuard({ ...followUpSms, kind: "initial" }, context(), noon, rules), "C7")
    assertAllow(commsGuard(initialSms, withAccount({ initialCommunicationAt: null, validationNoticeSentAt: null }), noon, rules))
  })

  it("a first message of any kind is the initial communication", () => {
    assertBlock(commsGuard(followUpSms, withAccount({ initialCommunicationAt: null, validationNoticeSentAt: null }), noon, rules), "C7")
  })

  it("except the confirmation of an opt-out: it answers the consumer, even one never written to", () => {
    const optedOut = withAccount({ initialCommunicationAt: null, validationNoticeSentAt: null }, {
      suppressions: [{ channel: "sms", address: PHONE, reason: "opt_out", at: at("2026-06-15T15:00:00Z") }]
    })
    const decision = commsGuard(confirmation, optedOut, noon, rules)
    assert.strictEqual(outcome(decision, "C7"), "pass", JSON.stringify(decision))
  })

  it("later messages say they are from a debt collector", () => {
    const bare = { ...followUpSms, body: followUpSms.body.replace("This communication is from a debt collector. ", "") }
    assertBlock(commsGuard(bare, context(), noon, rules), "C7")
  })
})

describe("C8 validation notice", () => {
  it("every 1006.34(c) item is required", () => {
    const withoutItemization = { ...validationEmail, disclosures: validationEmail.disclosures.filter((d) => d !== "itemization") }
    const decision = commsGuard(withoutItemization, context(), noon, rules)
    assertBlock(decision, "C8")
    assert.include(decision._tag === "Block" ? decision.reason : "", "itemization (1006.34(c)(2)(viii))")
  })

  it("a notice rendered days ago states too early an end date: re-render", () => {
    const stale = render("validation_notice", { ...validationData, sentOn: "2026-06-01" }, "email")
    assertBlock(commsGuard(stale, context(), noon, rules), "C8")
    const later = render("validation_notice", { ...validationData, sentOn: "2026-06-16" }, "email")
    assertAllow(commsGuard(later, context(), noon, rules))
  })

  it("a later message more than 5 days after the initial communication without a notice: overdue", () => {
    const ctx = withAccount({ initialCommunicationAt: at("2026-06-08T14:00:00Z"), validationNoticeSentAt: null })
    assertAllow(commsGuard(followUpSms, ctx, at("2026-06-13T16:00:00Z"), rules))
    const overdue = commsGuard(followUpSms, ctx, at("2026-06-14T16:00:00Z"), rules)
    assertBlock(overdue, "C8")
    assert.include(overdue._tag === "Block" ? overdue.reason : "", "validation notice overdue")
    assertAllow(commsGuard(validationEmail, ctx, at("2026-06-15T16:00:00Z"), rules))
    assertAllow(commsGuard(collectionStopped, ctx, at("2026-06-15T16:00:00Z"), rules))
  })

  it("a C1 deferral past the fifth day turns into the overdue block", () => {
    const ctx = withAccount({ initialCommunicationAt: at("2026-06-08T14:00:00Z"), validationNoticeSentAt: null })
    assertBlock(commsGuard(followUpSms, ctx, at("2026-06-14T02:00:00Z"), rules), "C8")
  })
})

describe("C9 NY exempt-income notice", () => {
  it("a NY debtor's validation notice must carry it", () => {
    const njNotice = render("validation_notice", { ...validationData, consumer: { ...validationData.consumer, state: "NJ" } }, "email")
    assertBlock(commsGuard(njNotice, context(), noon, rules), "C9")
    const nj = context({ debtor: { ...context().debtor, state: "NJ", zip: "07102", county: "Essex", city: "Newark" } })
    const decision = commsGuard(njNotice, nj, noon, rules)
    assertAllow(decision)
    assert.strictEqual(outcome(decision, "C9"), "not_applicable")
  })

  it("all 11 categories must be in the body", () => {
    const cut = { ...validationEmail, body: validationEmail.body.replace("Veterans' benefits", "") }
    const decision = commsGuard(cut, context(), noon, rules)
    assertBlock(decision, "C9")
    assert.include(decision._tag === "Block" ? decision.reason : "", "missing Veterans' benefits")
  })
})

describe("C10 dispute", () => {
  const disputed = (verificationMailedAt: Date | null = null) =>
    withAccount({ validationNoticeSentAt: at("2026-06-01T14:00:00Z"), disputeReceivedAt: at("2026-06-10T14:00:00Z"), verificationMailedAt })

  it("a dispute within the validation period pauses collection until verification is mailed", () => {
    assertBlock(commsGuard(followUpEmail, disputed(), noon, rules), "C10")
    assertBlock(commsGuard({ ...followUpEmail, kind: "remedy_notice" }, disputed(), noon, rules), "C10")
    assertAllow(commsGuard(collectionStopped, disputed(), noon, rules))
    assertAllow(commsGuard(followUpEmail, disputed(at("2026-06-12T14:00:00Z")), noon, rules))
  })

  it("a dispute after the validation period does not", () => {
    const late = withAccount({ validationNoticeSentAt: at("2026-04-01T14:00:00Z"), disputeReceivedAt: at("2026-06-10T14:00:00Z") })
    assertAllow(commsGuard(followUpEmail, late, noon, rules))
  })
})

describe("C11 voicemail", () => {
  it("not applicable to email and texts", () => {
    const decision = commsGuard(followUpEmail, context(), noon, rules)
    assert.strictEqual(outcome(decision, "C11"), "not_applicable")
    assert.include(decision.evaluated.find((e) => e.ruleId === "C11")!.detail, "not applicable to email")
  })
})

describe("C12 bankruptcy and deceased", () => {
  it("open, or discharged without reaffirmation, or deceased: blocked", () => {
    assertBlock(commsGuard(followUpEmail, context({ bankruptcy: "open" }), noon, rules), "C12")
    assertBlock(commsGuard(followUpEmail, context({ bankruptcy: "discharged" }), noon, rules), "C12")
    assertBlock(commsGuard(followUpEmail, context({ deceased: true }), noon, rules), "C12")
  })

  it("reaffirmed or dismissed: allowed", () => {
    assertAllow(commsGuard(followUpEmail, context({ bankruptcy: "discharged", bankruptcyReaffirmed: true }), noon, rules))
    assertAllow(commsGuard(followUpEmail, context({ bankruptcy: "dismissed" }), noon, rules))
  })
})

describe("C13 interest rate", () => {
  const rated = render("validation_notice", { ...validationData, interestRatePercent: 9 }, "email")

  it("a stated rate must be the correct one", () => {
    assertAllow(commsGuard(rated, context(), noon, rules))
    assertBlock(commsGuard(rated, context({ correctInterestRatePercent: 2 }), noon, rules), "C13")
    assertBlock(commsGuard(rated, context({ correctInterestRatePercent: null }), noon, rules), "C13")
  })

  it("no rate stated, nothing to check", () => {
    assertAllow(commsGuard(followUpEmail, context({ correctInterestRatePercent: null }), noon, rules))
  })
})

describe("business debts", () => {
  const business = (overrides: Partial<GuardContext> = {}) => context({ consumer: false, consents: [], ...overrides })

  it("the consumer rules are not applicable: 03:00, no consent, no opt-out line", () => {
    const bare = { ...followUpSms, disclosures: [], body: "Please call Dragonfly about invoice 12." }
    const decision = commsGuard(bare, business(), at("2026-06-15T07:00:00Z"), rules)
    assertAllow(decision)
    assert.deepStrictEqual(
      decision.evaluated.filter((e) => e.outcome !== "not_applicable").map((e) => e.ruleId),
      ["C4", "C12", "C14"]
    )
  })

  it("cease, suppressions (opt-outs included) and bankruptcy still apply", () => {
    assertBlock(commsGuard(followUpSms, business({ bankruptcy: "open" }), noon, rules), "C12")
    const optedOut = business({ suppressions: [{ channel: "sms", address: null, reason: "opt_out", at: at("2026-06-01T00:00:00Z") }] })
    assertBlock(commsGuard(followUpSms, optedOut, noon, rules), "C4")
    const ceased = { ...business(), account: { ...business().account, ceaseRequestedAt: at("2026-06-01T00:00:00Z") } }
    assertBlock(commsGuard(followUpSms, ceased, noon, rules), "C4")
  })
})
