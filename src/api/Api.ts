import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { InvalidEnvelope } from "../envelope/index.js"
import { InvalidPayload } from "../runtime/index.js"
import {
  BadRequest,
  Conflict,
  InternalServerError,
  MalformedBody,
  NotFound,
  PayloadTooLarge,
  ServiceUnavailable,
  Unauthorized,
  UnsupportedMediaType
} from "./errors.js"
import {
  BatchEnqueued,
  BatchEnqueueRequest,
  BatchList,
  BatchListParams,
  BatchParams,
  BatchView,
  BulkReplayRequest,
  BulkReplayResult,
  DatabaseHealthy,
  DatabaseUnhealthy,
  DeadLetterGroupParams,
  DeadLetterGroups,
  DeadLetterId,
  DeadLetterListParams,
  DeadLetterPage,
  DeadLetterView,
  EnvelopeBody,
  DebtorEventRecorded,
  DebtorEventRequest,
  InboundAccepted,
  InboundRequest,
  MessageAccepted,
  MessageRequest,
  OutboxMessageList,
  OutboxMessageView,
  PlanHistory,
  PlanView,
  TaskSignOffRequest,
  TaskStatusRequest,
  TaskUpdated,
  JobAccepted,
  JobAlreadyEnqueued,
  JobStatus,
  JudgmentResult,
  Liveness,
  OrgScope,
  PlaintiffCollectability,
  QueueDetail,
  QueueHistory,
  QueueHistoryParams,
  QueueList,
  QuarantineParams,
  QuarantinePage,
  QueuePeekParams,
  Replay,
  ReplayRequest,
  ReplayTrail,
  ReplayTrailParams,
  UploadBody,
  UploadCreated,
  UploadExisting,
  UploadParams,
  Uuid,
  WorkerList,
  WorkerParams
} from "./schemas.js"

/**
 * The API key, as `X-API-Key: <key>` or `Authorization: Bearer <key>`. When both headers are sent,
 * both must carry the key.
 */
export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("api/Authentication", {
  failure: Unauthorized,
  security: {
    apiKey: HttpApiSecurity.apiKey({ key: "X-API-Key", in: "header" }),
    bearer: HttpApiSecurity.bearer
  }
}) {}

export class HealthGroup extends HttpApiGroup.make("health", { topLevel: true })
  .add(
    HttpApiEndpoint.get("health", "/health").addSuccess(Liveness)
      .annotate(OpenApi.Summary, "Liveness: answers without touching the database")
  )
  .add(
    HttpApiEndpoint.get("healthDb", "/health/db").addSuccess(DatabaseHealthy).addError(DatabaseUnhealthy)
      .annotate(OpenApi.Summary, "Database reachable, pgmq present, migrations current")
  )
  .annotate(OpenApi.Title, "health")
{}

/** Prometheus's text format, behind the API key like every /v1 endpoint. */
export class MetricsGroup extends HttpApiGroup.make("metrics")
  .add(
    HttpApiEndpoint.get("metrics", "/metrics")
      .addSuccess(HttpApiSchema.Text({ contentType: "text/plain; version=0.0.4; charset=utf-8" }))
      .annotate(
        OpenApi.Summary,
        "Metrics in Prometheus's text format: jobs enqueued, API requests, queue depth and oldest age (sampled every 5 s)"
      )
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "metrics")
{}

