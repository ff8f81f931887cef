import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as Multipart from "@effect/platform/Multipart"
import { JSONSchema, Schema } from "effect"
import {
  type DeadLetterEntry,
  type DeadLetterGroup,
  DeadLetterStates,
  type ReplayAudit,
  type ReplayRecord
} from "../deadletter/DeadLetters.js"
import { type Batch, BatchStatuses } from "../domain/imports/index.js"
import { JobEnvelope, MAX_JSON_DEPTH, nestsAtMost } from "../envelope/index.js"
import { JobStates } from "../jobs/JobRequests.js"

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const Uuid = Schema.String.pipe(
  Schema.pattern(UUID_PATTERN, { message: () => "must be a UUID" })
).annotations({ format: "uuid" })

const Timestamp = Schema.Date.annotations({ description: "ISO 8601 timestamp" })
const NonEmpty = Schema.Trim.pipe(Schema.minLength(1, { message: () => "must not be empty" }), Schema.maxLength(500))
const IntFromString = Schema.NumberFromString.pipe(Schema.int())

// ---------------------------------------------------------------------------------------------
// health

export class Liveness extends Schema.Class<Liveness>("Liveness")({
  status: Schema.Literal("ok"),
  service: Schema.String,
  version: Schema.String,
  uptime_seconds: Schema.Number
}) {}

export const Check = Schema.Struct({
  ok: Schema.Boolean,
  detail: Schema.String
})
export type Check = typeof Check.Type

export const Checks = Schema.Struct({
  database: Check,
  pgmq: Check,
  migrations: Check
})
export type Checks = typeof Checks.Type

export class DatabaseHealthy extends Schema.Class<DatabaseHealthy>("DatabaseHealthy")({
  status: Schema.Literal("ok"),
  checks: Checks
}) {}

export class DatabaseUnhealthy extends Schema.TaggedError<DatabaseUnhealthy>()(
  "DatabaseUnhealthy",
  { message: Schema.String, checks: Checks },
  HttpApiSchema.annotations({ status: 503 })
) {}

// ---------------------------------------------------------------------------------------------
// jobs

/**
 * The request body of an enqueue: any JSON no deeper than MAX_JSON_DEPTH (deeper is a 400),
 * decoded by the handler so that every field problem can be listed (422). Documented as the envelope.
 */
export const EnvelopeBody = Schema.Unknown.pipe(
  Schema.filter((body) => nestsAtMost(body, MAX_JSON_DEPTH), {
    message: () => `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`
  })
).annotations({
  identifier: "JobEnvelopeInput",
  description: "A job envelope; job_id, trace_id, attempt and created_at are filled when absent.",
  jsonSchema: JSONSchema.make(Schema.encodedSchema(JobEnvelope))
})

export class JobAccepted extends Schema.Class<JobAccepted>("JobAccepted")({
  job_id: Schema.String,
  msg_id: Schema.Number,
  queue: Schema.String,
  trace_id: Schema.String
}, HttpApiSchema.annotations({ status: 202, description: "Enqueued" })) {}

/** Most envelopes `POST /v1/jobs/{queue}/batch` takes at once. */
export const MAX_BATCH_ENVELOPES = 1000

export const BatchEnqueueRequest = Schema.Struct({
  jobs: Schema.Array(EnvelopeBody).pipe(
    Schema.minItems(1, { message: () => "jobs must hold at least one envelope" }),
    Schema.maxItems(MAX_BATCH_ENVELOPES, { message: () => `jobs may hold at most ${MAX_BATCH_ENVELOPES} envelopes` })
  )
}).annotations({ identifier: "BatchEnqueueRequest" })

const FieldProblem = Schema.Struct({ field: Schema.String, problem: Schema.String })

/** One envelope's outcome, at its index in the request. */
export const BatchItemResult = Schema.Union(
  Schema.Struct({
    index: Schema.Number,
    status: Schema.Literal("created"),
    job_id: Schema.String,
    msg_id: Schema.Number,
    trace_id: Schema.String
  }),
  Schema.Struct({
    index: Schema.Number,
    status: Schema.Literal("duplicate"),
    job_id: Schema.String,
    msg_id: Schema.Number,
    queue: Schema.String,
    enqueued_at: Timestamp
  }),
  Schema.Struct({ index: Schema.Number, status: Schema.Literal("invalid"), problems: Schema.Array(FieldProblem) }),
  Schema.Struct({ index: Schema.Number, status: Schema.Literal("conflict"), message: Schema.String })
)

