/** Elements built with text nodes only: nothing the API returns is ever parsed as HTML. */
type Child = Node | string | number | null | undefined | false
type Attributes = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>

export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: ReadonlyArray<Child | ReadonlyArray<Child>>
): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, ""), value)
    else if (value === true) element.setAttribute(name, "")
    else element.setAttribute(name, String(value))
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    element.append(typeof child === "number" ? String(child) : child)
  }
  return element
}

export const replaceChildren = (parent: Element, ...children: ReadonlyArray<Child | ReadonlyArray<Child>>) =>
  parent.replaceChildren(...children.flat().flatMap((child) =>
    child === null || child === undefined || child === false ? [] : [typeof child === "number" ? String(child) : child]
  ))

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 })
const rate = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 })

/** A count as shown everywhere: 12,345. */
export const count = (value: number) => integer.format(value)

/** Messages per second, or a dash when unknown. */
export const perSecond = (value: number | null | undefined) => value === null || value === undefined ? "–" : rate.format(value)

/** A duration in seconds as 45s, 12m 05s, 3h 04m or 2d 05h. */
export const age = (seconds: number | null | undefined) => {
  if (seconds === null || seconds === undefined) return "–"
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
  return `${Math.floor(s / 86_400)}d ${String(Math.floor((s % 86_400) / 3600)).padStart(2, "0")}h`
}

/** How long ago an ISO timestamp was. */
export const ago = (iso: string | null | undefined) =>
  iso === null || iso === undefined ? "–" : `${age((Date.now() - Date.parse(iso)) / 1000)} ago`

/** An ISO timestamp in the reader's local time, to the second: 2026-12-02 05:58:12. */
export const time = (iso: string | null | undefined) =>
  iso === null || iso === undefined ? "–" : new Date(iso).toLocaleString("sv-SE")

export const badge = (text: string, tone: "ok" | "warn" | "bad" | "muted") => h("span", { class: `badge ${tone}` }, text)

export const table = (
  headings: ReadonlyArray<string>,
  rows: ReadonlyArray<HTMLTableRowElement>,
  empty: string
) =>
  h(
    "table",
    { class: "data" },
    h("thead", {}, h("tr", {}, headings.map((heading) => h("th", {}, heading)))),
    h("tbody", {}, rows.length > 0 ? rows : h("tr", { class: "empty" }, h("td", { colspan: headings.length }, empty)))
  )

/** A table cell holding a value the tests (and people) can find by its field name. */
export const cell = (field: string, content: Child | ReadonlyArray<Child>, className?: string) =>
  h("td", { "data-field": field, class: className }, content)
