import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Exit } from "effect"
import fc from "fast-check"
import * as Envelope from "../src/envelope/index.js"
import { InvalidEnvelope, InvalidEnvelopeError, JobEnvelope } from "../src/envelope/index.js"

const ORG = "770e8400-e29b-41d4-a716-446655440002"
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

const minimal = {
  org_id: ORG,
  idempotency_key: "plaintiff:intake:12345",
  entity_type: "plaintiff",
  entity_id: "12345",
  payload: { action: "score_collectability" }
}

/** The guide's first example, verbatim: every field present and valid. */
const guideSchemaExample = {
  job_id: "550e8400-e29b-41d4-a716-446655440000",
  trace_id: "660e8400-e29b-41d4-a716-446655440001",
  org_id: ORG,
  idempotency_key: "plaintiff:intake:12345",
  entity_type: "plaintiff",
  entity_id: "12345",
  attempt: 1,
  created_at: "2026-01-06T12:00:00Z",
  payload: { action: "score_collectability", priority: "high" }
}

/**
 * The guide's "Example: Ingest Job", verbatim. It is illustrative, not valid: its job_id and
 * trace_id are elided ("a1b2c3d4-...") and its org_id is a slug, while the field reference says
 * UUID. We follow the field reference, so this envelope is dead-lettered as invalid_envelope.
 */
const guideIngestExample = {
  job_id: "a1b2c3d4-...",
  trace_id: "e5f6g7h8-...",
  org_id: "org-dragonfly-prod",
  idempotency_key: "ingest:batch:2026-01-06-001",
  entity_type: "batch",
  entity_id: "batch-2026-01-06-001",
  attempt: 1,
  created_at: "2026-01-06T10:00:00Z",
  payload: { file_path: "uploads/simplicity_2026-01-06.csv", source: "simplicity", row_count: 150 }
}

/** The guide's "Example: Scoring Job", verbatim: invalid for the same three reasons. */
const guideScoringExample = {
  job_id: "b2c3d4e5-...",
  trace_id: "e5f6g7h8-...",
  org_id: "org-dragonfly-prod",
  idempotency_key: "score:plaintiff:12345",
  entity_type: "plaintiff",
  entity_id: "12345",
  attempt: 1,
  created_at: "2026-01-06T10:05:00Z",
  payload: { action: "compute_collectability", judgment_ids: ["j-001", "j-002", "j-003"] }
}

const valid: ReadonlyArray<readonly [string, unknown]> = [
  ["the guide's schema example", guideSchemaExample],
  ["only the required fields", minimal],
  ["the ingest example with real UUIDs", {
    ...guideIngestExample,
    job_id: "a1b2c3d4-0000-4000-8000-000000000001",
    trace_id: "e5f6a7b8-0000-4000-8000-000000000002",
    org_id: ORG
  }],
  ["the scoring example with real UUIDs", {
    ...guideScoringExample,
    job_id: "b2c3d4e5-0000-4000-8000-000000000003",
    trace_id: null,
    org_id: ORG
  }],
  ["entity_type judgment", { ...minimal, entity_type: "judgment" }],
  ["entity_type enforcement", { ...minimal, entity_type: "enforcement" }],
  ["entity_type batch", { ...minimal, entity_type: "batch" }],
  ["a 512-character idempotency key", { ...minimal, idempotency_key: "k".repeat(512) }],
  ["attempt 7", { ...minimal, attempt: 7 }],
  ["created_at with an offset and milliseconds", { ...minimal, created_at: "2026-01-06T07:00:00.250-05:00" }],
  ["an empty payload object", { ...minimal, payload: {} }],
  ["unknown top-level fields (ignored)", { ...minimal, priority: "high" }]
]