export class JobsGroup extends HttpApiGroup.make("jobs")
  .add(
    HttpApiEndpoint.post("enqueue", "/v1/jobs/:queue")
      .setPath(Schema.Struct({ queue: Schema.String }))
      .setPayload(EnvelopeBody)
      .addSuccess(JobAccepted)
      .addSuccess(JobAlreadyEnqueued)
      .addError(NotFound)
      .addError(Conflict)
      .addError(InvalidEnvelope, { status: 422 })
      .addError(InvalidPayload, { status: 422 })
      .annotate(OpenApi.Summary, "Enqueue a job (idempotent by org_id and idempotency_key)")
      .annotate(
        OpenApi.Description,
        "422 InvalidEnvelope when the envelope is not one; 422 InvalidPayload when its payload is not what the " +
          "queue's service accepts (each problem names its field, `payload.<field>`, as the worker would)"
      )
  )
  .add(
    HttpApiEndpoint.post("enqueueBatch", "/v1/jobs/:queue/batch")
      .setPath(Schema.Struct({ queue: Schema.String }))
      .setPayload(BatchEnqueueRequest)
      .addSuccess(BatchEnqueued)
      .addError(NotFound)
      .annotate(
        OpenApi.Summary,
        "Enqueue up to 1,000 jobs in one transaction, each answered on its own: created, duplicate, invalid or conflict"
      )
  )
  .add(
    HttpApiEndpoint.get("status", "/v1/jobs/:job_id")
      .setPath(Schema.Struct({ job_id: Uuid }))
      .addSuccess(JobStatus)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Where a job is: queued, in flight, completed or dead-lettered")
  )
  .middleware(Authentication)
{}

export class QueuesGroup extends HttpApiGroup.make("queues")
  .add(HttpApiEndpoint.get("list", "/v1/queues").addSuccess(QueueList))
  .add(
    HttpApiEndpoint.get("history", "/v1/queues/history")
      .setUrlParams(QueueHistoryParams)
      .addSuccess(QueueHistory)
      .annotate(
        OpenApi.Description,
        "Every queue's depth, visible messages, oldest age and rates in and out, sampled once a minute by the API and kept 48 hours"
      )
  )
  .add(
    HttpApiEndpoint.get("get", "/v1/queues/:queue")
      .setPath(Schema.Struct({ queue: Schema.String }))
      .setUrlParams(QueuePeekParams)
      .addSuccess(QueueDetail)
      .addError(NotFound)
      .annotate(OpenApi.Description, "Metrics, and the next `peek` messages (default 10) without changing their visibility")
  )
  .middleware(Authentication)
{}

export class WorkersGroup extends HttpApiGroup.make("workers")
  .add(HttpApiEndpoint.get("list", "/v1/workers").setUrlParams(WorkerParams).addSuccess(WorkerList))
  .middleware(Authentication)
{}

export class DeadLettersGroup extends HttpApiGroup.make("deadLetters")
  .add(
    HttpApiEndpoint.get("list", "/v1/dead-letters")
      .setUrlParams(DeadLetterListParams)
      .addSuccess(DeadLetterPage)
      .addError(BadRequest)
      .annotate(OpenApi.Description, "Newest first; filter by source queue, reason, signature and time; page with `cursor`")
  )
  .add(
    HttpApiEndpoint.get("groups", "/v1/dead-letters/groups")
      .setUrlParams(DeadLetterGroupParams)
      .addSuccess(DeadLetterGroups)
      .annotate(
        OpenApi.Description,
        "The pending dead letters grouped by source queue, reason and error signature, the largest groups first; " +
          "a group's messages are listed, and replayed, with its three fields as the filter"
      )
  )
  .add(
    HttpApiEndpoint.get("replays", "/v1/dead-letters/replays")
      .setUrlParams(ReplayTrailParams)
      .addSuccess(ReplayTrail)
      .annotate(OpenApi.Description, "The audit trail of replays, newest first: who, why, when, and what the dead letter said")
  )
  .add(
    HttpApiEndpoint.post("replayMany", "/v1/dead-letters/replay")
      .setPayload(BulkReplayRequest)
      .addSuccess(BulkReplayResult)
      .addError(BadRequest)
      .annotate(
        OpenApi.Description,
        "Replays up to `limit` pending dead letters matching `filter`; with `dry_run` (the default) only counts them"
      )
  )
  .add(
    HttpApiEndpoint.get("get", "/v1/dead-letters/:id")
      .setPath(DeadLetterId)
      .addSuccess(DeadLetterView)
      .addError(NotFound)
  )
  .add(
    HttpApiEndpoint.post("replay", "/v1/dead-letters/:id/replay")
      .setPath(DeadLetterId)
      .setPayload(ReplayRequest)
      .addSuccess(Replay)
      .addError(NotFound)
      .addError(Conflict)
      .annotate(
        OpenApi.Description,
        "Sends the original message to its source queue as a new message (fresh delivery count), records who and " +
          "why, and resolves the dead letter; a second replay answers 409"
      )
  )
  .middleware(Authentication)
{}

