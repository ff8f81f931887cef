// Placeholder: replaced by the pgmq-compatible schema.
export const pgmqCompatSql = `CREATE SCHEMA IF NOT EXISTS pgmq;`