export class BatchEnqueued extends Schema.Class<BatchEnqueued>("BatchEnqueued")({
  queue: Schema.String,
  created: Schema.Number,
  duplicates: Schema.Number,
  invalid: Schema.Number,
  conflicts: Schema.Number,
  results: Schema.Array(BatchItemResult)
}, { description: "Each envelope's outcome: created, duplicate (of the job named), invalid (its field problems) or conflict" }) {}

export class JobAlreadyEnqueued extends Schema.Class<JobAlreadyEnqueued>("JobAlreadyEnqueued")({
  job_id: Schema.String,
  msg_id: Schema.Number,
  queue: Schema.String,
  enqueued_at: Timestamp,
  duplicate: Schema.Literal(true)
}, { description: "The (org_id, idempotency_key) was enqueued before: nothing was sent" }) {}

export const LastError = Schema.Struct({
  reason: Schema.String,
  tag: Schema.String,
  message: Schema.String,
  details: Schema.optional(Schema.Unknown),
  at: Timestamp,
  dead_letter_id: Schema.Number
})

export class JobStatus extends Schema.Class<JobStatus>("JobStatus")({
  job_id: Schema.String,
  state: Schema.Literal(...JobStates).annotations({
    description: "scheduled: waiting for its delay; queued: visible; in_flight: taken by a worker; " +
      "completed: acknowledged; dead_lettered: in the dead-letter queue; archived: left its queue without a record"
  }),
  queue: Schema.NullOr(Schema.String),
  msg_id: Schema.NullOr(Schema.Number),
  org_id: Schema.NullOr(Schema.String),
  idempotency_key: Schema.NullOr(Schema.String),
  attempts: Schema.Number.annotations({ description: "deliveries of the current message (pgmq read_ct)" }),
  enqueued_at: Schema.NullOr(Timestamp),
  visible_at: Schema.NullOr(Timestamp),
  completed_at: Schema.NullOr(Timestamp),
  worker_id: Schema.NullOr(Schema.String),
  last_error: Schema.NullOr(LastError),
  replays: Schema.Number.annotations({ description: "times the job was replayed from the dead-letter queue" })
}) {}

// ---------------------------------------------------------------------------------------------
// queues and workers

export class QueueMetrics extends Schema.Class<QueueMetrics>("QueueMetrics")({
  queue_name: Schema.String,
  depth: Schema.Number,
  visible: Schema.Number,
  oldest_msg_age_sec: Schema.NullOr(Schema.Number),
  newest_msg_age_sec: Schema.NullOr(Schema.Number),
  total_messages: Schema.Number,
  dead_letters: Schema.Number,
  live_consumers: Schema.Number,
  scale_out: Schema.Boolean,
  oldest_over_30_min: Schema.Boolean,
  no_consumers: Schema.Boolean
}) {}

export class PeekedMessage extends Schema.Class<PeekedMessage>("PeekedMessage")({
  msg_id: Schema.Number,
  read_ct: Schema.Number,
  enqueued_at: Timestamp,
  vt: Timestamp,
  visible: Schema.Boolean,
  message: Schema.Unknown
}) {}

export class QueueDetail extends Schema.Class<QueueDetail>("QueueDetail")({
  metrics: QueueMetrics,
  messages: Schema.Array(PeekedMessage)
}) {}

export class QueueList extends Schema.Class<QueueList>("QueueList")({
  queues: Schema.Array(QueueMetrics)
}) {}

export class QueueSample extends Schema.Class<QueueSample>("QueueSample")({
  queue_name: Schema.String,
  sampled_at: Timestamp,
  depth: Schema.Number,
  visible: Schema.Number,
  oldest_msg_age_sec: Schema.NullOr(Schema.Number),
  rate_in: Schema.NullOr(Schema.Number).annotations({ description: "messages sent per second since the previous sample" }),
  rate_out: Schema.NullOr(Schema.Number).annotations({
    description: "messages that left the queue (completed, dead-lettered) per second since the previous sample"
  })
}) {}

