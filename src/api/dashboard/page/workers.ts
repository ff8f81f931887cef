import type { Client } from "./client.js"
import { ago, badge, cell, count, h, replaceChildren, table, time } from "./dom.js"

const state = { showStopped: false }

const TONE = { healthy: "ok", draining: "warn", stale: "bad", gone: "bad", stopped: "muted" } as const

/** Workers: health from their heartbeats, what they are doing and have done, their last error. */
export const renderWorkers = async (view: HTMLElement, api: Client) => {
  const { workers } = await api.workers()
  const shown = workers.filter((w) => state.showStopped || w.health !== "stopped")
  const byHealth = (health: keyof typeof TONE) => workers.filter((w) => w.health === health).length

  const rows = shown.map((w) =>
    h(
      "tr",
      { "data-worker": w.worker_id, class: w.health === "stopped" ? "dim" : null },
      cell("worker", [h("code", {}, w.worker_id), h("div", { class: "sub" }, `${w.host} · pid ${w.pid}`)]),
      cell("service", w.service),
      cell("queues", w.queues.map((q) => h("code", { class: "chip" }, q))),
      cell("health", [
        badge(w.health, TONE[w.health]),
        w.gone_reason === null ? null : h("div", { class: "sub" }, w.gone_reason)
      ]),
      cell("heartbeat", ago(w.last_heartbeat_at), "number"),
      cell("in_flight", `${count(w.jobs_in_flight)} / ${count(w.concurrency)}`, "number"),
      cell("processed", count(w.jobs_processed), "number"),
      cell("failed", count(w.jobs_failed), "number"),
      cell("dead_lettered", count(w.jobs_dead_lettered), "number"),
      cell("version", h("code", {}, w.version)),
      cell(
        "last_error",
        w.last_error === null
          ? "–"
          : [h("div", { class: "error-text" }, w.last_error), h("div", { class: "sub" }, time(w.last_error_at))]
      )
    )
  )

  replaceChildren(
    view,
    h(
      "section",
      {},
      h(
        "div",
        { class: "section-head" },
        h("h2", {}, "Workers"),
        h(
          "div",
          { class: "summary" },
          badge(`${byHealth("healthy")} healthy`, "ok"),
          byHealth("draining") > 0 ? badge(`${byHealth("draining")} draining`, "warn") : null,
          byHealth("stale") > 0 ? badge(`${byHealth("stale")} stale`, "bad") : null,
          byHealth("gone") > 0 ? badge(`${byHealth("gone")} gone`, "bad") : null,
          h(
            "label",
            { class: "toggle" },
            h("input", {
              type: "checkbox",
              name: "show-stopped",
              checked: state.showStopped,
              onchange: (event: Event) => {
                state.showStopped = (event.target as HTMLInputElement).checked
                void renderWorkers(view, api)
              }
            }),
            ` show ${byHealth("stopped")} stopped`
          )
        )
      ),
      table(
        ["Worker", "Service", "Queues", "Health", "Heartbeat", "In flight", "Processed", "Failed", "Dead-lettered", "Version", "Last error"],
        rows,
        workers.length === 0 ? "No worker has sent a heartbeat." : "Every worker is stopped."
      ),
      h("p", { class: "hint" }, "Processed, failed and dead-lettered count jobs since the worker started.")
    )
  )
}
