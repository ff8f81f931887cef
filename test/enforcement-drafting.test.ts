import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Duration, Effect, Either, Exit, Layer, Redacted, Ref } from "effect"
import { OpenAiConfig, type OpenAiSettings } from "../src/config/OpenAiConfig.js"
import {
  type DraftDocument,
  Drafter,
  DrafterOpenAi,
  DrafterTemplates,
  type DraftFailed,
  type DraftingUnavailable,
  type DraftKind,
  type DraftRecord,
  fillSlots,
  fillTemplate,
  findAmounts,
  findDates,
  PROMPT_VERSION,
  slotNames,
  templates,
  verifyDraft
} from "../src/domain/enforcement/drafting/index.js"
import { openaiServer, promptText, Reply, type OpenAiServer } from "./support/openaiServer.js"

const API_KEY = "sk-test-DRAFTING-0123456789abcdef"

const debtorRecord: DraftRecord = {
  kind: "information_subpoena",
  action: "Information subpoena to the judgment debtor (R1)",
  plaintiff: { name: "Empire Funding LLC" },
  debtor: { name: "Jordan Smith", address: "12 Elm Street, Brooklyn, NY 11201" },
  court: { name: "Civil Court of the City of New York", county: "Kings" },
  indexNumber: "CV-012345-23/KI",
  caseNumber: "DF-2023-0042",
  judgmentDate: "2023-03-14",
  judgmentAmountCents: 1_234_567,
  amountDueCents: 1_398_210,
  interestRatePercent: 9,
  garnishee: null,
  dueDate: "2024-02-01"
}

const bankRecord: DraftRecord = {
  ...debtorRecord,
  action: "Restraining notice and information subpoena to a bank (R3)",
  garnishee: "First Hudson Bank, N.A."
}

const recordFor = (kind: DraftKind, base: DraftRecord = debtorRecord): DraftRecord => ({ ...base, kind })

const goodProse: Record<DraftKind, Record<string, unknown>> = {
  information_subpoena: {
    additional_questions: [
      "State whether you have filed a petition in bankruptcy since the judgment was entered.",
      "2. State whether you hold an account with any online payment service and, if so, identify it."
    ]
  },
  cover_letter: {
    opening_paragraph:
      "We represent Empire Funding LLC, the judgment creditor. Enclosed is an information subpoena with questions about your assets and income.",
    closing_paragraph: "If you have questions, please call our office and quote the index number."
  },
  attorney_summary: {
    narrative:
      "The planner proposes an information subpoena to Jordan Smith because no employer, bank or property is known. The balance of $13,982.10 remains unpaid. Check the gates before signing."
  }
}

const wrongAmountProse = {
  narrative: "Jordan Smith still owes $9,999.00 on this judgment; please review before signing."
}

const settings = (baseUrl: string, overrides: Partial<OpenAiSettings> = {}): OpenAiSettings => ({
  apiKey: Redacted.make(API_KEY),
  model: "gpt-4.1-mini",
  baseUrl,
  requestTimeout: Duration.seconds(5),
  requestAttempts: 3,
  retryBaseDelay: Duration.millis(20),
  draftAttempts: 3,
  ...overrides
})

/** Builds the OpenAI drafter in the test's scope, talking to `server`. */
const openAiDrafter = (server: OpenAiServer, overrides: Partial<OpenAiSettings> = {}) =>
  DrafterOpenAi.pipe(
    Layer.provide([Layer.succeed(OpenAiConfig, settings(server.baseUrl, overrides)), NodeHttpClient.layerUndici]),
    Layer.build,
    Effect.map(Context.get(Drafter))
  )

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure, got a success")
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure === undefined) throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return failure
}

const assertNoSecret = (error: DraftFailed | DraftingUnavailable, secret: string) => {
  assert.notInclude(error.message, secret)
  assert.notInclude(String(error), secret)
  assert.notInclude(JSON.stringify(error), secret)
}

