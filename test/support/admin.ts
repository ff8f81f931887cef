import pg from "pg"

/** The same server, another database. */
export const databaseUrl = (serverUrl: string, database: string) => {
  const url = new URL(serverUrl)
  url.pathname = `/${database}`
  return url.toString()
}

/** One statement on its own connection (CREATE/DROP DATABASE cannot run in a pool's transaction). */
export const adminQuery = async (url: string, statement: string) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await client.query(statement)
  } finally {
    await client.end()
  }
}