const invalid: ReadonlyArray<readonly [string, unknown, ReadonlyArray<string>]> = [
  ["the guide's ingest example", guideIngestExample, [
    "job_id: must be a UUID",
    "org_id: must be a UUID",
    "trace_id: must be a UUID"
  ]],
  ["the guide's scoring example", guideScoringExample, [
    "job_id: must be a UUID",
    "org_id: must be a UUID",
    "trace_id: must be a UUID"
  ]],
  ["not an object", "hello", ["(envelope): must be a JSON object"]],
  ["null", null, ["(envelope): must be a JSON object"]],
  ["an empty object", {}, [
    "entity_id: is required",
    "entity_type: is required",
    "idempotency_key: is required",
    "org_id: is required",
    "payload: is required"
  ]],
  ["org_id a number", { ...minimal, org_id: 42 }, ["org_id: must be a UUID"]],
  ["empty idempotency key", { ...minimal, idempotency_key: "" }, ["idempotency_key: must not be empty"]],
  ["a 513-character idempotency key", { ...minimal, idempotency_key: "k".repeat(513) }, [
    "idempotency_key: must be at most 512 characters"
  ]],
  ["unknown entity_type", { ...minimal, entity_type: "debtor" }, [
    "entity_type: must be one of plaintiff, judgment, enforcement, batch"
  ]],
  ["blank entity_id", { ...minimal, entity_id: "  " }, ["entity_id: must not be empty"]],
  ["attempt 0", { ...minimal, attempt: 0 }, ["attempt: must be an integer ≥ 1"]],
  ["attempt 1.5", { ...minimal, attempt: 1.5 }, ["attempt: must be an integer ≥ 1"]],
  ["created_at on the 30th of February", { ...minimal, created_at: "2026-02-30T10:00:00Z" }, [
    "created_at: must be an ISO 8601 timestamp with a time zone, e.g. 2026-01-06T12:00:00Z"
  ]],
  ["created_at not a timestamp", { ...minimal, created_at: "yesterday" }, [
    "created_at: must be an ISO 8601 timestamp with a time zone, e.g. 2026-01-06T12:00:00Z"
  ]],
  ["created_at without a zone", { ...minimal, created_at: "2026-01-06T12:00:00" }, [
    "created_at: must be an ISO 8601 timestamp with a time zone, e.g. 2026-01-06T12:00:00Z"
  ]],
  ["created_at an impossible date", { ...minimal, created_at: "2026-02-30T25:61:00Z" }, [
    "created_at: must be an ISO 8601 timestamp with a time zone, e.g. 2026-01-06T12:00:00Z"
  ]],
  ["payload an array", { ...minimal, payload: [1, 2] }, ["payload: must be a JSON object"]],
  ["payload a string", { ...minimal, payload: "{}" }, ["payload: must be a JSON object"]],
  ["payload null", { ...minimal, payload: null }, ["payload: must be a JSON object"]],
  ["every field wrong at once", {
    job_id: 1,
    org_id: "x",
    idempotency_key: "",
    entity_type: "x",
    entity_id: "",
    attempt: -1,
    payload: 3
  }, [
    "attempt: must be an integer ≥ 1",
    "entity_id: must not be empty",
    "entity_type: must be one of plaintiff, judgment, enforcement, batch",
    "idempotency_key: must not be empty",
    "job_id: must be a UUID",
    "org_id: must be a UUID",
    "payload: must be a JSON object"
  ]]
]

const problemsOf = (error: InvalidEnvelope) =>
  error.problems.map(({ field, problem }) => `${field}: ${problem}`).sort()

describe("JobEnvelope", () => {
  it.each(valid)("accepts %s", (_name, input) => {
    const envelope = JobEnvelope.parse(input)
    assert.instanceOf(envelope, JobEnvelope)
    assert.match(envelope.job_id, /^[0-9a-f-]{36}$/)
    assert.match(envelope.trace_id, /^[0-9a-f-]{36}$/)
    assert.isTrue(envelope.attempt >= 1)
    assert.instanceOf(envelope.created_at, Date)
  })

  it.each(invalid)("rejects %s, naming every problem", (_name, input, expected) => {
    const error = Either.flip(Either.try({ try: () => JobEnvelope.parse(input), catch: (e) => e }))
    assert.isTrue(Either.isRight(error))
    const thrown = Either.getOrThrow(error)
    assert.instanceOf(thrown, InvalidEnvelopeError)
    assert.deepStrictEqual(problemsOf(thrown as InvalidEnvelope), [...expected].sort())
  })

  it("keeps the values it is given", () => {
    const envelope = JobEnvelope.parse(guideSchemaExample)
    assert.deepStrictEqual(Envelope.encode(envelope), { ...guideSchemaExample, created_at: "2026-01-06T12:00:00.000Z" })
  })

  it("fills the automatic fields when absent or null", () => {
    const before = Date.now()
    const envelope = JobEnvelope.parse({ ...minimal, job_id: null, attempt: null })
    assert.match(envelope.job_id, UUID_V4)
    assert.match(envelope.trace_id, UUID_V4)
    assert.notStrictEqual(envelope.job_id, envelope.trace_id)
    assert.strictEqual(envelope.attempt, 1)
    assert.isTrue(envelope.created_at.getTime() >= before && envelope.created_at.getTime() <= Date.now())
  })

  it("make fills the automatic fields and encodes to the wire format", () => {
    const envelope = Envelope.make({
      org_id: ORG,
      idempotency_key: "score:plaintiff:1",
      entity_type: "plaintiff",
      entity_id: "1",
      payload: { action: "compute_collectability" }
    })
    const wire = Envelope.encode(envelope)
    assert.match(wire.job_id ?? "", UUID_V4)
    assert.strictEqual(wire.attempt, 1)
    assert.match(wire.created_at ?? "", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    assert.deepStrictEqual(JobEnvelope.parse(JSON.parse(JSON.stringify(wire))), envelope)
  })

  it("make refuses what parse refuses", () => {
    assert.throws(() =>
      Envelope.make({
        org_id: "not-a-uuid",
        idempotency_key: "k",
        entity_type: "plaintiff",
        entity_id: "1",
        payload: {}
      })
    )
  })

  it.effect("decode fails with the tagged InvalidEnvelope", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Envelope.decode({ ...minimal, org_id: "nope" }))
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(Envelope.decode({ ...minimal, org_id: "nope" }))
      assert.strictEqual(error._tag, "InvalidEnvelope")
      assert.strictEqual(error.message, "Invalid job envelope: org_id must be a UUID")
      const ok = yield* Envelope.decode(minimal)
      assert.strictEqual(ok.org_id, ORG)
    }))
})

