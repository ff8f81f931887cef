import { type AiError, LanguageModel } from "@effect/ai"
import { OpenAiClient, OpenAiLanguageModel } from "@effect/ai-openai"
import type * as HttpClient from "@effect/platform/HttpClient"
import { Context, Data, Duration, Effect, Either, Layer, Option, Redacted, Ref, Schedule, Schema } from "effect"
import { OpenAiConfig, type OpenAiSettings } from "../../../config/OpenAiConfig.js"
import type { DraftDocument, DraftRecord } from "./DraftRecord.js"
import { fillSlots, fillTemplate, type ProseValue, type ProseValues, type Template, templates } from "./templates.js"
import { verifyDraft } from "./verify.js"

/** The model's answers could not be used (bad JSON, wrong shape, or a verify mismatch); stored as "draft failed". */
export class DraftFailed extends Schema.TaggedError<DraftFailed>()("DraftFailed", {
  reason: Schema.String,
  /** Answers received and rejected. */
  attempts: Schema.Int
}) {
  override get message() {
    return `draft failed after ${this.attempts} ${this.attempts === 1 ? "answer" : "answers"}: ${this.reason}`
  }
}

/** OpenAI could not be used now (outage, network, timeout, 429, 5xx, rejected request), after our own retries. */
export class DraftingUnavailable extends Schema.TaggedError<DraftingUnavailable>()("DraftingUnavailable", {
  message: Schema.String,
  /** What OpenAI asked us to wait, when it said so. */
  retryAfterMs: Schema.optional(Schema.Number)
}) {}

/** Drafts the document a record asks for. A port: the planner does not care where the prose comes from. */
export class Drafter extends Context.Tag("enforcement/Drafter")<Drafter, {
  readonly draft: (record: DraftRecord) => Effect.Effect<DraftDocument, DraftFailed | DraftingUnavailable>
}>() {}

/** Vetted template text and record values only; never fails. */
export const DrafterTemplates: Layer.Layer<Drafter> = Layer.succeed(
  Drafter,
  Drafter.of({
    draft: Effect.fn("Drafter.draft")(function*(record: DraftRecord) {
      yield* Effect.annotateCurrentSpan({ kind: record.kind, method: "template" })
      return fillTemplate(record.kind, record)
    })
  })
)

/** Logged with every model-written document, so a draft can be traced to the words that asked for it. */
export const PROMPT_VERSION = "drafting-prompt-1"

const SYSTEM_PROMPT = `You write the prose parts of a vetted document template for a New York judgment-enforcement law office. A licensed attorney reviews and signs every document before it is sent.
Rules:
- Write only the slots in the JSON schema. The rest of the document, including every amount, date, interest rate, deadline and legal requirement, is filled in from the case record by the system.
- Do not state or calculate money amounts, dates, interest rates, deadlines or exemption amounts, and do not decide whether an enforcement action is permitted.
- Use only the facts given. Do not invent names, addresses, accounts or events.
- Plain, professional English. No placeholders, no braces, no markdown.`

/** Exactly the DraftRecord fields, even if the caller's object carries more. */
const caseFacts = (record: DraftRecord) => ({
  action: record.action,
  plaintiff: { name: record.plaintiff.name },
  debtor: { name: record.debtor.name, address: record.debtor.address },
  court: { name: record.court.name, county: record.court.county },
  indexNumber: record.indexNumber,
  caseNumber: record.caseNumber,
  judgmentDate: record.judgmentDate,
  judgmentAmountCents: record.judgmentAmountCents,
  amountDueCents: record.amountDueCents,
  interestRatePercent: record.interestRatePercent,
  garnishee: record.garnishee,
  dueDate: record.dueDate
})

const userPrompt = (template: Template, record: DraftRecord) =>
  [
    `Document: ${template.id} (template version ${template.version})`,
    `Proposed action: ${record.action}`,
    `Case record (JSON): ${JSON.stringify(caseFacts(record))}`,
    `Slots you write: ${template.prose.map((slot) => slot.name).join(", ")}. ` +
    "Every other {{slot}} is filled from the case record.",
    "Template:",
    template.text
  ].join("\n")

