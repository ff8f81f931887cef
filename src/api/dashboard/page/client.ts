import type { Schema } from "effect"
import type {
  BatchList,
  BulkReplayResult,
  DeadLetterGroups,
  DeadLetterPage,
  QuarantinePage,
  QueueHistory,
  QueueList,
  Replay,
  ReplayTrail,
  WorkerList
} from "../../schemas.js"

/** What the API answers, as JSON: the encoded side of the endpoint's own schema. */
type Json<S extends Schema.Schema.Any> = Schema.Schema.Encoded<S>

const KEY = "dragonfly.apiKey"

/** The API key lives in this tab's session storage only: never in a URL, a cookie or local storage. */
export const storedKey = () => sessionStorage.getItem(KEY)
export const storeKey = (key: string) => sessionStorage.setItem(KEY, key)
export const forgetKey = () => sessionStorage.removeItem(KEY)

export class Unauthorized extends Error {}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

const request = async <A>(key: string, method: "GET" | "POST", path: string, body?: unknown): Promise<A> => {
  const response = await fetch(path, {
    method,
    headers: { "x-api-key": key, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    cache: "no-store"
  })
  if (response.status === 401) throw new Unauthorized("the API key was refused")
  const text = await response.text()
  const json: unknown = text.length > 0 ? JSON.parse(text) : undefined
  if (!response.ok) {
    const message = typeof json === "object" && json !== null && "message" in json ? String(json.message) : text
    throw new ApiError(response.status, `${response.status}: ${message}`)
  }
  return json as A
}

const query = (params: Record<string, string | number | undefined>) => {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value !== undefined) search.set(name, String(value))
  const text = search.toString()
  return text.length > 0 ? `?${text}` : ""
}

export interface GroupFilter {
  readonly source_queue: string
  readonly reason: string
  readonly signature: string
}

export interface Author {
  readonly replayed_by: string
  readonly reason: string
}

/** The API's endpoints the dashboard reads and calls. */
export const client = (key: string) => ({
  queues: () => request<Json<typeof QueueList>>(key, "GET", "/v1/queues"),
  history: (hours: number) => request<Json<typeof QueueHistory>>(key, "GET", `/v1/queues/history${query({ hours })}`),
  workers: () => request<Json<typeof WorkerList>>(key, "GET", "/v1/workers"),
  deadLetterGroups: () => request<Json<typeof DeadLetterGroups>>(key, "GET", "/v1/dead-letters/groups"),
  deadLetters: (filter: GroupFilter, limit: number) =>
    request<Json<typeof DeadLetterPage>>(key, "GET", `/v1/dead-letters${query({ ...filter, limit })}`),
  replays: (limit: number) => request<Json<typeof ReplayTrail>>(key, "GET", `/v1/dead-letters/replays${query({ limit })}`),
  replayGroup: (filter: GroupFilter, run: { readonly dryRun: true } | ({ readonly dryRun: false; readonly limit: number } & Author)) =>
    request<Json<typeof BulkReplayResult>>(
      key,
      "POST",
      "/v1/dead-letters/replay",
      run.dryRun
        ? { filter, dry_run: true }
        : { filter, dry_run: false, limit: run.limit, replayed_by: run.replayed_by, reason: run.reason }
    ),
  replayOne: (id: number, author: Author) =>
    request<Json<typeof Replay>>(key, "POST", `/v1/dead-letters/${id}/replay`, author),
  batches: (limit: number) => request<Json<typeof BatchList>>(key, "GET", `/v1/batches${query({ limit })}`),
  quarantine: (batchId: string, orgId: string, after: number, limit: number) =>
    request<Json<typeof QuarantinePage>>(
      key,
      "GET",
      `/v1/batches/${encodeURIComponent(batchId)}/quarantine${query({ org_id: orgId, after, limit })}`
    )
})

export type Client = ReturnType<typeof client>