export class QueueHistory extends Schema.Class<QueueHistory>("QueueHistory")({
  sample_every_seconds: Schema.Number,
  samples: Schema.Array(QueueSample)
}) {}

export const QueueHistoryParams = Schema.Struct({
  hours: Schema.optional(IntFromString.pipe(Schema.between(1, 48))).annotations({
    description: "how far back (default 6 hours, at most the 48 kept)"
  })
})

export const QueuePeekParams = Schema.Struct({
  peek: Schema.optional(IntFromString.pipe(Schema.between(0, 100)))
})

export class WorkerHealth extends Schema.Class<WorkerHealth>("WorkerHealth")({
  worker_id: Schema.String,
  service: Schema.String,
  queue_name: Schema.String,
  queues: Schema.Array(Schema.String),
  status: Schema.String,
  health: Schema.Literal("healthy", "draining", "stale", "gone", "stopped"),
  host: Schema.String,
  pid: Schema.Number,
  version: Schema.String,
  started_at: Timestamp,
  last_heartbeat_at: Timestamp,
  seconds_since_heartbeat: Schema.Number,
  heartbeat_interval_seconds: Schema.Number,
  concurrency: Schema.Number,
  jobs_processed: Schema.Number,
  jobs_failed: Schema.Number,
  jobs_dead_lettered: Schema.Number,
  jobs_in_flight: Schema.Number,
  last_error: Schema.NullOr(Schema.String),
  last_error_at: Schema.NullOr(Timestamp),
  gone_reason: Schema.NullOr(Schema.String).annotations({
    description: "why a silent worker is judged gone (its process holds no database session, a newer one replaced it, or silent for an hour)"
  })
}) {}

export class WorkerList extends Schema.Class<WorkerList>("WorkerList")({
  workers: Schema.Array(WorkerHealth)
}) {}

export const WorkerParams = Schema.Struct({
  stale_minutes: Schema.optional(IntFromString.pipe(Schema.between(0, 100_000))).annotations({
    description: "only workers (not stopped) without a heartbeat for this many minutes"
  })
})

// ---------------------------------------------------------------------------------------------
// dead letters

export class Replay extends Schema.Class<Replay>("Replay")({
  dead_letter_id: Schema.Number,
  source_queue: Schema.String,
  new_msg_id: Schema.Number,
  job_id: Schema.NullOr(Schema.String),
  replayed_at: Timestamp,
  replayed_by: Schema.String,
  reason: Schema.String
}) {
  static readonly fromRecord = (replay: ReplayRecord) =>
    new Replay({
      dead_letter_id: replay.deadLetterId,
      source_queue: replay.sourceQueue,
      new_msg_id: replay.newMsgId,
      job_id: replay.jobId,
      replayed_at: replay.replayedAt,
      replayed_by: replay.replayedBy,
      reason: replay.reason
    })
}

export class DeadLetterView extends Schema.Class<DeadLetterView>("DeadLetter")({
  id: Schema.Number,
  state: Schema.Literal(...DeadLetterStates),
  source_queue: Schema.String,
  source_msg_id: Schema.Number,
  reason: Schema.String,
  error: Schema.Struct({ tag: Schema.String, message: Schema.String, details: Schema.optional(Schema.Unknown) }),
  read_ct: Schema.Number,
  job_id: Schema.NullOr(Schema.String),
  trace_id: Schema.NullOr(Schema.String),
  worker_id: Schema.String,
  enqueued_at: Schema.String.annotations({ description: "when the original message was enqueued" }),
  dead_lettered_at: Timestamp,
  original: Schema.Unknown,
  replay: Schema.NullOr(Replay)
}) {
  static readonly fromEntry = (entry: DeadLetterEntry) =>
    new DeadLetterView({
      id: entry.id,
      state: entry.state,
      source_queue: entry.record.source_queue,
      source_msg_id: entry.record.source_msg_id,
      reason: entry.record.reason,
      error: entry.record.error,
      read_ct: entry.record.read_ct,
      job_id: entry.record.job_id,
      trace_id: entry.record.trace_id,
      worker_id: entry.record.worker_id,
      enqueued_at: entry.record.enqueued_at,
      dead_lettered_at: entry.deadLetteredAt,
      original: entry.record.original,
      replay: entry.replay === null ? null : Replay.fromRecord(entry.replay)
    })
}