const proseField = (slot: Template["prose"][number]): Schema.Schema<string> | Schema.Schema<ReadonlyArray<string>> =>
  slot.form === "questions"
    ? Schema.Array(Schema.String).annotations({ title: "list of strings", description: slot.instruction })
    : Schema.String.annotations({ title: "string", description: slot.instruction })

/** The JSON the model must answer with: one property per prose slot. */
const answerSchema = (template: Template) =>
  Schema.Struct(Object.fromEntries(template.prose.map((slot) => [slot.name, proseField(slot)]))).annotations({
    description: `Prose slots of the ${template.id} template`
  })

const MAX_QUESTIONS = 5
const MAX_QUESTION_CHARS = 400
const MAX_PARAGRAPH_CHARS = 1500

/**
 * Limits kept out of the JSON schema, since OpenAI's strict mode accepts only a few JSON Schema keywords.
 * Returns the cleaned prose, or why it is unusable.
 */
const checkProse = (template: Template, answer: ProseValues): Either.Either<ProseValues, string> => {
  const cleaned: Record<string, ProseValue> = {}
  for (const slot of template.prose) {
    const value = answer[slot.name]
    if (slot.form === "questions") {
      if (!Array.isArray(value)) return Either.left(`${slot.name} is not a list`)
      const questions = (value as ReadonlyArray<string>)
        .map((question) => question.replace(/\s+/g, " ").trim().replace(/^\d+[.)]\s*/, ""))
        .filter((question) => question !== "")
      if (questions.length > MAX_QUESTIONS) return Either.left(`${slot.name} has more than ${MAX_QUESTIONS} questions`)
      if (questions.some((question) => question.length > MAX_QUESTION_CHARS)) {
        return Either.left(`a question in ${slot.name} is longer than ${MAX_QUESTION_CHARS} characters`)
      }
      cleaned[slot.name] = questions
    } else {
      const paragraph = typeof value === "string" ? value.trim() : ""
      if (paragraph === "") return Either.left(`${slot.name} is empty`)
      if (paragraph.length > MAX_PARAGRAPH_CHARS) {
        return Either.left(`${slot.name} is longer than ${MAX_PARAGRAPH_CHARS} characters`)
      }
      cleaned[slot.name] = paragraph
    }
    if (/\{\{|\}\}/.test(JSON.stringify(cleaned[slot.name]))) return Either.left(`${slot.name} contains a template slot`)
  }
  return Either.right(cleaned)
}

/** Internal: OpenAI did not answer usefully; `retryable` says whether waiting could help. */
class OpenAiUnreachable extends Data.TaggedError("OpenAiUnreachable")<{
  readonly message: string
  readonly retryable: boolean
  readonly retryAfter: Option.Option<Duration.Duration>
}> {}

/** Internal: an answer arrived but cannot be used; asking again may help. */
class MalformedAnswer extends Data.TaggedError("MalformedAnswer")<{ readonly reason: string }> {}

const MAX_BACKOFF = Duration.seconds(10)
/** A longer Retry-After is not waited out in the worker: the caller reschedules the job instead. */
const MAX_RETRY_AFTER = Duration.seconds(30)

/**
 * Outages: exponential backoff from the configured base (jittered, each delay at most 10 s), at most
 * `requestAttempts` tries in all; a 429's Retry-After lengthens the wait to what OpenAI asked.
 */
export const availabilityRetry = (settings: Pick<OpenAiSettings, "requestAttempts" | "retryBaseDelay">) =>
  Schedule.exponential(settings.retryBaseDelay, 2).pipe(
    Schedule.jittered,
    Schedule.either(Schedule.spaced(MAX_BACKOFF)),
    Schedule.intersect(Schedule.recurs(settings.requestAttempts - 1)),
    Schedule.intersect(
      Schedule.identity<unknown>().pipe(
        Schedule.addDelay((error) =>
          error instanceof OpenAiUnreachable ? Option.getOrElse(error.retryAfter, () => Duration.zero) : Duration.zero
        )
      )
    )
  )