describe("templates", () => {
  const cases: ReadonlyArray<readonly [string, DraftRecord]> = [
    ["subpoena to the debtor", recordFor("information_subpoena")],
    ["subpoena to a bank", recordFor("information_subpoena", bankRecord)],
    ["cover letter to the debtor", recordFor("cover_letter")],
    ["cover letter to a bank", recordFor("cover_letter", bankRecord)],
    ["attorney summary", recordFor("attorney_summary")]
  ]

  for (const [name, record] of cases) {
    it(`${name}: fills every slot, deterministically, with the record's values`, () => {
      const document = fillTemplate(record.kind, record)
      const template = templates[record.kind]
      assert.strictEqual(document.templateId, record.kind)
      assert.strictEqual(document.templateVersion, "1")
      assert.strictEqual(document.method, "template")
      assert.isNull(document.promptVersion)
      assert.isNull(document.model)
      assert.notMatch(`${document.title}\n${document.body}`, /\{\{|\}\}/)
      assert.deepStrictEqual(Object.keys(document.fields), [...slotNames(template)])
      assert.deepStrictEqual(fillTemplate(record.kind, record), document)
      for (const expected of ["Empire Funding LLC", "Jordan Smith", "CV-012345-23/KI", "$12,345.67", "$13,982.10", "March 14, 2023", "9%"]) {
        assert.include(document.body, expected)
      }
      assert.isTrue(Either.isRight(verifyDraft(document, record)))
    })
  }

  it("the subpoena asks the debtor or the bank its own questions; only a bank gets the 5224(a)(3)(i) certification", () => {
    const toDebtor = fillTemplate("information_subpoena", debtorRecord).body
    const toBank = fillTemplate("information_subpoena", bankRecord).body
    assert.include(toDebtor, "TO: Jordan Smith, the judgment debtor")
    assert.include(toDebtor, "1. State your full name")
    assert.include(toDebtor, "8. State whether you have transferred any property")
    assert.notInclude(toDebtor, "CERTIFICATION")
    assert.include(toBank, "TO: First Hudson Bank, N.A., a person other than the judgment debtor")
    assert.include(toBank, "1. State whether the judgment debtor maintains")
    assert.include(toBank, "CERTIFICATION (CPLR 5224(a)(3)(i))")
    assert.include(toBank, "the answers are expected by February 1, 2024.")
  })

  it("the attorney summary text is stable", () => {
    const { body } = fillTemplate("attorney_summary", { ...debtorRecord, caseNumber: null, dueDate: null })
    assert.strictEqual(
      body,
      `ATTORNEY REVIEW SUMMARY (draft for review and signature)

Proposed action: Information subpoena to the judgment debtor (R1)
Judgment creditor: Empire Funding LLC
Judgment debtor: Jordan Smith
Debtor address: 12 Elm Street, Brooklyn, NY 11201
Court: Civil Court of the City of New York, Kings County
Index No.: CV-012345-23/KI
Case No.: [not on file]
Judgment entered: March 14, 2023
Judgment amount: $12,345.67
Amount now due: $13,982.10
Post-judgment interest rate: 9% per annum
Garnishee: none (the action targets the judgment debtor)
Response due: [not on file]

Summary
The enforcement planner proposed the action above from the case record. Please review the record, the legal gates and the draft papers before signing.

The legal gates, the interest rate, the amounts and the deadlines above come from the case record and the planning rules; this summary does not change them. A licensed attorney must review and sign before anything is sent.`
    )
  })

  it("prose cannot replace a record slot, and extra questions continue the numbering", () => {
    const summary = fillSlots(templates.attorney_summary, debtorRecord, { narrative: "Short.", judgment_amount: "$1.00" })
    assert.strictEqual(summary.fields.judgment_amount, "$12,345.67")
    assert.strictEqual(summary.fields.narrative, "Short.")
    const subpoena = fillSlots(templates.information_subpoena, debtorRecord, { additional_questions: ["State one.", "State two."] })
    assert.include(subpoena.body, "8. State whether you have transferred any property")
    assert.include(subpoena.body, "9. State one.\n10. State two.")
  })
})