export class DeadLetterPage extends Schema.Class<DeadLetterPage>("DeadLetterPage")({
  dead_letters: Schema.Array(DeadLetterView),
  next_cursor: Schema.NullOr(Schema.String)
}) {}

const DeadLetterFilterFields = {
  source_queue: Schema.optional(Schema.String),
  reason: Schema.optional(Schema.String),
  since: Schema.optional(Schema.Date).annotations({ description: "dead-lettered at or after (ISO 8601)" }),
  until: Schema.optional(Schema.Date).annotations({ description: "dead-lettered before (ISO 8601)" }),
  signature: Schema.optional(Schema.String).annotations({
    description: "the error's signature, as `GET /v1/dead-letters/groups` shows it"
  })
}

export const DeadLetterFilter = Schema.Struct(DeadLetterFilterFields)
export type DeadLetterFilter = typeof DeadLetterFilter.Type

export const DeadLetterListParams = Schema.Struct({
  ...DeadLetterFilterFields,
  state: Schema.optional(Schema.Literal("pending", "resolved")).annotations({
    description: "pending (default): still in the dead-letter queue; resolved: replayed or archived"
  }),
  cursor: Schema.optional(Schema.String).annotations({ description: "next_cursor of the previous page" }),
  limit: Schema.optional(IntFromString.pipe(Schema.between(1, 500)))
})

export const DeadLetterId = Schema.Struct({ id: IntFromString.pipe(Schema.positive()) })

export class ReplayRequest extends Schema.Class<ReplayRequest>("ReplayRequest")({
  replayed_by: NonEmpty.annotations({ description: "who replays (recorded)" }),
  reason: NonEmpty.annotations({ description: "why (recorded)" })
}) {}

export class BulkReplayRequest extends Schema.Class<BulkReplayRequest>("BulkReplayRequest")({
  filter: DeadLetterFilter,
  dry_run: Schema.optionalWith(Schema.Boolean, { default: () => true }).annotations({
    description: "true (the default): only count what would be replayed"
  }),
  limit: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 1000)), { default: () => 100 }),
  replayed_by: Schema.optional(NonEmpty).annotations({ description: "required unless dry_run" }),
  reason: Schema.optional(NonEmpty).annotations({ description: "required unless dry_run" })
}) {}

export class DeadLetterGroupView extends Schema.Class<DeadLetterGroupView>("DeadLetterGroup")({
  source_queue: Schema.String,
  reason: Schema.String,
  signature: Schema.String.annotations({
    description: "the error's tag and message with what varies from job to job (ids, times, numbers, values) taken out"
  }),
  dead_letters: Schema.Number.annotations({ description: "pending dead letters in the group" }),
  first_dead_lettered_at: Timestamp,
  last_dead_lettered_at: Timestamp,
  newest_id: Schema.Number,
  newest_error: Schema.String.annotations({ description: "the newest one's error message, as it was" })
}) {
  static readonly fromGroup = (group: DeadLetterGroup) =>
    new DeadLetterGroupView({
      source_queue: group.sourceQueue,
      reason: group.reason,
      signature: group.signature,
      dead_letters: group.deadLetters,
      first_dead_lettered_at: group.firstDeadLetteredAt,
      last_dead_lettered_at: group.lastDeadLetteredAt,
      newest_id: group.newestId,
      newest_error: group.newestError
    })
}

export class DeadLetterGroups extends Schema.Class<DeadLetterGroups>("DeadLetterGroups")({
  groups: Schema.Array(DeadLetterGroupView),
  pending: Schema.Number.annotations({ description: "pending dead letters in the groups listed" })
}) {}

export const DeadLetterGroupParams = Schema.Struct({
  limit: Schema.optional(IntFromString.pipe(Schema.between(1, 500))).annotations({ description: "default 100 groups" })
})

export class ReplayAuditView extends Schema.Class<ReplayAuditView>("ReplayAudit")({
  ...Replay.fields,
  dead_letter_reason: Schema.NullOr(Schema.String),
  signature: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String).annotations({ description: "the dead letter's error message" })
}) {
  static readonly fromAudit = (audit: ReplayAudit) =>
    new ReplayAuditView({
      ...Replay.fromRecord(audit),
      dead_letter_reason: audit.deadLetterReason,
      signature: audit.signature,
      error: audit.error
    })
}

