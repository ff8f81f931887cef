import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { catalogQueues } from "./catalog.js"
import type { QueueName } from "./QueueName.js"

/**
 * The catalogue's queues whose table is missing. With the real pgmq extension a queue's tables
 * belong to the extension, so `pg_dump` leaves them out: after a restore the migrations are all
 * recorded as applied while the queues are gone.
 */
export const missingCatalogQueues = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(
    sql<{ readonly queue: QueueName }>`
      SELECT q AS queue FROM unnest(${catalogQueues}::text[]) WITH ORDINALITY AS c(q, n)
      WHERE to_regclass(format('pgmq.%I', 'q_' || q)) IS NULL
      ORDER BY n`,
    (rows) => rows.map((row) => row.queue)
  ))

/**
 * Creates the catalogue's missing queues (`db migrate` runs it every time); returns those it
 * created. A registration left without its table (pgmq.meta restored, the table not) is replaced.
 */
export const ensureCatalogQueues = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const missing = yield* missingCatalogQueues
  for (const queue of missing) {
    yield* sql.withTransaction(Effect.zipRight(
      sql`DELETE FROM pgmq.meta WHERE queue_name = ${queue}`,
      sql`SELECT pgmq.create(${queue}::text)`
    ))
  }
  return missing
}).pipe(Effect.withSpan("CatalogQueues.ensure"))