export class UploadsGroup extends HttpApiGroup.make("uploads")
  .add(
    HttpApiEndpoint.post("upload", "/v1/uploads")
      .setUrlParams(UploadParams)
      .setPayload(UploadBody)
      .addSuccess(UploadCreated)
      .addSuccess(UploadExisting)
      .addError(BadRequest)
      .addError(UnsupportedMediaType)
      .annotate(
        OpenApi.Description,
        "A CSV file as a text/csv body or as the `file` field of a multipart form; stored in Postgres, " +
          "deduplicated by SHA-256; answers the file_path import jobs refer to"
      )
  )
  .middleware(Authentication)
{}

export class BatchesGroup extends HttpApiGroup.make("batches")
  .add(
    HttpApiEndpoint.get("list", "/v1/batches")
      .setUrlParams(BatchListParams)
      .addSuccess(BatchList)
      .annotate(OpenApi.Description, "Import batches, newest first: every organisation's unless `org_id` is given")
  )
  .add(
    HttpApiEndpoint.get("get", "/v1/batches/:id")
      .setPath(Schema.Struct({ id: Uuid }))
      .setUrlParams(BatchParams)
      .addSuccess(BatchView)
      .addError(NotFound)
      .annotate(OpenApi.Description, "An import job's batch: its status, counts and progress (`rows_committed`)")
  )
  .add(
    HttpApiEndpoint.get("quarantine", "/v1/batches/:id/quarantine")
      .setPath(Schema.Struct({ id: Uuid }))
      .setUrlParams(QuarantineParams)
      .addSuccess(QuarantinePage)
      .addError(NotFound)
      .annotate(OpenApi.Description, "The rows the batch could not import, in row order, each with every reason")
  )
  .middleware(Authentication)
{}

export class ResultsGroup extends HttpApiGroup.make("results")
  .add(
    HttpApiEndpoint.get("judgment", "/v1/judgments/:id")
      .setPath(Schema.Struct({ id: Schema.String }))
      .setUrlParams(OrgScope)
      .addSuccess(JudgmentResult)
      .addError(NotFound)
  )
  .add(
    HttpApiEndpoint.get("plaintiff", "/v1/plaintiffs/:id/collectability")
      .setPath(Schema.Struct({ id: Schema.String }))
      .setUrlParams(OrgScope)
      .addSuccess(PlaintiffCollectability)
      .addError(NotFound)
  )
  .middleware(Authentication)
{}

export class PlansGroup extends HttpApiGroup.make("plans")
  .add(
    HttpApiEndpoint.get("inForce", "/v1/judgments/:id/plan")
      .setPath(Schema.Struct({ id: Schema.String }))
      .setUrlParams(OrgScope)
      .addSuccess(PlanView)
      .addError(NotFound)
      .annotate(OpenApi.Description, "The judgment's enforcement plan in force: gates, every rule's outcome and reason, tasks, drafts")
  )
  .add(
    HttpApiEndpoint.get("history", "/v1/judgments/:id/plans")
      .setPath(Schema.Struct({ id: Schema.String }))
      .setUrlParams(OrgScope)
      .addSuccess(PlanHistory)
      .annotate(OpenApi.Description, "Every plan of the judgment, newest first; replanning supersedes, never deletes")
  )
  .add(
    HttpApiEndpoint.get("plan", "/v1/plans/:id")
      .setPath(Schema.Struct({ id: Uuid }))
      .setUrlParams(OrgScope)
      .addSuccess(PlanView)
      .addError(NotFound)
  )
  .add(
    HttpApiEndpoint.post("signOff", "/v1/tasks/:id/signoff")
      .setPath(Schema.Struct({ id: Uuid }))
      .setPayload(TaskSignOffRequest)
      .addSuccess(TaskUpdated)
      .addError(NotFound)
      .addError(Conflict)
      .annotate(OpenApi.Description, "An attorney signs a task that needs it (restraints, executions, subpoenas), before it is acted on")
  )
  .add(
    HttpApiEndpoint.post("status", "/v1/tasks/:id/status")
      .setPath(Schema.Struct({ id: Uuid }))
      .setPayload(TaskStatusRequest)
      .addSuccess(TaskUpdated)
      .addError(NotFound)
      .addError(Conflict)
      .annotate(
        OpenApi.Description,
        "The task was served (waiting), finished (done) or dropped (cancelled); later plans read what was acted on. " +
          "A task that needs a sign-off cannot be acted on without one"
      )
  )
  .middleware(Authentication)
{}