/** Malformed or mismatched answers: ask again right away, `draftAttempts` answers in all. */
export const malformedAnswerRetry = (settings: Pick<OpenAiSettings, "draftAttempts">) =>
  Schedule.recurs(settings.draftAttempts - 1)

/** `retry-after-ms` (sent by OpenAI) or `retry-after` in seconds; an HTTP-date falls back to our backoff. */
const retryAfterOf = (headers: Readonly<Record<string, unknown>>): Option.Option<Duration.Duration> => {
  const millis = Number(headers["retry-after-ms"])
  if (typeof headers["retry-after-ms"] === "string" && Number.isFinite(millis) && millis >= 0) {
    return Option.some(Duration.millis(millis))
  }
  const seconds = Number(headers["retry-after"])
  return typeof headers["retry-after"] === "string" && Number.isFinite(seconds) && seconds >= 0
    ? Option.some(Duration.seconds(seconds))
    : Option.none()
}

/** OpenAI's `{"error": {"message": ...}}`, or the start of whatever the body was. */
const describeBody = (body: string | undefined) => {
  if (body === undefined || body.trim() === "") return ""
  try {
    const parsed: unknown = JSON.parse(body)
    const error = typeof parsed === "object" && parsed !== null && "error" in parsed ? parsed.error : undefined
    if (typeof error === "object" && error !== null && "message" in error) return String(error.message)
    if (typeof parsed === "string") return parsed
  } catch {
    // not JSON: a proxy's HTML page, say
  }
  return body.trim()
}

