import { assert, describe, it } from "@effect/vitest"
import {
  type CollectorDetails,
  currentAmountCents,
  DISCLOSURE_EVIDENCE,
  formatCents,
  formatLongDate,
  MINI_MIRANDA,
  NY_EXEMPT_INCOME_CATEGORIES,
  OPT_OUT_INSTRUCTION,
  renderMessage,
  statedValidationPeriodEnd,
  type ValidationNoticeData,
  ValidationNoticeItems
} from "../src/domain/communications/index.js"

const collector: CollectorDetails = {
  name: "Dragonfly Recovery LLC",
  mailingAddress: "PO Box 100, Albany, NY 12201",
  phone: "(518) 555-0100",
  email: "help@dragonfly.example"
}

const notice = (overrides: Partial<ValidationNoticeData> = {}): ValidationNoticeData => ({
  collector,
  consumer: { name: "Pat Example", mailingAddress: "12 Elm St, Albany, NY 12207", state: "NY" },
  accountNumber: "CV-2025-001234",
  creditorOnItemizationDate: "Acme Funding LLC",
  currentCreditor: "Acme Funding LLC",
  itemizationDate: "2025-03-03",
  amountOnItemizationDateCents: 523_410,
  itemization: { interestCents: 4_321, feesCents: 2_500, paymentsCents: 10_000, creditsCents: 1_234 },
  sentOn: "2025-08-29",
  ...overrides
})

const account = {
  collector,
  consumerName: "Pat Example",
  accountNumber: "CV-2025-001234",
  currentCreditor: "Acme Funding LLC",
  currentAmountCents: 518_997
}

describe("money and dates", () => {
  it("integer cents as $1,234.56", () => {
    assert.strictEqual(formatCents(0), "$0.00")
    assert.strictEqual(formatCents(5), "$0.05")
    assert.strictEqual(formatCents(123_456), "$1,234.56")
    assert.strictEqual(formatCents(100_000_000), "$1,000,000.00")
    assert.strictEqual(formatCents(-150), "-$1.50")
    assert.throws(() => formatCents(1.5))
  })

  it("long dates without locale data", () => {
    assert.strictEqual(formatLongDate("2025-10-08"), "October 8, 2025")
    assert.strictEqual(formatLongDate("2026-01-31"), "January 31, 2026")
  })
})

describe("validation notice", () => {
  const rendered = renderMessage("validation_notice", notice())

  it("names, account, the judgment date as itemization date, the itemization and the current amount", () => {
    const { body } = rendered
    for (const text of [
      "Dragonfly Recovery LLC\nPO Box 100, Albany, NY 12201",
      "To: Pat Example\n12 Elm St, Albany, NY 12207",
      "account number CV-2025-001234",
      "in favor of Acme Funding LLC on March 3, 2025",
      "debt that you owe to Acme Funding LLC"
    ]) assert.include(body, text)
    assert.match(body, /As of March 3, 2025, you owed: +\$5,234\.10/)
    assert.match(body, /interest: +\+ \$43\.21/)
    assert.match(body, /fees: +\+ \$25\.00/)
    assert.match(body, /You paid this amount toward the debt: +- \$100\.00/)
    assert.match(body, /credited this amount toward the debt: +- \$12\.34/)
    assert.match(body, /Total amount of the debt now: +\$5,189\.97/)
    assert.strictEqual(currentAmountCents(notice()), 518_997)
  })

  it("the validation-period end date from the sending day, dispute and original-creditor rights, CFPB, tear-off", () => {
    const { body } = rendered
    assert.include(body, "Call or write to us by October 8, 2025, to dispute all or part of the debt.")
    assert.include(body, "If you write to us by October 8, 2025, we must stop collection on any amount you dispute")
    assert.include(body, "original creditor")
    assert.include(body, "If you write by October 8, 2025, we must stop collection until we send you that information")
    assert.include(body, "You may dispute electronically: reply to this email or write to help@dragonfly.example.")
    assert.include(body, DISCLOSURE_EVIDENCE.cfpb_reference)
    assert.include(body, "Detach and mail this part")
    assert.include(body, "[ ] This is not my debt.")
    assert.include(body, "[ ] I want you to send me the name and address of the original creditor.")
    assert.strictEqual(statedValidationPeriodEnd(body), "2025-10-08")
  })

  it("mini-Miranda, unsubscribe line and a subject; every 1006.34(c) item declared", () => {
    assert.include(rendered.body, MINI_MIRANDA)
    assert.include(rendered.body, OPT_OUT_INSTRUCTION.email)
    assert.strictEqual(rendered.subject, "Dragonfly Recovery LLC: notice about your account")
    for (const item of ValidationNoticeItems) assert.include(rendered.disclosures, item)
    assert.include(rendered.disclosures, "mini_miranda")
    assert.include(rendered.disclosures, "opt_out_instruction")
  })

  it("a New York consumer gets the exempt-income notice with its 11 categories, numbered", () => {
    assert.include(rendered.disclosures, "ny_exempt_income_notice")
    assert.include(rendered.body, "NOTICE FOR NEW YORK RESIDENTS")
    assert.strictEqual(NY_EXEMPT_INCOME_CATEGORIES.length, 11)
    NY_EXEMPT_INCOME_CATEGORIES.forEach((category, i) => assert.include(rendered.body, `${i + 1}. ${category}`))
    assert.include(rendered.body, "11. Ninety percent of your wages or salary earned in the last sixty days.")
  })

  it("another state's consumer does not", () => {
    const nj = renderMessage("validation_notice", notice({
      consumer: { name: "Pat Example", mailingAddress: "1 Main St, Newark, NJ 07102", state: "NJ" }
    }))
    assert.notInclude(nj.disclosures, "ny_exempt_income_notice")
    assert.notInclude(nj.body, "NEW YORK RESIDENTS")
  })

  it("the rate is stated only when given, and the rendering is deterministic", () => {
    assert.notInclude(rendered.body, "%")
    assert.include(renderMessage("validation_notice", notice({ interestRatePercent: 9 })).body, "interest (at 9% per year):")
    assert.deepStrictEqual(renderMessage("validation_notice", notice()), rendered)
  })
})

