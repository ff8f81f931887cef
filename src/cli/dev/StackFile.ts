import { ConfigProvider, Context, Effect, Option, Redacted } from "effect"
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join, relative, resolve } from "node:path"

/** Where `dragonfly dev` keeps its cluster, key, outbox and stack file unless `--data-dir` says otherwise. */
export const DEFAULT_STACK_DIR = ".dragonfly"

const STACK_FILE = "stack.json"

/** What a running dev stack tells the CLI, in `<stack dir>/stack.json` (mode 0600, removed at stop). */
export interface StackRecord {
  readonly pid: number
  readonly database_url: string
  readonly api_url: string
  readonly api_key_file: string
  readonly started_at: string
}

export const stackFilePath = (dir: string) => join(dir, STACK_FILE)

export const writeStackFile = (dir: string, record: StackRecord) =>
  Effect.sync(() => writeFileSync(stackFilePath(dir), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 }))

/** Removes the stack file, unless a later stack has written its own since. */
export const removeStackFile = (dir: string, pid: number) =>
  Effect.sync(() => {
    const found = readRecord(stackFilePath(dir))
    if (found !== undefined && found.pid === pid) rmSync(stackFilePath(dir), { force: true })
  })

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const readRecord = (file: string): StackRecord | undefined => {
  if (!existsSync(file)) return undefined
  try {
    const record = JSON.parse(readFileSync(file, "utf8")) as Partial<StackRecord>
    return typeof record.pid === "number" && typeof record.database_url === "string" ? record as StackRecord : undefined
  } catch {
    return undefined
  }
}

const displayPath = (file: string) => {
  const fromHere = relative(process.cwd(), file)
  return fromHere.startsWith("..") ? file : fromHere
}

/** The dev stack the CLI falls back to, and the file that named it. */
export class DevStackDatabase extends Context.Tag("cli/DevStackDatabase")<DevStackDatabase, {
  readonly url: Redacted.Redacted<string>
  readonly file: string
}>() {}

/**
 * A dev stack running from `$DRAGONFLY_DEV_DIR` (default `.dragonfly` in the current directory),
 * when `SUPABASE_DB_URL` is not set: its database and the settings of a local project, to read
 * the configuration from after the environment.
 */
export const findDevStack = Effect.sync(() => {
  if (process.env["SUPABASE_DB_URL"] !== undefined) return Option.none()
  const file = stackFilePath(resolve(process.env["DRAGONFLY_DEV_DIR"] ?? DEFAULT_STACK_DIR))
  const record = readRecord(file)
  if (record === undefined || !isAlive(record.pid)) return Option.none()
  const fallback = ConfigProvider.fromMap(
    new Map([["SUPABASE_DB_URL", record.database_url], ["SUPABASE_MODE", "dev"], ["ENVIRONMENT", "development"]])
  )
  return Option.some({
    database: DevStackDatabase.of({ url: Redacted.make(record.database_url), file: displayPath(file) }),
    provider: ConfigProvider.orElse(ConfigProvider.fromEnv(), () => fallback)
  })
})
