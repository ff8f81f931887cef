import {
  HttpApi,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSecurity,
  OpenApi
} from "@effect/platform"
import { Schema } from "effect"
import { InvalidEnvelope } from "../envelope/index.js"
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
  BatchParams,
  BatchView,
  BulkReplayRequest,
  BulkReplayResult,
  DatabaseHealthy,
  DatabaseUnhealthy,
  DeadLetterId,
  DeadLetterListParams,
  DeadLetterPage,
  DeadLetterView,
  EnvelopeBody,
  JobAccepted,
  JobAlreadyEnqueued,
  JobStatus,
  JudgmentResult,
  Liveness,
  OrgScope,
  PlaintiffCollectability,
  QueueDetail,
  QueueList,
  QuarantineParams,
  QuarantinePage,
  QueuePeekParams,
  Replay,
  ReplayRequest,
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
      .annotate(OpenApi.Summary, "Enqueue a job (idempotent by org_id and idempotency_key)")
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
      .annotate(OpenApi.Description, "Newest first; filter by source queue, reason and time; page with `cursor`")
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

/** The whole API: served by `Server.ts`, documented at /openapi.json and /docs, and the client's contract. */
export class Api extends HttpApi.make("dragonfly")
  .add(HealthGroup)
  .add(JobsGroup)
  .add(QueuesGroup)
  .add(WorkersGroup)
  .add(DeadLettersGroup)
  .add(UploadsGroup)
  .add(BatchesGroup)
  .add(ResultsGroup)
  .addError(MalformedBody)
  .addError(PayloadTooLarge)
  .addError(InternalServerError)
  .addError(ServiceUnavailable)
  .annotate(OpenApi.Title, "Dragonfly API")
  .annotate(OpenApi.Description, "Jobs, queues, workers, dead letters, uploads, import batches and collectability results")
{}