describe("other messages", () => {
  it("initial text: mini-Miranda, last four digits, STOP instruction, no subject", () => {
    const sms = renderMessage("initial", { ...account, channel: "sms" })
    assert.isNull(sms.subject)
    assert.include(sms.body, MINI_MIRANDA)
    assert.include(sms.body, "account ending in 1234 with Acme Funding LLC: the balance is $5,189.97")
    assert.notInclude(sms.body, "CV-2025")
    assert.isTrue(sms.body.endsWith("Reply STOP to opt out."))
    assert.deepStrictEqual(sms.disclosures, ["mini_miranda", "debt_collector_statement", "opt_out_instruction"])
  })

  it("follow-up email: the debt-collector statement, not the mini-Miranda; an unsubscribe line", () => {
    const email = renderMessage("follow_up", { ...account, channel: "email" })
    assert.strictEqual(email.subject, "A message from Dragonfly Recovery LLC")
    assert.include(email.body, "This communication is from a debt collector.")
    assert.notInclude(email.body, DISCLOSURE_EVIDENCE.mini_miranda)
    assert.include(email.body, "To unsubscribe from these emails, reply with the word UNSUBSCRIBE or write to help@dragonfly.example.")
    assert.deepStrictEqual(email.disclosures, ["debt_collector_statement", "opt_out_instruction"])
  })

  it("opt-out confirmation: a text without a further opt-out prompt", () => {
    const confirmation = renderMessage("opt_out_confirmation", { collector })
    assert.isNull(confirmation.subject)
    assert.include(confirmation.body, "You have opted out and will receive no more text messages from us.")
    assert.notInclude(confirmation.body, "STOP")
    assert.deepStrictEqual(confirmation.disclosures, ["debt_collector_statement"])
  })

  it("collection stopped, by email and by text", () => {
    const email = renderMessage("collection_stopped", { channel: "email", collector, consumerName: "Pat Example", accountNumber: "CV-2025-001234" })
    assert.include(email.body, "We have stopped collection of your account ending in 1234.")
    assert.include(email.body, OPT_OUT_INSTRUCTION.email)
    const sms = renderMessage("collection_stopped", { channel: "sms", collector, consumerName: "Pat Example", accountNumber: "CV-2025-001234" })
    assert.include(sms.body, OPT_OUT_INSTRUCTION.sms)
    assert.isNull(sms.subject)
  })
})
