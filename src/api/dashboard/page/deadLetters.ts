import { ApiError, type Author, type Client, type GroupFilter } from "./client.js"
import { ago, badge, cell, count, h, replaceChildren, table, time } from "./dom.js"

const MESSAGES_SHOWN = 50
const REPLAYS_SHOWN = 50
/** The most one bulk replay sends (the API's own limit). */
const MAX_REPLAY = 1000
const AUTHOR_KEY = "dragonfly.replayedBy"

const keyOf = (group: GroupFilter) => JSON.stringify([group.source_queue, group.reason, group.signature])

const state = { open: undefined as string | undefined }

type Run = (author: Author) => Promise<string>

/**
 * Asks before a replay: says what it will send where (the dry run's count), asks who and why,
 * and only then runs it. Resolves when the dialog closes.
 */
const confirmReplay = (options: { readonly title: string; readonly what: Node; readonly run: Run; readonly onDone: () => void }) => {
  const status = h("p", { class: "status", role: "status" })
  const replayedBy = h("input", {
    name: "replayed_by",
    required: true,
    autocomplete: "email",
    placeholder: "you@dragonfly.law",
    value: sessionStorage.getItem(AUTHOR_KEY) ?? ""
  })
  const reason = h("input", { name: "reason", required: true, placeholder: "why: upstream fixed, bug deployed…" })
  const confirm = h("button", { type: "submit", class: "primary", "data-action": "confirm-replay" }, "Replay")
  const cancel = h("button", { type: "button", "data-action": "cancel-replay" }, "Cancel")
  const form = h(
    "form",
    { method: "dialog" },
    h("h3", {}, options.title),
    options.what,
    h("label", {}, "Replayed by", replayedBy),
    h("label", {}, "Reason", reason),
    status,
    h("div", { class: "dialog-actions" }, cancel, confirm)
  )
  const dialog = h("dialog", { class: "replay-dialog" }, form)
  let done = false
  cancel.addEventListener("click", () => dialog.close())
  dialog.addEventListener("close", () => {
    dialog.remove()
    if (done) options.onDone()
  })
  form.addEventListener("submit", (event) => {
    event.preventDefault()
    if (done) return dialog.close()
    const author = { replayed_by: replayedBy.value.trim(), reason: reason.value.trim() }
    if (author.replayed_by === "" || author.reason === "") {
      status.textContent = "Say who replays and why: both are recorded."
      return
    }
    sessionStorage.setItem(AUTHOR_KEY, author.replayed_by)
    confirm.disabled = true
    status.textContent = "Replaying…"
    options.run(author).then(
      (outcome) => {
        done = true
        status.textContent = outcome
        status.dataset["outcome"] = "replayed"
        confirm.disabled = false
        confirm.textContent = "Close"
        cancel.hidden = true
      },
      (error: unknown) => {
        status.textContent = error instanceof ApiError ? error.message : String(error)
        status.dataset["outcome"] = "failed"
        confirm.disabled = false
      }
    )
  })
  document.body.append(dialog)
  dialog.showModal()
  reason.focus()
}

const replayGroup = async (api: Client, group: GroupFilter, refresh: () => void) => {
  const dry = await api.replayGroup(group, { dryRun: true })
  const sent = Math.min(dry.matched, MAX_REPLAY)
  confirmReplay({
    title: `Replay ${count(sent)} dead letter${sent === 1 ? "" : "s"}`,
    what: h(
      "div",
      { "data-dry-run": dry.matched },
      h(
        "p",
        {},
        `Dry run: ${count(dry.matched)} pending dead letter${dry.matched === 1 ? "" : "s"} match. `,
        dry.matched > MAX_REPLAY ? `The first ${count(MAX_REPLAY)} are sent back, oldest first. ` : "",
        "Each original goes back to ",
        h("code", {}, group.source_queue),
        " as a new message with a fresh delivery count."
      ),
      h("p", { class: "sub" }, `${group.reason} · ${group.signature}`)
    ),
    run: async (author) => {
      const result = await api.replayGroup(group, { dryRun: false, limit: MAX_REPLAY, ...author })
      return `Replayed ${count(result.replayed.length)} of ${count(result.matched)}.`
    },
    onDone: refresh
  })
}