describe("verifyDraft", () => {
  const document = fillTemplate("cover_letter", debtorRecord)
  const withBody = (body: string): DraftDocument => ({ ...document, body })

  it("accepts the record's amounts and dates in any of the recognised forms", () => {
    const body = `${document.body}\nAlso: 12345.67 USD, USD 13,982.10, $12,345.67 USD, 03/14/2023, 2023-03-14, Mar. 14th, 2023, 14 March 2023, 2/1/2024, 9 percent.`
    assert.deepStrictEqual(verifyDraft(withBody(body), debtorRecord), Either.right(withBody(body)))
  })

  it("rejects a wrong amount", () => {
    const result = verifyDraft(withBody(document.body.replace("$12,345.67", "$12,354.67")), debtorRecord)
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      assert.deepStrictEqual(result.left.mismatches, [{ kind: "amount", found: "$12,354.67", readAs: "$12,354.67" }])
      assert.include(result.left.message, "$12,354.67")
    }
  })

  it("rejects a wrong date in each form, and a date that does not exist", () => {
    const body = `${document.body}\nEntered 2023-03-15, 03/15/2023, March 15, 2023, 15 March 2023; served 02/30/2024.`
    const result = verifyDraft(withBody(body), debtorRecord)
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      assert.deepStrictEqual(result.left.mismatches.map((m) => [m.kind, m.found, m.readAs]), [
        ["date", "2023-03-15", "2023-03-15"],
        ["date", "03/15/2023", "2023-03-15"],
        ["date", "March 15, 2023", "2023-03-15"],
        ["date", "15 March 2023", "2023-03-15"],
        ["date", "02/30/2024", "not a calendar date"]
      ])
    }
  })

  it("rejects an interest rate the record does not have", () => {
    const result = verifyDraft(withBody(document.body.replace("9% per annum", "2% per annum")), debtorRecord)
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) assert.deepStrictEqual(result.left.mismatches.map((m) => m.kind), ["rate"])
  })

  it("reads an amount once however it is written, and ignores index and case numbers", () => {
    assert.deepStrictEqual(findAmounts("pay $1,234.56 USD or 99 dollars"), [
      { text: "$1,234.56 USD", value: 123_456 },
      { text: "99 dollars", value: 9_900 }
    ])
    assert.deepStrictEqual(findDates("Index No. CV-012345-23/KI, case DF-2023-0042, CPLR 5224(a)(3)"), [])
  })
})

describe("DrafterTemplates", () => {
  it.effect("drafts the record's kind from the template", () =>
    Effect.gen(function*() {
      const drafter = yield* Drafter
      const record = recordFor("cover_letter")
      assert.deepStrictEqual(yield* drafter.draft(record), fillTemplate("cover_letter", record))
    }).pipe(Effect.provide(DrafterTemplates)))
})

describe("OpenAiConfig", () => {
  const read = (env: Record<string, string>) =>
    Effect.either(Effect.withConfigProvider(OpenAiConfig.config, ConfigProvider.fromMap(new Map(Object.entries(env)))))

  it.effect("defaults everything but the key; the key stays redacted", () =>
    Effect.gen(function*() {
      const result = yield* read({ OPENAI_API_KEY: API_KEY })
      assert.isTrue(Either.isRight(result))
      if (Either.isRight(result)) {
        const { apiKey, ...rest } = result.right
        assert.strictEqual(Redacted.value(apiKey), API_KEY)
        assert.notInclude(String(apiKey), API_KEY)
        assert.deepStrictEqual(rest, {
          model: "gpt-4.1-mini",
          baseUrl: "https://api.openai.com/v1",
          requestTimeout: Duration.seconds(60),
          requestAttempts: 3,
          retryBaseDelay: Duration.millis(500),
          draftAttempts: 3
        })
      }
      const custom = yield* read({ OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: "http://127.0.0.1:9999/v1/", OPENAI_DRAFT_ATTEMPTS: "5" })
      assert.isTrue(Either.isRight(custom) && custom.right.baseUrl === "http://127.0.0.1:9999/v1" && custom.right.draftAttempts === 5)
      assert.isTrue(Either.isLeft(yield* read({ OPENAI_API_KEY: API_KEY, OPENAI_DRAFT_ATTEMPTS: "0" })))
      assert.isTrue(Either.isLeft(yield* read({ OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: "ftp://example.com" })))
    }))
})