export class ReplayTrail extends Schema.Class<ReplayTrail>("ReplayTrail")({
  replays: Schema.Array(ReplayAuditView)
}) {}

export const ReplayTrailParams = Schema.Struct({
  source_queue: Schema.optional(Schema.String),
  replayed_by: Schema.optional(Schema.String),
  limit: Schema.optional(IntFromString.pipe(Schema.between(1, 500))).annotations({ description: "default 50, newest first" })
})

export class BulkReplayResult extends Schema.Class<BulkReplayResult>("BulkReplayResult")({
  dry_run: Schema.Boolean,
  matched: Schema.Number.annotations({ description: "pending dead letters that match the filter" }),
  replayed: Schema.Array(Replay)
}) {}

// ---------------------------------------------------------------------------------------------
// uploads

export const UploadBody = Schema.Union(
  HttpApiSchema.Uint8Array({ contentType: "text/csv" }),
  HttpApiSchema.Multipart(Schema.Struct({ file: Multipart.SingleFileSchema }))
)

export const UploadParams = Schema.Struct({
  org_id: Schema.optional(Uuid).annotations({ description: "required with enqueue: the import job's org_id" }),
  enqueue: Schema.optional(Schema.Literal("ingest", "simplicity")).annotations({
    description: "also enqueue the import job (ingest_raw or simplicity_import) in the same transaction"
  }),
  filename: Schema.optional(Schema.String.pipe(Schema.maxLength(255)))
})

export class EnqueuedJob extends Schema.Class<EnqueuedJob>("EnqueuedJob")({
  job_id: Schema.String,
  msg_id: Schema.Number,
  queue: Schema.String,
  duplicate: Schema.Boolean
}) {}

const UploadFields = {
  file_path: Schema.String,
  sha256: Schema.String,
  size_bytes: Schema.Number,
  job: Schema.NullOr(EnqueuedJob)
}

export class UploadCreated extends Schema.Class<UploadCreated>("UploadCreated")(
  { ...UploadFields, created: Schema.Literal(true) },
  HttpApiSchema.annotations({ status: 201, description: "Stored" })
) {}

export class UploadExisting extends Schema.Class<UploadExisting>("UploadExisting")(
  { ...UploadFields, created: Schema.Literal(false) },
  { description: "The same bytes were uploaded before: nothing new was stored" }
) {}

// ---------------------------------------------------------------------------------------------
// score results

export const OrgScope = Schema.Struct({
  org_id: Uuid.annotations({ description: "the organisation the record belongs to" })
})

const Evidence = {
  evidence_field: Schema.String,
  evidence_value: Schema.Unknown
}

export const Factor = Schema.Struct({ code: Schema.String, points: Schema.Number, ...Evidence })
export const GateFailure = Schema.Struct({ code: Schema.String, ...Evidence })

export class CollectabilityScore extends Schema.Class<CollectabilityScore>("CollectabilityScore")({
  tier: Schema.Literal("A", "B", "C", "D", "X"),
  score: Schema.NullOr(Schema.Number),
  raw_score: Schema.NullOr(Schema.Number),
  gates_failed: Schema.Array(Schema.String),
  gate_evidence: Schema.Array(GateFailure),
  factors: Schema.Array(Factor),
  flags: Schema.Array(Schema.String),
  score_version: Schema.String,
  computed_at: Timestamp,
  job_id: Schema.NullOr(Schema.String)
}) {}

export class JudgmentResult extends Schema.Class<JudgmentResult>("JudgmentResult")({
  org_id: Schema.String,
  judgment_id: Schema.String,
  plaintiff_id: Schema.String,
  case_number: Schema.NullOr(Schema.String),
  status: Schema.String,
  judgment_date: Schema.String,
  current_balance_cents: Schema.Number,
  collectability: Schema.NullOr(CollectabilityScore).annotations({ description: "null until scored" })
}) {}

const TierTotals = Schema.Struct({ count: Schema.Number, balance_cents: Schema.Number })

