import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { pgmqCompatSql } from "../pgmq/compatSql.js"

/** The real extension where the server offers it (Supabase); otherwise our compatible schema. */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const [row] = yield* sql<{ readonly available: boolean }>`
    SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgmq') AS available`
  if (row?.available) {
    yield* sql`CREATE EXTENSION IF NOT EXISTS pgmq`
  } else {
    yield* sql.unsafe(pgmqCompatSql)
  }
})
