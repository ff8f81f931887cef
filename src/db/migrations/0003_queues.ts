import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** The queues of the service catalogue as of this migration; later queues get later migrations. */
export const queues = [
  "ingest_raw",
  "simplicity_import",
  "score_collectability",
  "enforcement_plan",
  "comms_outbound",
  "dead_letter"
] as const

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(queues, (queue) => sql`SELECT pgmq.create(${queue}::text)`, { discard: true }))
