import "./dashboard.css"
import { resizeCharts } from "./chart.js"
import { client, type Client, forgetKey, storedKey, storeKey, Unauthorized } from "./client.js"
import { renderDeadLetters } from "./deadLetters.js"
import { h, replaceChildren } from "./dom.js"
import { renderImports } from "./imports.js"
import { renderQueues } from "./queues.js"
import { renderWorkers } from "./workers.js"

const REFRESH_MS = 10_000

const VIEWS = {
  queues: { title: "Queues", render: renderQueues },
  workers: { title: "Workers", render: renderWorkers },
  "dead-letters": { title: "Dead letters", render: renderDeadLetters },
  imports: { title: "Imports", render: renderImports }
} as const
type ViewName = keyof typeof VIEWS

const root = document.getElementById("app")!

const viewFromHash = (): ViewName => {
  const name = location.hash.replace(/^#/, "")
  return name in VIEWS ? (name as ViewName) : "queues"
}

const showLogin = (message?: string) => {
  const key = h("input", { type: "password", name: "api-key", autocomplete: "off", required: true, "aria-label": "API key" })
  const status = h("p", { class: "status", role: "alert" }, message ?? "")
  // POST, not GET: were the script to fail, the key would still not end up in a URL.
  const form = h(
    "form",
    { class: "login", method: "post", action: "#" },
    h("h1", {}, "Dragonfly"),
    h("p", {}, "The API key, once per browser tab: it is kept in this tab's session storage only."),
    key,
    h("button", { type: "submit", class: "primary" }, "Sign in"),
    status
  )
  form.addEventListener("submit", (event) => {
    event.preventDefault()
    const candidate = key.value.trim()
    client(candidate).queues().then(
      () => {
        storeKey(candidate)
        start(candidate)
      },
      (error: unknown) => {
        status.textContent = error instanceof Unauthorized ? "That key was refused." : `The API did not answer: ${String(error)}`
      }
    )
  })
  replaceChildren(root, form)
  key.focus()
}

const start = (key: string) => {
  const api: Client = client(key)
  const view = h("main", { id: "view" })
  const refreshed = h("span", { class: "refreshed", "data-field": "refreshed" })
  const problem = h("div", { class: "problem", role: "alert", hidden: true })
  const tabs = (Object.keys(VIEWS) as Array<ViewName>).map((name) =>
    h("a", { href: `#${name}`, "data-view": name }, VIEWS[name].title)
  )
  const signOut = h("button", { type: "button", class: "link" }, "Sign out")
  replaceChildren(
    root,
    h("header", {}, h("strong", { class: "brand" }, "Dragonfly"), h("nav", {}, tabs), refreshed, signOut),
    problem,
    view
  )

  let timer: ReturnType<typeof setTimeout> | undefined
  let generation = 0
  const render = async () => {
    clearTimeout(timer)
    const current = ++generation
    const name = viewFromHash()
    for (const tab of tabs) tab.classList.toggle("active", tab.dataset["view"] === name)
    if (view.dataset["view"] !== name) {
      view.dataset["view"] = name
      view.dataset["loaded"] = "false"
    }
    document.title = `${VIEWS[name].title} · Dragonfly`
    // A dialog open on the page waits for its answer: no refresh under it.
    if (document.querySelector("dialog[open]") !== null) {
      timer = setTimeout(() => void render(), REFRESH_MS)
      return
    }
    try {
      await VIEWS[name].render(view, api)
      if (current !== generation) return
      problem.hidden = true
      refreshed.textContent = `Updated ${new Date().toLocaleTimeString("en-GB", { hour12: false })}`
      view.dataset["loaded"] = "true"
    } catch (error) {
      if (error instanceof Unauthorized) {
        forgetKey()
        return showLogin("The API key was refused: sign in again.")
      }
      problem.textContent = `Could not refresh: ${error instanceof Error ? error.message : String(error)}`
      problem.hidden = false
    }
    if (current === generation) timer = setTimeout(() => void render(), REFRESH_MS)
  }

  signOut.addEventListener("click", () => {
    clearTimeout(timer)
    forgetKey()
    showLogin()
  })
  window.onhashchange = () => void render()
  window.onresize = () => resizeCharts(view.querySelectorAll<HTMLElement>("[data-chart]"))
  document.onvisibilitychange = () => {
    if (document.visibilityState === "visible") void render()
  }
  void render()
}

const key = storedKey()
if (key === null) showLogin()
else start(key)
