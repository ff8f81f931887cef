import { Effect, Either, ParseResult, Schema } from "effect"
import { randomUUID } from "node:crypto"

export const EntityTypes = ["plaintiff", "judgment", "enforcement", "batch"] as const
export type EntityType = (typeof EntityTypes)[number]

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const mustBeUuid = { message: () => "must be a UUID" }
const Uuid = Schema.String.annotations(mustBeUuid).pipe(Schema.pattern(UUID_PATTERN, mustBeUuid))

const mustBeAttempt = { message: () => "must be an integer ≥ 1" }
const Attempt = Schema.Number.annotations(mustBeAttempt).pipe(
  Schema.int(mustBeAttempt),
  Schema.greaterThanOrEqualTo(1, mustBeAttempt)
)

const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):?(\d{2}))$/i

/** Calendar-checked: 2026-02-30 or 25:00 is refused rather than rolled over. */
const parseIsoTimestamp = (text: string): Date | undefined => {
  const match = ISO_TIMESTAMP.exec(text)
  if (match === null) return undefined
  const [year, month, day, hour, minute, second = 0, offsetHour = 0, offsetMinute = 0] = match.slice(1).map(
    (part) => (part === undefined ? undefined : Number(part))
  ) as Array<number>
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate()
  const inRange = month! >= 1 && month! <= 12 && day! >= 1 && day! <= daysInMonth && hour! <= 23 &&
    minute! <= 59 && second <= 59 && offsetHour <= 23 && offsetMinute <= 59
  const date = new Date(text)
  return inRange && !Number.isNaN(date.getTime()) ? date : undefined
}

const IsoTimestamp = Schema.transformOrFail(Schema.String, Schema.DateFromSelf, {
  strict: true,
  decode: (text, _options, ast) => {
    const date = parseIsoTimestamp(text)
    return date === undefined
      ? ParseResult.fail(
        new ParseResult.Type(ast, text, "must be an ISO 8601 timestamp with a time zone, e.g. 2026-01-06T12:00:00Z")
      )
      : ParseResult.succeed(date)
  },
  encode: (date) => ParseResult.succeed(date.toISOString())
}).annotations({ message: () => "must be an ISO 8601 timestamp with a time zone, e.g. 2026-01-06T12:00:00Z" })

const isJsonObject = (value: unknown): value is { readonly [key: string]: unknown } =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const JsonObject = Schema.Unknown.pipe(Schema.filter(isJsonObject, { message: () => "must be a JSON object" }))

const isEntityType = (value: string): value is EntityType => (EntityTypes as ReadonlyArray<string>).includes(value)

/**
 * The wire format of every job on every queue (deployment guide, "Job Envelope Specification").
 * `job_id`, `trace_id`, `attempt` and `created_at` are filled when absent; the rest is required.
 * Unknown top-level fields are ignored.
 */
export class JobEnvelope extends Schema.Class<JobEnvelope>("JobEnvelope")({
  job_id: Schema.optionalWith(Uuid, { default: () => randomUUID(), nullable: true }),
  trace_id: Schema.optionalWith(Uuid, { default: () => randomUUID(), nullable: true }),
  org_id: Uuid,
  idempotency_key: Schema.String.pipe(
    Schema.minLength(1, { message: () => "must not be empty" }),
    Schema.maxLength(512, { message: () => "must be at most 512 characters" })
  ),
  entity_type: Schema.String.pipe(
    Schema.filter(isEntityType, { message: () => `must be one of ${EntityTypes.join(", ")}` })
  ),
  entity_id: Schema.String.pipe(Schema.pattern(/\S/, { message: () => "must not be empty" })),
  attempt: Schema.optionalWith(Attempt, { default: () => 1, nullable: true }),
  created_at: Schema.optionalWith(IsoTimestamp, { default: () => new Date(), nullable: true }),
  payload: JsonObject
}) {
  /** The guide's `JobEnvelope.parse(payload)`: decodes or throws `InvalidEnvelopeError`. */
  static parse(input: unknown): JobEnvelope {
    return Either.getOrThrowWith(decodeEither(input), (error) => error)
  }
}

/** The fields a producer supplies; `make` fills the rest. */
export type JobEnvelopeInput = ConstructorParameters<typeof JobEnvelope>[0]