export class PlaintiffRollup extends Schema.Class<PlaintiffRollup>("PlaintiffRollup")({
  by_tier: Schema.Struct({ A: TierTotals, B: TierTotals, C: TierTotals, D: TierTotals, X: TierTotals }),
  expected_recovery_index_cents: Schema.Number,
  judgments_scored: Schema.Number,
  judgments_total: Schema.Number,
  score_version: Schema.String,
  computed_at: Timestamp
}) {}

export class PlaintiffCollectability extends Schema.Class<PlaintiffCollectability>("PlaintiffCollectability")({
  org_id: Schema.String,
  plaintiff_id: Schema.String,
  name: Schema.String,
  rollup: Schema.NullOr(PlaintiffRollup).annotations({ description: "null until scored" }),
  judgments: Schema.Array(JudgmentResult)
}) {}

// ---------------------------------------------------------------------------------------------
// import batches

export const BatchParams = Schema.Struct({
  org_id: Uuid.annotations({ description: "the organisation the batch belongs to" })
})

export const BatchListParams = Schema.Struct({
  org_id: Schema.optional(Uuid).annotations({ description: "one organisation's batches (default: every organisation's)" }),
  status: Schema.optional(Schema.Literal(...BatchStatuses)),
  limit: Schema.optional(IntFromString.pipe(Schema.between(1, 500))).annotations({ description: "default 50, newest first" })
})

export const QuarantineParams = Schema.Struct({
  org_id: Uuid.annotations({ description: "the organisation the batch belongs to" }),
  after: Schema.optional(IntFromString.pipe(Schema.nonNegative())).annotations({
    description: "only rows after this row number (the `next_after` of the previous page)"
  }),
  limit: Schema.optional(IntFromString.pipe(Schema.between(1, 1000))).annotations({ description: "default 100" })
})

export class BatchView extends Schema.Class<BatchView>("Batch")({
  batch_id: Schema.String.annotations({ description: "the import job's job_id" }),
  org_id: Schema.String,
  source: Schema.String,
  layout: Schema.Literal("generic", "simplicity"),
  file_path: Schema.String,
  status: Schema.Literal("running", "completed", "partial", "failed"),
  expected_row_count: Schema.NullOr(Schema.Number).annotations({ description: "row_count of the job, if given" }),
  rows_read: Schema.Number.annotations({ description: "data rows read (blank rows aside)" }),
  rows_blank: Schema.Number,
  inserted: Schema.Number,
  updated: Schema.Number,
  unchanged: Schema.Number,
  quarantined: Schema.Number,
  rows_committed: Schema.Number.annotations({ description: "rows whose outcome is committed: the progress" }),
  errors: Schema.Array(Schema.Struct({ code: Schema.String, message: Schema.String })),
  deliveries: Schema.Number,
  queue: Schema.String,
  started_at: Timestamp,
  updated_at: Timestamp,
  finished_at: Schema.NullOr(Timestamp)
}) {}

/** A batch record as the API (and the CLI's --json) shows it. */
export const batchView = (batch: Batch) =>
  new BatchView({
    batch_id: batch.id,
    org_id: batch.orgId,
    source: batch.source,
    layout: batch.layout,
    file_path: batch.filePath,
    status: batch.status,
    expected_row_count: batch.expectedRowCount,
    rows_read: batch.rowsRead,
    rows_blank: batch.rowsBlank,
    inserted: batch.inserted,
    updated: batch.updated,
    unchanged: batch.unchanged,
    quarantined: batch.quarantined,
    rows_committed: batch.rowsCommitted,
    errors: batch.errors,
    deliveries: batch.deliveries,
    queue: batch.queueName,
    started_at: batch.startedAt,
    updated_at: batch.updatedAt,
    finished_at: batch.finishedAt
  })

export class BatchList extends Schema.Class<BatchList>("BatchList")({
  batches: Schema.Array(BatchView)
}) {}

export class QuarantinedRowView extends Schema.Class<QuarantinedRowView>("QuarantinedRow")({
  row_number: Schema.Number.annotations({ description: "1 = the first row after the header" }),
  raw: Schema.Record({ key: Schema.String, value: Schema.String }).annotations({
    description: "the row as read, by column; a full SSN is never shown"
  }),
  reasons: Schema.Array(Schema.Struct({ field: Schema.String, problem: Schema.String })),
  quarantined_at: Timestamp
}) {}

