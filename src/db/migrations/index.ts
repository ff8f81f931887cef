import type { SqlClient } from "@effect/sql"
import type { Effect } from "effect"
import pgmq from "./0001_pgmq.js"
import workersSchema from "./0002_workers_schema.js"
import queues from "./0003_queues.js"
import workerRuntime from "./0004_worker_runtime.js"
import domain from "./0005_domain.js"
import probe from "./0006_probe.js"
import completeJobs from "./0007_complete_jobs.js"
import api from "./0008_api.js"
import jobLookups from "./0009_job_lookups.js"
import deliveries from "./0010_deliveries.js"
import imports from "./0011_imports.js"
import enforcementComms from "./0012_enforcement_comms.js"
import awaitMessages from "./0013_await_messages.js"
import probeOut from "./0014_probe_out.js"
import workerGone from "./0015_worker_gone.js"
import queueSamples from "./0016_queue_samples.js"
import dashboard from "./0017_dashboard.js"

/** Every migration, by `<id>_<name>`; ids only ever grow. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0001_pgmq": pgmq,
  "0002_workers_schema": workersSchema,
  "0003_queues": queues,
  "0004_worker_runtime": workerRuntime,
  "0005_domain": domain,
  "0006_probe": probe,
  "0007_complete_jobs": completeJobs,
  "0008_api": api,
  "0009_job_lookups": jobLookups,
  "0010_deliveries": deliveries,
  "0011_imports": imports,
  "0012_enforcement_comms": enforcementComms,
  "0013_await_messages": awaitMessages,
  "0014_probe_out": probeOut,
  "0015_worker_gone": workerGone,
  "0016_queue_samples": queueSamples,
  "0017_dashboard": dashboard
}

export const latestMigrationId = Math.max(...Object.keys(migrations).map((key) => Number(key.split("_")[0])))