describe("decodeEither's fast path agrees with the Schema", () => {
  const FIELDS = ["job_id", "trace_id", "org_id", "idempotency_key", "entity_type", "entity_id", "attempt", "created_at", "payload"] as const
  const uuid = fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase()), fc.constantFrom("a1b2c3d4-...", "", "not-a-uuid"))
  const field = {
    job_id: uuid,
    trace_id: uuid,
    org_id: uuid,
    idempotency_key: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("", "k".repeat(512), "k".repeat(513), "\u0000", "ключ")),
    entity_type: fc.oneof(fc.constantFrom(...Envelope.EntityTypes), fc.constantFrom("Plaintiff", "debtor", "")),
    entity_id: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(" ", "\t\n", "x")),
    attempt: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constantFrom(1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, "1")),
    created_at: fc.oneof(
      fc.date({ min: new Date("1990-01-01"), max: new Date("2100-01-01") }).map((d) => d.toISOString()),
      fc.constantFrom("2026-02-30T00:00:00Z", "2026-01-06T12:00:00", "2026-01-06T25:00:00Z", "2026-01-06T12:00:00+05:30", "2026-01-06")
    ),
    payload: fc.oneof(fc.object({ maxDepth: 2 }), fc.constantFrom(null, [], "x", 1))
  }
  const valid = {
    job_id: fc.uuid(),
    trace_id: fc.uuid(),
    org_id: fc.uuid(),
    idempotency_key: fc.string({ minLength: 1, maxLength: 30 }),
    entity_type: fc.constantFrom(...Envelope.EntityTypes),
    entity_id: fc.constantFrom("12345", "batch-7"),
    attempt: fc.integer({ min: 1, max: 5 }),
    created_at: fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01") }).map((d) => d.toISOString()),
    payload: fc.object({ maxDepth: 1 })
  }
  /** Each field valid, present but odd, absent, null or of another type, plus unknown fields. */
  const envelope = fc.record(
    Object.fromEntries(
      FIELDS.map((name) => [
        name,
        fc.oneof({ weight: 30, arbitrary: valid[name] }, { weight: 6, arbitrary: field[name] }, fc.constantFrom(undefined, null, 42, {}))
      ])
    )
  ).chain((fields) =>
    fc.record({ extra: fc.option(fc.string(), { nil: undefined }) }).map(({ extra }) => {
      const out: Record<string, unknown> = {}
      for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value
      if (extra !== undefined) out.extra = extra
      return out
    })
  )

  /** What must agree: validity, the problems, and every field the input gave (defaults are random). */
  const comparable = (input: Record<string, unknown>, result: Either.Either<JobEnvelope, InvalidEnvelope>) =>
    Either.match(result, {
      onLeft: (error) => ({ problems: error.problems }),
      onRight: (decoded) => ({
        fields: Object.fromEntries(
          FIELDS.filter((name) => input[name] !== undefined && input[name] !== null).map((name) => [name, decoded[name]])
        )
      })
    })

  it("on 5,000 generated envelopes, valid or not", () => {
    let fast = 0
    fc.assert(
      fc.property(envelope, (input) => {
        const decoded = Envelope.decodeEither(input)
        if (FIELDS.every((name) => input[name] !== undefined && input[name] !== null) && Either.isRight(decoded)) fast++
        assert.deepStrictEqual(comparable(input, decoded), comparable(input, Envelope.decodeWithSchema(input)))
        if (Either.isRight(decoded)) assert.instanceOf(decoded.right, JobEnvelope)
      }),
      { numRuns: 5_000, seed: 20261201 }
    )
    // The generator reaches the fast path often enough for the comparison to mean something.
    assert.isAbove(fast, 100)
  })

  it("the guide's first example takes the fast path and equals the Schema's result", () => {
    const viaSchema = Either.getOrThrow(Envelope.decodeWithSchema(guideSchemaExample))
    const decoded = Either.getOrThrow(Envelope.decodeEither(guideSchemaExample))
    assert.deepStrictEqual({ ...decoded }, { ...viaSchema })
    assert.strictEqual(decoded.created_at.toISOString(), "2026-01-06T12:00:00.000Z")
  })
})