const truncate = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`)

const causeText = (cause: unknown) => (cause instanceof Error && cause.message !== "" ? `: ${cause.message}` : "")

const isRetryableStatus = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500

const make = Effect.gen(function*() {
  const settings = yield* OpenAiConfig
  const languageModel = yield* LanguageModel.LanguageModel
  const availability = availabilityRetry(settings)
  const malformed = malformedAnswerRetry(settings)
  const timeoutLabel = Duration.format(settings.requestTimeout)

  /** Keeps the API key out of text we did not write (response bodies, error causes). */
  const scrub = (text: string) => {
    const key = Redacted.value(settings.apiKey)
    return truncate(key.length >= 8 ? text.split(key).join("<redacted>") : text, 500)
  }

  const classify = (error: AiError.AiError): Effect.Effect<never, OpenAiUnreachable | MalformedAnswer> => {
    switch (error._tag) {
      case "HttpRequestError":
        return new OpenAiUnreachable({
          message: scrub(`could not reach OpenAI (${error.reason}${causeText(error.cause)})`),
          retryable: error.reason === "Transport",
          retryAfter: Option.none()
        })
      case "HttpResponseError": {
        if (error.reason !== "StatusCode") {
          return new MalformedAnswer({ reason: scrub(`OpenAI sent an unreadable response (${error.reason})`) })
        }
        const status = error.response.status
        const retryAfter = status === 429 ? retryAfterOf(error.response.headers) : Option.none()
        const waitTooLong = Option.exists(retryAfter, Duration.greaterThan(MAX_RETRY_AFTER))
        const detail = describeBody(error.description ?? error.body)
        return new OpenAiUnreachable({
          message: scrub(`OpenAI answered ${status}${detail === "" ? "" : `: ${detail}`}`),
          retryable: isRetryableStatus(status) && !waitTooLong,
          retryAfter
        })
      }
      case "MalformedOutput":
        return new MalformedAnswer({
          reason: scrub(`${error.description ?? "the answer could not be decoded"}${causeText(error.cause)}`)
        })
      case "UnknownError":
        return new OpenAiUnreachable({ message: scrub(error.message), retryable: true, retryAfter: Option.none() })
      case "MalformedInput":
        // we built the prompt, so OpenAI's client refusing it is a bug here
        return Effect.die(error)
    }
  }

  const askForProse = (template: Template, record: DraftRecord) =>
    languageModel.generateObject({
      prompt: [
        { role: "system", content: SYSTEM_PROMPT },
        { role: "user", content: userPrompt(template, record) }
      ],
      schema: answerSchema(template),
      objectName: `${template.id}_prose`
    }).pipe(
      Effect.catchAll(classify),
      Effect.timeoutFail({
        duration: settings.requestTimeout,
        onTimeout: () =>
          new OpenAiUnreachable({
            message: `OpenAI did not answer within ${timeoutLabel}`,
            retryable: true,
            retryAfter: Option.none()
          })
      }),
      Effect.tapErrorTag("OpenAiUnreachable", (error) =>
        Effect.logWarning("OpenAI unavailable for drafting").pipe(Effect.annotateLogs({ reason: error.message }))),
      Effect.retry({
        schedule: availability,
        while: (error) => error._tag === "OpenAiUnreachable" && error.retryable
      })
    )

  const draftOnce = Effect.fnUntraced(function*(template: Template, record: DraftRecord) {
    const response = yield* askForProse(template, record)
    const prose = yield* Either.match(checkProse(template, response.value), {
      onLeft: (reason) => Effect.fail(new MalformedAnswer({ reason })),
      onRight: Effect.succeed
    })
    const modelId = response.content.flatMap((part) =>
      part.type === "response-metadata" ? Option.toArray(part.modelId) : []
    )[0] ?? settings.model
    const document: DraftDocument = {
      kind: template.kind,
      templateId: template.id,
      templateVersion: template.version,
      method: "llm",
      promptVersion: PROMPT_VERSION,
      model: modelId,
      ...fillSlots(template, record, prose)
    }
    return yield* Either.match(verifyDraft(document, record), {
      onLeft: (rejected) => Effect.fail(new MalformedAnswer({ reason: rejected.message })),
      onRight: Effect.succeed
    })
  })

  const draft = Effect.fn("Drafter.draft")(function*(record: DraftRecord) {
    const template = templates[record.kind]
    yield* Effect.annotateCurrentSpan({
      kind: record.kind,
      method: "llm",
      templateId: template.id,
      templateVersion: template.version,
      promptVersion: PROMPT_VERSION,
      model: settings.model
    })
    const rejectedAnswers = yield* Ref.make(0)
    return yield* draftOnce(template, record).pipe(
      Effect.tapErrorTag("MalformedAnswer", (error) =>
        Ref.updateAndGet(rejectedAnswers, (n) => n + 1).pipe(
          Effect.flatMap((answer) =>
            Effect.logWarning("unusable draft answer").pipe(Effect.annotateLogs({ answer, reason: error.reason }))
          )
        )),
      Effect.retry({ schedule: malformed, while: (error) => error._tag === "MalformedAnswer" }),
      Effect.catchTags({
        MalformedAnswer: (error) =>
          Effect.flatMap(Ref.get(rejectedAnswers), (attempts) => new DraftFailed({ reason: error.reason, attempts })),
        OpenAiUnreachable: (error) =>
          new DraftingUnavailable({
            message: error.message,
            ...Option.match(error.retryAfter, {
              onNone: () => ({}),
              onSome: (wait) => ({ retryAfterMs: Duration.toMillis(wait) })
            })
          })
      })
    )
  })

  return Drafter.of({ draft })
})

/** OpenAI's Responses API behind @effect/ai, configured from OpenAiConfig (key, base URL, model). */
const OpenAiLanguageModelFromConfig = Layer.unwrapEffect(
  Effect.map(OpenAiConfig, (settings) =>
    OpenAiLanguageModel.layer({
      model: settings.model,
      // drafts hold case data: do not keep them on OpenAI's side
      config: { store: false }
    }).pipe(Layer.provide(OpenAiClient.layer({ apiKey: settings.apiKey, apiUrl: settings.baseUrl }))))
)

/**
 * The model writes the prose slots; record slots, verification and retries stay here. Needs
 * OpenAiConfig and an HttpClient (NodeHttpClient.layerUndici in the workers).
 */
export const DrafterOpenAi: Layer.Layer<Drafter, never, OpenAiConfig | HttpClient.HttpClient> = Layer.effect(
  Drafter,
  make
).pipe(Layer.provide(OpenAiLanguageModelFromConfig))