export class QuarantinePage extends Schema.Class<QuarantinePage>("QuarantinePage")({
  batch_id: Schema.String,
  rows: Schema.Array(QuarantinedRowView),
  next_after: Schema.NullOr(Schema.Number).annotations({ description: "pass as `after` for the next page; null at the end" })
}) {}

// ---------------------------------------------------------------------------------------------
// enforcement plans

export class PlanTaskView extends Schema.Class<PlanTaskView>("PlanTask")({
  task_id: Schema.String,
  position: Schema.Number,
  rule_id: Schema.String.annotations({ description: "R1–R11 of the rule table, or C8 for the validation notice" }),
  action: Schema.String,
  status: Schema.String.annotations({ description: "pending, waiting, held, blocked, done, cancelled or superseded" }),
  preconditions: Schema.Unknown.annotations({ description: "[{code, ok, detail}]: what was checked" }),
  due_date: Schema.NullOr(Schema.String),
  timer: Schema.Unknown,
  next_step: Schema.String,
  requires_attorney_signoff: Schema.Boolean,
  signed_off_by: Schema.NullOr(Schema.String),
  signed_off_at: Schema.NullOr(Timestamp),
  garnishee: Schema.NullOr(Schema.String),
  details: Schema.Unknown
}) {}

export class PlanDraftView extends Schema.Class<PlanDraftView>("PlanDraft")({
  draft_id: Schema.String,
  task_id: Schema.String,
  kind: Schema.String,
  status: Schema.Literal("ready", "failed"),
  method: Schema.Literal("template", "llm"),
  template_id: Schema.String,
  template_version: Schema.String,
  prompt_version: Schema.NullOr(Schema.String),
  model: Schema.NullOr(Schema.String),
  title: Schema.NullOr(Schema.String),
  body: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String).annotations({ description: "why a draft failed" }),
  created_at: Timestamp
}) {}

export class PlanSummary extends Schema.Class<PlanSummary>("PlanSummary")({
  plan_id: Schema.String,
  org_id: Schema.String,
  judgment_id: Schema.String,
  version: Schema.Number,
  status: Schema.Literal("active", "superseded"),
  planner_version: Schema.String,
  rules_version: Schema.String,
  as_of: Schema.String,
  score_version: Schema.NullOr(Schema.String),
  tier: Schema.NullOr(Schema.String),
  rate_percent: Schema.Number,
  gates: Schema.Unknown.annotations({ description: "[{code, passed, reason}]" }),
  rules: Schema.Unknown.annotations({ description: "[{ruleId, outcome, reason}]: every rule, fired, blocked or not applicable" }),
  interest: Schema.Unknown.annotations({ description: "the interest computation, to the cent, at the correct rate" }),
  created_at: Timestamp,
  superseded_at: Schema.NullOr(Timestamp),
  superseded_by: Schema.NullOr(Schema.String)
}) {}

export class PlanView extends Schema.Class<PlanView>("Plan")({
  plan: PlanSummary,
  tasks: Schema.Array(PlanTaskView),
  drafts: Schema.Array(PlanDraftView).annotations({ description: "the latest draft of each kind and method, per task" })
}) {}

export class PlanHistory extends Schema.Class<PlanHistory>("PlanHistory")({
  plans: Schema.Array(PlanSummary).annotations({ description: "newest first" })
}) {}

// ---------------------------------------------------------------------------------------------
// communications

export class OutboxMessageView extends Schema.Class<OutboxMessageView>("OutboxMessage")({
  outbox_id: Schema.String,
  org_id: Schema.String,
  judgment_id: Schema.String,
  task_id: Schema.NullOr(Schema.String),
  channel: Schema.Literal("email", "sms"),
  kind: Schema.String,
  recipient: Schema.String,
  subject: Schema.NullOr(Schema.String),
  body: Schema.String,
  status: Schema.String.annotations({ description: "pending, deferred, sending, sent, blocked, failed or review" }),
  job_id: Schema.String,
  requested_by: Schema.String,
  not_before: Schema.NullOr(Timestamp).annotations({ description: "a deferred message is sent at this instant" }),
  send_attempts: Schema.Number,
  deferrals: Schema.Number,
  provider: Schema.NullOr(Schema.String),
  provider_message_id: Schema.NullOr(Schema.String),
  blocked_rule: Schema.NullOr(Schema.String).annotations({ description: "the C-rule that blocked it" }),
  decision: Schema.Unknown.annotations({ description: "the comms guard's last decision with every rule's outcome" }),
  error: Schema.NullOr(Schema.String),
  created_at: Timestamp,
  sent_at: Schema.NullOr(Timestamp)
}) {}