const replayOne = (api: Client, id: number, queue: string, error: string, refresh: () => void) =>
  confirmReplay({
    title: `Replay dead letter ${id}`,
    what: h(
      "div",
      { "data-dry-run": 1 },
      h("p", {}, "Its original goes back to ", h("code", {}, queue), " as a new message with a fresh delivery count."),
      h("p", { class: "sub" }, error)
    ),
    run: async (author) => {
      const replay = await api.replayOne(id, author)
      return `Replayed as message ${replay.new_msg_id} on ${replay.source_queue}.`
    },
    onDone: refresh
  })

/** Dead letters by group, a group's messages, replays with a dry run first, and the audit trail. */
export const renderDeadLetters = async (view: HTMLElement, api: Client) => {
  const refresh = () => void renderDeadLetters(view, api)
  const [{ groups, pending }, { replays }] = await Promise.all([api.deadLetterGroups(), api.replays(REPLAYS_SHOWN)])
  const open = groups.find((g) => keyOf(g) === state.open)
  const messages = open === undefined ? undefined : await api.deadLetters(open, MESSAGES_SHOWN)

  const rows = groups.flatMap((group) => {
    const key = keyOf(group)
    const isOpen = key === state.open
    const row = h(
      "tr",
      { "data-group": key, class: isOpen ? "selected" : null },
      cell("source_queue", h("code", {}, group.source_queue)),
      cell("reason", badge(group.reason, "bad")),
      cell("signature", h("div", { class: "error-text" }, group.signature)),
      cell("count", count(group.dead_letters), "number"),
      cell("last", ago(group.last_dead_lettered_at), "number"),
      cell("actions", [
        h("button", {
          type: "button",
          "data-action": "toggle-messages",
          onclick: () => {
            state.open = isOpen ? undefined : key
            refresh()
          }
        }, isOpen ? "Hide" : "Messages"),
        h("button", {
          type: "button",
          class: "primary",
          "data-action": "replay-group",
          onclick: () => void replayGroup(api, group, refresh)
        }, "Replay…")
      ], "actions")
    )
    if (!isOpen || messages === undefined) return [row]
    const list = messages.dead_letters.map((m) =>
      h(
        "li",
        { "data-dead-letter": m.id },
        h(
          "div",
          { class: "message-head" },
          h("strong", {}, `#${m.id}`),
          ` job ${m.job_id ?? "–"} · ${m.read_ct} ${m.read_ct === 1 ? "delivery" : "deliveries"} · dead-lettered ${time(m.dead_lettered_at)} · worker `,
          h("code", {}, m.worker_id),
          h("button", {
            type: "button",
            "data-action": "replay-one",
            onclick: () => replayOne(api, m.id, m.source_queue, m.error.message, refresh)
          }, "Replay…")
        ),
        h("div", { class: "error-text" }, `${m.error.tag}: ${m.error.message}`),
        h("details", {}, h("summary", {}, "Original message"), h("pre", {}, JSON.stringify(m.original, null, 2)))
      )
    )
    return [
      row,
      h(
        "tr",
        { class: "detail" },
        h(
          "td",
          { colspan: 6 },
          h("ul", { class: "messages" }, list),
          group.dead_letters > list.length ? h("p", { class: "hint" }, `The newest ${list.length} of ${count(group.dead_letters)}.`) : null
        )
      )
    ]
  })

  const trail = replays.map((r) =>
    h(
      "tr",
      { "data-replay": r.dead_letter_id },
      cell("replayed_at", time(r.replayed_at)),
      cell("replayed_by", r.replayed_by),
      cell("reason", r.reason),
      cell("dead_letter", `#${r.dead_letter_id}`, "number"),
      cell("queue", h("code", {}, r.source_queue)),
      cell("new_msg_id", String(r.new_msg_id), "number"),
      cell("job", r.job_id === null ? "–" : h("code", {}, r.job_id)),
      cell("signature", h("div", { class: "error-text" }, r.signature ?? "–"))
    )
  )

  replaceChildren(
    view,
    h(
      "section",
      {},
      h("div", { class: "section-head" }, h("h2", {}, "Dead letters"), h("div", { class: "summary", "data-field": "pending" }, `${count(pending)} pending`)),
      table(["Source queue", "Reason", "Error signature", "Dead letters", "Newest", ""], rows, "The dead-letter queue is empty."),
      h("p", { class: "hint" }, "A signature is the error with what varies from job to job (ids, times, numbers) taken out.")
    ),
    h(
      "section",
      {},
      h("h2", {}, "Replays"),
      table(["When", "By", "Why", "Dead letter", "Queue", "New message", "Job", "Error signature"], trail, "Nothing replayed yet.")
    )
  )
}