export const make = (input: JobEnvelopeInput): JobEnvelope => new JobEnvelope(input)

export interface FieldProblem {
  readonly field: string
  readonly problem: string
}

/** A message that is not a valid JobEnvelope. Dead-lettered at once, never retried. */
export class InvalidEnvelope extends Schema.TaggedError<InvalidEnvelope>()("InvalidEnvelope", {
  problems: Schema.Array(Schema.Struct({ field: Schema.String, problem: Schema.String }))
}) {
  override get message() {
    return `Invalid job envelope: ${this.problems.map(({ field, problem }) => `${field} ${problem}`).join("; ")}`
  }
}

/** The guide's name for the error `JobEnvelope.parse` throws. */
export const InvalidEnvelopeError = InvalidEnvelope
export type InvalidEnvelopeError = InvalidEnvelope

/** One problem per field: the first, which is ours (the alternatives of `nullable` add noise). */
const problemsOf = (error: ParseResult.ParseError): Array<FieldProblem> => {
  const problems = new Map<string, string>()
  for (const issue of ParseResult.ArrayFormatter.formatErrorSync(error)) {
    const field = issue.path.length === 0 ? "(envelope)" : issue.path.map(String).join(".")
    if (problems.has(field)) continue
    problems.set(
      field,
      issue._tag === "Missing" ? "is required" : issue.path.length === 0 ? "must be a JSON object" : issue.message
    )
  }
  return [...problems].map(([field, problem]) => ({ field, problem }))
}

const decodeUnknownEither = Schema.decodeUnknownEither(JobEnvelope, { errors: "all" })

/** Decoding by the Schema alone: the definition `decodeEither` must agree with. */
export const decodeWithSchema = (input: unknown): Either.Either<JobEnvelope, InvalidEnvelope> =>
  Either.mapLeft(decodeUnknownEither(input), (error) => new InvalidEnvelope({ problems: problemsOf(error) }))

const isUuid = (value: unknown): value is string => typeof value === "string" && UUID_PATTERN.test(value)

const absent = (value: unknown): value is null | undefined => value === undefined || value === null

/**
 * The common case without the Schema, for the worker's and the API's hot paths: every field
 * well-formed by the Schema's own rules, the optional ones absent or null (given their defaults, as
 * the Schema does) or valid. Anything else (a problem to report) is left to the Schema; the
 * envelope tests check that both agree.
 */
const decodeWellFormed = (input: unknown): JobEnvelope | undefined => {
  if (!isJsonObject(input)) return undefined
  const { attempt, created_at, entity_id, entity_type, idempotency_key, job_id, org_id, payload, trace_id } = input
  if (!(absent(job_id) || isUuid(job_id)) || !(absent(trace_id) || isUuid(trace_id)) || !isUuid(org_id)) return undefined
  if (typeof idempotency_key !== "string" || idempotency_key.length < 1 || idempotency_key.length > 512) return undefined
  if (typeof entity_type !== "string" || !isEntityType(entity_type)) return undefined
  if (typeof entity_id !== "string" || !/\S/.test(entity_id)) return undefined
  if (!absent(attempt) && (typeof attempt !== "number" || !Number.isSafeInteger(attempt) || attempt < 1)) return undefined
  if (!(absent(created_at) || typeof created_at === "string") || !isJsonObject(payload)) return undefined
  const createdAt = absent(created_at) ? new Date() : parseIsoTimestamp(created_at)
  if (createdAt === undefined) return undefined
  return new JobEnvelope({
    job_id: absent(job_id) ? randomUUID() : job_id,
    trace_id: absent(trace_id) ? randomUUID() : trace_id,
    org_id,
    idempotency_key,
    entity_type,
    entity_id,
    attempt: absent(attempt) ? 1 : attempt,
    created_at: createdAt,
    payload
  }, true)
}

export const decodeEither = (input: unknown): Either.Either<JobEnvelope, InvalidEnvelope> => {
  const decoded = decodeWellFormed(input)
  return decoded === undefined ? decodeWithSchema(input) : Either.right(decoded)
}

export const decode = (input: unknown): Effect.Effect<JobEnvelope, InvalidEnvelope> => decodeEither(input)

/** The JSON that goes on the queue. */
export const encode = Schema.encodeSync(JobEnvelope)