export class OutboxMessageList extends Schema.Class<OutboxMessageList>("OutboxMessageList")({
  messages: Schema.Array(OutboxMessageView)
}) {}

export class MessageRequest extends Schema.Class<MessageRequest>("MessageRequest")({
  org_id: Uuid,
  judgment_id: Schema.String.pipe(Schema.minLength(1)),
  channel: Schema.Literal("email", "sms"),
  kind: Schema.Literal("initial", "follow_up", "collection_stopped"),
  idempotency_key: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200))).annotations({
    description: "the same key again answers the first message"
  })
}) {}

export class MessageAccepted extends Schema.Class<MessageAccepted>("MessageAccepted")({
  outbox_id: Schema.String,
  job_id: Schema.String,
  created: Schema.Boolean.annotations({ description: "false: the key named an existing message" })
}, HttpApiSchema.annotations({ status: 202 })) {}

export class InboundRequest extends Schema.Class<InboundRequest>("InboundMessage")({
  org_id: Uuid,
  channel: Schema.Literal("sms"),
  from: Schema.String.pipe(Schema.minLength(1)).annotations({ description: "the sender's number (E.164 or NANP)" }),
  body: Schema.String
}) {}

export class InboundAccepted extends Schema.Class<InboundAccepted>("InboundAccepted")({
  opted_out: Schema.Boolean,
  suppression_id: Schema.NullOr(Schema.Number),
  debts: Schema.Array(Schema.String).annotations({ description: "the judgments whose debtor has this number" }),
  confirmation_outbox_id: Schema.NullOr(Schema.String).annotations({ description: "the one confirmation text allowed" })
}) {}

const EventChannel = Schema.Literal("email", "sms", "call")

export const DebtorEventBody = Schema.Union(
  Schema.Struct({ type: Schema.Literal("consent"), channel: EventChannel, kind: Schema.Literal("written", "prior_express") }),
  Schema.Struct({ type: Schema.Literal("consent_revoked", "do_not_use"), channel: EventChannel }),
  Schema.Struct({ type: Schema.Literal("cease", "attorney", "dispute", "verification_mailed", "conversation") }),
  Schema.Struct({ type: Schema.Literal("call_attempt"), connected: Schema.Boolean, consented: Schema.optional(Schema.Boolean) })
)

export class DebtorEventRequest extends Schema.Class<DebtorEventRequest>("DebtorEventRequest")({
  org_id: Uuid,
  judgment_id: Schema.String.pipe(Schema.minLength(1)),
  event: DebtorEventBody.annotations({
    description: "consent / consent_revoked / do_not_use (per channel), cease, attorney, dispute, verification_mailed, " +
      "conversation (a telephone conversation about the debt), call_attempt"
  }),
  at: Schema.optional(Schema.Date).annotations({ description: "when it happened; default now" }),
  source: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200))).annotations({
    description: "who recorded it or where it came from; default api"
  })
}) {}

export class DebtorEventRecorded extends Schema.Class<DebtorEventRecorded>("DebtorEventRecorded")({
  judgment_id: Schema.String,
  type: Schema.String,
  at: Timestamp
}, HttpApiSchema.annotations({ status: 201 })) {}

export class TaskSignOffRequest extends Schema.Class<TaskSignOffRequest>("TaskSignOffRequest")({
  org_id: Uuid,
  signed_off_by: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)).annotations({
    description: "the attorney who signs (name, bar number)"
  })
}) {}

export class TaskStatusRequest extends Schema.Class<TaskStatusRequest>("TaskStatusRequest")({
  org_id: Uuid,
  status: Schema.Literal("waiting", "done", "cancelled").annotations({
    description: "waiting: served, its timer running; done; cancelled"
  })
}) {}

export class TaskUpdated extends Schema.Class<TaskUpdated>("TaskUpdated")({
  task_id: Schema.String
}) {}
