import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiSwagger from "@effect/platform/HttpApiSwagger"
import { Effect, Layer } from "effect"
import { ApiConfig } from "../config/index.js"
import { DeadLetters } from "../deadletter/DeadLetters.js"
import { ScoreResults } from "../domain/collectability/index.js"
import { ContactHistory, OutboxMessages } from "../domain/communications/index.js"
import { PlanQueries, PlanRepository } from "../domain/enforcement/index.js"
import { ImportBatches } from "../domain/imports/index.js"
import { CommsRequests } from "../jobs/CommsRequests.js"
import { Imports } from "../jobs/Imports.js"
import { JobRequests } from "../jobs/JobRequests.js"
import { Monitoring } from "../monitoring/Monitoring.js"
import { PgmqQueue } from "../queue/PgmqQueue.js"
import { QueueDirectory } from "../queue/QueueDirectory.js"
import { Api } from "./Api.js"
import { AuthenticationLive } from "./Authentication.js"
import * as Dashboard from "./dashboard/Dashboard.js"
import { BatchesLive } from "./handlers/Batches.js"
import { CommsLive } from "./handlers/Comms.js"
import { DeadLettersLive } from "./handlers/DeadLetters.js"
import { HealthLive } from "./handlers/Health.js"
import { JobsLive } from "./handlers/Jobs.js"
import { MetricsLive } from "./handlers/Metrics.js"
import { QueuesLive, WorkersLive } from "./handlers/Monitoring.js"
import { PlansLive } from "./handlers/Plans.js"
import { ResultsLive } from "./handlers/Results.js"
import { UploadsLive } from "./handlers/Uploads.js"
import { apiMiddleware, type Limits, serverMiddleware } from "./http.js"

export type { Limits }

/** 1 MiB for JSON bodies, 20 MiB for uploads. */
export const defaultLimits: Limits = { maxBodyBytes: 1024 * 1024, maxUploadBytes: 20 * 1024 * 1024 }

const Services = Layer.mergeAll(
  JobRequests.Default,
  DeadLetters.Default,
  Imports.Default,
  ImportBatches.Default,
  Monitoring.Default,
  ScoreResults.Default,
  PlanQueries.Default,
  PlanRepository.Default,
  ContactHistory.Default,
  OutboxMessages.Default,
  CommsRequests.Default
).pipe(Layer.provideMerge(QueueDirectory.Default), Layer.provideMerge(PgmqQueue.Default))

/**
 * The API, served on the `HttpServer` the caller provides (NodeHttpServer in production, port 0
 * in tests), with the SqlClient and ApiConfig it provides: the endpoints, /openapi.json, /docs,
 * the dashboard, and the middleware of `http.ts`.
 */
export const layer = (limits: Limits = defaultLimits) =>
  Layer.unwrapEffect(Effect.map(ApiConfig, (config) => {
    const ApiLive = HttpApiBuilder.api(Api).pipe(
      Layer.provide([
        HealthLive,
        MetricsLive,
        JobsLive,
        QueuesLive,
        WorkersLive,
        DeadLettersLive,
        UploadsLive(limits.maxUploadBytes),
        BatchesLive,
        ResultsLive,
        PlansLive,
        CommsLive
      ]),
      Layer.provide(AuthenticationLive)
    )
    const shutdown = { started: false }
    // Finalized after the handler is detached and before the server closes (layers stop in reverse).
    const Draining = Layer.scopedDiscard(Effect.addFinalizer(() => Effect.sync(() => (shutdown.started = true))))
    return HttpApiBuilder.serve(
      serverMiddleware({ corsOrigins: config.corsOrigins, ...limits, draining: () => shutdown.started })
    ).pipe(
      Layer.provide(Draining),
      Layer.provide(HttpApiBuilder.middleware(apiMiddleware(limits))),
      Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
      Layer.provide(Dashboard.layer),
      Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
      Layer.provide(ApiLive),
      Layer.provide(Services)
    )
  }))
