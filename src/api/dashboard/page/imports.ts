import type { Client } from "./client.js"
import { ago, badge, cell, count, h, replaceChildren, table, time } from "./dom.js"

const BATCHES_SHOWN = 50
const QUARANTINE_PAGE = 100

const TONE = { running: "warn", completed: "ok", partial: "warn", failed: "bad" } as const

const state = { open: undefined as string | undefined, pages: 1 }

/** Import batches with their progress, and a batch's quarantined rows with every reason. */
export const renderImports = async (view: HTMLElement, api: Client) => {
  const refresh = () => void renderImports(view, api)
  const { batches } = await api.batches(BATCHES_SHOWN)
  const open = batches.find((b) => b.batch_id === state.open)
  const quarantine: Array<Awaited<ReturnType<Client["quarantine"]>>["rows"][number]> = []
  let more = false
  if (open !== undefined) {
    let after = 0
    for (let page = 0; page < state.pages; page++) {
      const found = await api.quarantine(open.batch_id, open.org_id, after, QUARANTINE_PAGE)
      quarantine.push(...found.rows)
      more = found.next_after !== null
      if (found.next_after === null) break
      after = found.next_after
    }
  }

  const progress = (b: (typeof batches)[number]) => {
    const total = b.expected_row_count ?? (b.status === "running" ? null : b.rows_read)
    const bar = total === null
      ? h("progress", {})
      : h("progress", { max: Math.max(1, total), value: Math.min(b.rows_committed, Math.max(1, total)) })
    return [bar, h("span", { class: "sub" }, total === null ? `${count(b.rows_committed)} rows` : `${count(b.rows_committed)} / ${count(total)}`)]
  }

  const rows = batches.flatMap((b) => {
    const isOpen = b.batch_id === state.open
    const row = h(
      "tr",
      {
        "data-batch": b.batch_id,
        class: isOpen ? "selected clickable" : "clickable",
        title: "Show the rows this batch quarantined",
        onclick: () => {
          state.open = isOpen ? undefined : b.batch_id
          state.pages = 1
          refresh()
        }
      },
      cell("started", [time(b.started_at), h("div", { class: "sub" }, ago(b.started_at))]),
      cell("source", [b.source, h("div", { class: "sub" }, h("code", { class: "path", title: b.file_path }, b.file_path))]),
      cell("layout", b.layout),
      cell("status", badge(b.status, TONE[b.status])),
      cell("progress", progress(b), "progress-cell"),
      cell("inserted", count(b.inserted), "number"),
      cell("updated", count(b.updated), "number"),
      cell("unchanged", count(b.unchanged), "number"),
      cell("quarantined", count(b.quarantined), "number"),
      cell("deliveries", count(b.deliveries), "number")
    )
    if (!isOpen) return [row]
    const problems = b.errors.map((e) => h("li", { class: "error-text" }, `${e.code}: ${e.message}`))
    const quarantined = quarantine.map((r) =>
      h(
        "tr",
        { "data-row": r.row_number },
        cell("row", String(r.row_number), "number"),
        cell("reasons", h("ul", { class: "reasons" }, r.reasons.map((reason) => h("li", {}, h("code", {}, reason.field), ` ${reason.problem}`)))),
        cell("raw", h("div", { class: "raw" }, Object.entries(r.raw).map(([column, value]) => h("span", {}, h("b", {}, column), ` ${value}`))))
      )
    )
    return [
      row,
      h(
        "tr",
        { class: "detail" },
        h(
          "td",
          { colspan: 10 },
          problems.length > 0 ? h("ul", { class: "problems" }, problems) : null,
          h("h3", {}, `Quarantined rows (${count(b.quarantined)})`),
          table(["Row", "Reasons", "As read"], quarantined, "No row was quarantined."),
          more
            ? h("button", {
              type: "button",
              "data-action": "more-rows",
              onclick: (event: Event) => {
                event.stopPropagation()
                state.pages += 1
                refresh()
              }
            }, "More rows")
            : null
        )
      )
    ]
  })

  replaceChildren(
    view,
    h(
      "section",
      {},
      h("h2", {}, "Import batches"),
      table(
        ["Started", "Source", "Layout", "Status", "Progress", "Inserted", "Updated", "Unchanged", "Quarantined", "Deliveries"],
        rows,
        "No file has been imported yet."
      ),
      h("p", { class: "hint" }, "Progress counts the rows whose outcome is committed; click a batch for its quarantined rows.")
    )
  )
}