describe("DrafterOpenAi against a local Responses API", () => {
  it.scopedLive("a good answer becomes an llm document; the request carries the minimal record and nothing else", () =>
    Effect.gen(function*() {
      const server = yield* openaiServer({ apiKey: API_KEY, replies: [Reply.json(goodProse.cover_letter)] })
      const drafter = yield* openAiDrafter(server)
      const record = recordFor("cover_letter")
      const withExtras = { ...record, ssn: "123-45-6789", phone: "718-555-0100" } as DraftRecord

      const document = yield* drafter.draft(withExtras)
      assert.strictEqual(document.method, "llm")
      assert.strictEqual(document.promptVersion, PROMPT_VERSION)
      assert.strictEqual(document.model, "gpt-4.1-mini")
      assert.strictEqual(document.templateId, "cover_letter")
      assert.strictEqual(document.fields.opening_paragraph, goodProse.cover_letter.opening_paragraph)
      assert.include(document.body, "Enclosed is an information subpoena")
      assert.include(document.body, "The amount now due is $13,982.10")
      assert.deepStrictEqual(
        { ...document, method: "template", promptVersion: null, model: null },
        { ...fillTemplate("cover_letter", record), ...fillSlots(templates.cover_letter, record, goodProse.cover_letter as any) }
      )

      const [request, ...others] = yield* Ref.get(server.requests)
      assert.lengthOf(others, 0)
      assert.strictEqual(request!.method, "POST")
      assert.strictEqual(request!.path, "/v1/responses")
      assert.isTrue(request!.authorized)
      assert.strictEqual(request!.body.model, "gpt-4.1-mini")
      assert.strictEqual(request!.body.store, false)
      assert.strictEqual(request!.body.text.format.type, "json_schema")
      assert.strictEqual(request!.body.text.format.strict, true)
      assert.deepStrictEqual(request!.body.text.format.schema.required, ["opening_paragraph", "closing_paragraph"])
      const prompt = promptText(request!)
      for (const fact of ["Jordan Smith", "Empire Funding LLC", "CV-012345-23/KI", "1234567", "1398210", "2023-03-14"]) {
        assert.include(prompt, fact)
      }
      for (const secret of ["123-45-6789", "ssn", "718-555-0100", API_KEY]) {
        assert.notInclude(JSON.stringify(request!.body), secret)
      }
    }))

  it.scopedLive("an answer with a wrong amount is asked again; the next good answer is used", () =>
    Effect.gen(function*() {
      const server = yield* openaiServer({
        apiKey: API_KEY,
        replies: [Reply.json(wrongAmountProse), Reply.json(goodProse.attorney_summary)]
      })
      const drafter = yield* openAiDrafter(server)
      const document = yield* drafter.draft(recordFor("attorney_summary"))
      assert.include(document.body, "The balance of $13,982.10 remains unpaid.")
      assert.lengthOf(yield* Ref.get(server.requests), 2)
    }))

  it.scopedLive("a wrong amount every time → DraftFailed after the configured answers", () =>
    Effect.gen(function*() {
      const server = yield* openaiServer({ apiKey: API_KEY, replies: [Reply.json(wrongAmountProse)] })
      const drafter = yield* openAiDrafter(server)
      const error = failureOf(yield* Effect.exit(drafter.draft(recordFor("attorney_summary"))))
      assert.strictEqual(error._tag, "DraftFailed")
      if (error._tag === "DraftFailed") {
        assert.strictEqual(error.attempts, 3)
        assert.include(error.reason, "$9,999.00")
      }
      assert.lengthOf(yield* Ref.get(server.requests), 3)
    }))

  it.scopedLive("garbage instead of JSON → DraftFailed after N answers (N from config)", () =>
    Effect.gen(function*() {
      const server = yield* openaiServer({ apiKey: API_KEY, replies: [Reply.text("Sure! Here is your letter: Dear Sir")] })
      const drafter = yield* openAiDrafter(server, { draftAttempts: 2 })
      const error = failureOf(yield* Effect.exit(drafter.draft(recordFor("cover_letter"))))
      assert.strictEqual(error._tag, "DraftFailed")
      if (error._tag === "DraftFailed") assert.strictEqual(error.attempts, 2)
      assert.lengthOf(yield* Ref.get(server.requests), 2)
    }))

  it.scopedLive("JSON of the wrong shape → DraftFailed", () =>
    Effect.gen(function*() {
      const server = yield* openaiServer({
        apiKey: API_KEY,
        replies: [Reply.json({ additional_questions: "State everything." }), Reply.json({ unexpected: true })]
      })
      const drafter = yield* openAiDrafter(server)
      const error = failureOf(yield* Effect.exit(drafter.draft(recordFor("information_subpoena"))))
      assert.strictEqual(error._tag, "DraftFailed")
      if (error._tag === "DraftFailed") assert.strictEqual(error.attempts, 3)
      assert.lengthOf(yield* Ref.get(server.requests), 3)
    }))

  it.scopedLive("subpoena questions from the model follow the standard ones", () =>
    Effect.gen(function*() {
      const server = yield* openaiServer({ apiKey: API_KEY, replies: [Reply.json(goodProse.information_subpoena)] })
      const drafter = yield* openAiDrafter(server)
      const document = yield* drafter.draft(recordFor("information_subpoena"))
      assert.include(document.body, "9. State whether you have filed a petition in bankruptcy")
      assert.include(document.body, "10. State whether you hold an account with any online payment service")
    }))

  it.scopedLive("429 with Retry-After, then a good answer → drafted after waiting what OpenAI asked", () =>
    Effect.gen(function*() {
      const server = yield* openaiServer({
        apiKey: API_KEY,
        replies: [Reply.rateLimited(1), Reply.json(goodProse.attorney_summary)]
      })
      const drafter = yield* openAiDrafter(server)
      const document = yield* drafter.draft(recordFor("attorney_summary"))
      assert.strictEqual(document.method, "llm")
      const [first, second, ...others] = yield* Ref.get(server.requests)
      assert.lengthOf(others, 0)
      const waited = second!.receivedAt - first!.receivedAt
      assert.isAtLeast(waited, 900)
      assert.isBelow(waited, 10_000)
    }))

  it.scopedLive("429 asking for longer than the drafter waits → DraftingUnavailable with retryAfterMs, at once", () =>
    Effect.gen(function*() {
      const server = yield* openaiServer({ apiKey: API_KEY, replies: [Reply.rateLimited(120)] })
      const drafter = yield* openAiDrafter(server)
      const error = failureOf(yield* Effect.exit(drafter.draft(recordFor("attorney_summary"))))
      assert.strictEqual(error._tag, "DraftingUnavailable")
      if (error._tag === "DraftingUnavailable") {
        assert.strictEqual(error.retryAfterMs, 120_000)
        assert.include(error.message, "429")
      }
      assert.lengthOf(yield* Ref.get(server.requests), 1)
    }))

  it.scopedLive("500 every time → DraftingUnavailable after the configured tries, without the API key", () =>
    Effect.gen(function*() {
      const server = yield* openaiServer({ apiKey: API_KEY, replies: [Reply.serverError()] })
      const drafter = yield* openAiDrafter(server)
      const error = failureOf(yield* Effect.exit(drafter.draft(recordFor("cover_letter"))))
      assert.strictEqual(error._tag, "DraftingUnavailable")
      assert.include(error.message, "OpenAI answered 500")
      assertNoSecret(error, API_KEY)
      assert.lengthOf(yield* Ref.get(server.requests), 3)
    }))

  it.scopedLive("slower than the timeout → DraftingUnavailable after the configured tries", () =>
    Effect.gen(function*() {
      const server = yield* openaiServer({
        apiKey: API_KEY,
        replies: [Reply.slow(5_000, Reply.json(goodProse.cover_letter))]
      })
      const drafter = yield* openAiDrafter(server, { requestTimeout: Duration.millis(300), requestAttempts: 2 })
      const error = failureOf(yield* Effect.exit(drafter.draft(recordFor("cover_letter"))))
      assert.strictEqual(error._tag, "DraftingUnavailable")
      assert.include(error.message, "did not answer within")
      assertNoSecret(error, API_KEY)
      assert.lengthOf(yield* Ref.get(server.requests), 2)
    }))

  it.scopedLive("a rejected key → DraftingUnavailable at once, and the key OpenAI echoes back is not in the error", () =>
    Effect.gen(function*() {
      const wrongKey = "sk-wrong-KEY-9876543210fedcba"
      const server = yield* openaiServer({ apiKey: API_KEY, replies: [Reply.json(goodProse.cover_letter)] })
      const drafter = yield* openAiDrafter(server, { apiKey: Redacted.make(wrongKey) })
      const error = failureOf(yield* Effect.exit(drafter.draft(recordFor("cover_letter"))))
      assert.strictEqual(error._tag, "DraftingUnavailable")
      assert.include(error.message, "OpenAI answered 401")
      assert.include(error.message, "<redacted>")
      assertNoSecret(error, wrongKey)
      const requests = yield* Ref.get(server.requests)
      assert.lengthOf(requests, 1)
      assert.isFalse(requests[0]!.authorized)
    }))

  it.scopedLive("nothing listening → DraftingUnavailable", () =>
    Effect.gen(function*() {
      const server = yield* Effect.scoped(openaiServer({ apiKey: API_KEY, replies: [Reply.serverError()] }))
      const drafter = yield* openAiDrafter(server, { requestAttempts: 2 })
      const error = failureOf(yield* Effect.exit(drafter.draft(recordFor("cover_letter"))))
      assert.strictEqual(error._tag, "DraftingUnavailable")
      assert.include(error.message, "could not reach OpenAI")
      assertNoSecret(error, API_KEY)
    }))
})
