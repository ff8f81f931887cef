import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect, Option } from "effect"
import { ImportBatches } from "../../domain/imports/index.js"
import { Api } from "../Api.js"
import { NotFound } from "../errors.js"
import { BatchList, batchView, QuarantinedRowView, QuarantinePage } from "../schemas.js"

const DEFAULT_PAGE = 100
const DEFAULT_BATCHES = 50

export const BatchesLive = HttpApiBuilder.group(Api, "batches", (handlers) =>
  Effect.gen(function*() {
    const batches = yield* ImportBatches
    /** A batch of another organisation is as absent as one that does not exist. */
    const find = (id: string, orgId: string) =>
      batches.get(id).pipe(
        Effect.orDie,
        Effect.flatMap(Option.match({
          onSome: (batch) => batch.orgId === orgId ? Effect.succeed(batch) : Effect.fail(undefined),
          onNone: () => Effect.fail(undefined)
        })),
        Effect.mapError(() => new NotFound({ message: `no batch ${id} in organisation ${orgId}` }))
      )
    return handlers
      .handle("list", ({ urlParams }) =>
        batches.recent({ orgId: urlParams.org_id, status: urlParams.status }, urlParams.limit ?? DEFAULT_BATCHES).pipe(
          Effect.orDie,
          Effect.map((found) => new BatchList({ batches: found.map(batchView) }))
        ))
      .handle("get", ({ path, urlParams }) => Effect.map(find(path.id, urlParams.org_id), batchView))
      .handle("quarantine", ({ path, urlParams }) =>
        Effect.gen(function*() {
          const batch = yield* find(path.id, urlParams.org_id)
          const limit = urlParams.limit ?? DEFAULT_PAGE
          const rows = yield* Effect.orDie(batches.quarantine(batch.id, urlParams.after ?? 0, limit))
          return new QuarantinePage({
            batch_id: batch.id,
            rows: rows.map((row) =>
              new QuarantinedRowView({
                row_number: row.rowNumber,
                raw: row.raw,
                reasons: row.reasons,
                quarantined_at: row.quarantinedAt
              })
            ),
            next_after: rows.length === limit ? rows[rows.length - 1]!.rowNumber : null
          })
        }))
  }))