export class CommsGroup extends HttpApiGroup.make("comms")
  .add(
    HttpApiEndpoint.get("messages", "/v1/judgments/:id/messages")
      .setPath(Schema.Struct({ id: Schema.String }))
      .setUrlParams(OrgScope)
      .addSuccess(OutboxMessageList)
      .annotate(OpenApi.Description, "The outbox messages of a debt, newest first, each with its state and the guard's decision")
  )
  .add(
    HttpApiEndpoint.get("message", "/v1/messages/:id")
      .setPath(Schema.Struct({ id: Uuid }))
      .setUrlParams(OrgScope)
      .addSuccess(OutboxMessageView)
      .addError(NotFound)
  )
  .add(
    HttpApiEndpoint.post("send", "/v1/comms/messages")
      .setPayload(MessageRequest)
      .addSuccess(MessageAccepted)
      .addError(NotFound)
      .addError(BadRequest)
      .annotate(
        OpenApi.Description,
        "Writes a message to the outbox with its comms job; the comms worker applies the communication rules when it sends"
      )
  )
  .add(
    HttpApiEndpoint.post("event", "/v1/comms/events")
      .setPayload(DebtorEventRequest)
      .addSuccess(DebtorEventRecorded)
      .addError(NotFound)
      .annotate(
        OpenApi.Description,
        "What the debtor said or did, for the communication rules: consent and its revocation, a medium not to use, " +
          "a cease request, an attorney, a dispute and its verification, a telephone conversation or a call attempt"
      )
  )
  .add(
    HttpApiEndpoint.post("inbound", "/v1/comms/inbound")
      .setPayload(InboundRequest)
      .addSuccess(InboundAccepted)
      .addError(BadRequest)
      .annotate(
        OpenApi.Description,
        "A text from a debtor, as the SMS provider relays it: an opt-out keyword (STOP, QUIT, END, REVOKE, OPT OUT, " +
          "CANCEL, UNSUBSCRIBE…, from config/legal/communications.json) stops further texts to the number at once " +
          "and queues the one confirmation allowed"
      )
  )
  .middleware(Authentication)
{}

/** The whole API: served by `Server.ts`, documented at /openapi.json and /docs, and the client's contract. */
export class Api extends HttpApi.make("dragonfly")
  .add(HealthGroup)
  .add(MetricsGroup)
  .add(JobsGroup)
  .add(QueuesGroup)
  .add(WorkersGroup)
  .add(DeadLettersGroup)
  .add(UploadsGroup)
  .add(BatchesGroup)
  .add(ResultsGroup)
  .add(PlansGroup)
  .add(CommsGroup)
  .addError(MalformedBody)
  .addError(PayloadTooLarge)
  .addError(InternalServerError)
  .addError(ServiceUnavailable)
  .annotate(OpenApi.Title, "Dragonfly API")
  .annotate(OpenApi.Description, "Jobs, queues, workers, dead letters, uploads, import batches, collectability results, enforcement plans and communications")
{}
