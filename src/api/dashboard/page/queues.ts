import { drawTimeChart } from "./chart.js"
import type { Client } from "./client.js"
import { age, badge, cell, count, h, perSecond, replaceChildren, table } from "./dom.js"

const HOURS = [1, 6, 24, 48] as const
const DEAD_LETTER_QUEUE = "dead_letter"

const state = { hours: 6 as number, selected: undefined as string | undefined }

/** Queues: their numbers now, and their depth and rates over the last hours. */
export const renderQueues = async (view: HTMLElement, api: Client) => {
  const [{ queues }, history] = await Promise.all([api.queues(), api.history(state.hours)])

  const times = [...new Set(history.samples.map((s) => Date.parse(s.sampled_at) / 1000))].sort((a, b) => a - b)
  const index = new Map(times.map((t, i) => [t, i]))
  const byQueue = new Map<string, Array<(typeof history.samples)[number]>>()
  for (const sample of history.samples) byQueue.set(sample.queue_name, [...(byQueue.get(sample.queue_name) ?? []), sample])
  const latest = (queue: string) => byQueue.get(queue)?.at(-1)
  const series = (queue: string, pick: (s: (typeof history.samples)[number]) => number | null) => {
    const values: Array<number | null> = times.map(() => null)
    for (const sample of byQueue.get(queue) ?? []) values[index.get(Date.parse(sample.sampled_at) / 1000)!] = pick(sample)
    return values
  }

  const names = queues.map((q) => q.queue_name)
  // The chart of rates starts on the busiest job queue (the dead-letter queue's rates say less).
  const busiest = [...queues].sort((a, b) =>
    Number(a.queue_name === DEAD_LETTER_QUEUE) - Number(b.queue_name === DEAD_LETTER_QUEUE) ||
    b.depth - a.depth || b.total_messages - a.total_messages
  )[0]?.queue_name
  if (state.selected === undefined || !names.includes(state.selected)) state.selected = busiest

  const flags = (q: (typeof queues)[number]) => [
    q.scale_out ? badge("scale out", "warn") : null,
    q.oldest_over_30_min ? badge("oldest > 30 min", "bad") : null,
    q.no_consumers && q.depth > 0 ? badge("no consumers", "bad") : null
  ]

  const rows = queues.map((q) => {
    const last = latest(q.queue_name)
    return h(
      "tr",
      {
        "data-queue": q.queue_name,
        class: q.queue_name === state.selected ? "selected clickable" : "clickable",
        title: "Show this queue's rates in the chart",
        onclick: () => {
          state.selected = q.queue_name
          void renderQueues(view, api)
        }
      },
      cell("queue", h("code", {}, q.queue_name)),
      cell("depth", count(q.depth), "number"),
      cell("visible", count(q.visible), "number"),
      cell("oldest", age(q.oldest_msg_age_sec), "number"),
      cell("rate_in", perSecond(last?.rate_in), "number"),
      cell("rate_out", perSecond(last?.rate_out), "number"),
      cell("dead_letters", count(q.dead_letters), "number"),
      cell("consumers", count(q.live_consumers), "number"),
      cell("flags", flags(q))
    )
  })

  const depthChart = h("div", { class: "chart", "data-chart": "depth" })
  const rateChart = h("div", { class: "chart", "data-chart": "rates" })
  replaceChildren(
    view,
    h(
      "section",
      {},
      h("h2", {}, "Queues"),
      table(
        ["Queue", "Depth", "Visible", "Oldest", "In /s", "Out /s", "Dead letters", "Consumers", ""],
        rows,
        "No queues."
      ),
      h("p", { class: "hint" }, "Rates are per second over the last sampling minute; click a queue for its chart.")
    ),
    h(
      "section",
      {},
      h(
        "div",
        { class: "section-head" },
        h("h2", {}, `The last ${state.hours} hours`),
        h(
          "div",
          { class: "segmented", role: "group", "aria-label": "Hours of history" },
          HOURS.map((hours) =>
            h("button", {
              type: "button",
              class: hours === state.hours ? "active" : null,
              "aria-pressed": hours === state.hours ? "true" : "false",
              onclick: () => {
                state.hours = hours
                void renderQueues(view, api)
              }
            }, `${hours}h`)
          )
        )
      ),
      times.length === 0
        ? h("p", { class: "hint", "data-chart": "none" }, "No samples yet: the API samples every queue once a minute.")
        : [depthChart, rateChart]
    )
  )
  if (times.length === 0) return
  const to = Date.now() / 1000
  const from = to - state.hours * 3600
  drawTimeChart(depthChart, {
    from,
    to,
    title: "Depth",
    unit: "messages",
    x: times,
    lines: names.map((name) => ({ label: name, values: series(name, (s) => s.depth) }))
  })
  if (state.selected !== undefined) {
    const selected = state.selected
    drawTimeChart(rateChart, {
      from,
      to,
      title: `${selected}: rates`,
      unit: "messages/s",
      x: times,
      lines: [
        { label: "in", values: series(selected, (s) => s.rate_in) },
        { label: "out", values: series(selected, (s) => s.rate_out), dash: true }
      ]
    })
  }
}
