import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** Home of the runtime's tables and views (heartbeats, ledger, health views). */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql`CREATE SCHEMA IF NOT EXISTS workers`)
