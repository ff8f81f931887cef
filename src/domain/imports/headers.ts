import { ColumnAliases, GenericColumns, type Layout, RequiredColumns, SimplicityColumns } from "./columns.js"

/** "Debtor First Name", " debtor-first-name ", "DebtorFirstName" → `debtor_first_name`. */
export const snakeCase = (header: string) =>
  header
    .replace(/^\uFEFF/, "")
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")

const known: Readonly<Record<Layout, ReadonlySet<string>>> = {
  simplicity: new Set(SimplicityColumns),
  generic: new Set(GenericColumns)
}

export interface Header {
  /** Column index → the canonical name, or the custom field's name for an unknown column. */
  readonly names: ReadonlyArray<string>
  /** Canonical name → column index, for the layout's columns present in the file. */
  readonly index: ReadonlyMap<string, number>
  /** Column indexes of unknown columns: they become custom fields. */
  readonly custom: ReadonlyArray<number>
}

/** The most columns a file may have; more is almost certainly not a judgment export. */
export const MAX_COLUMNS = 500

/**
 * The header row of a file in `layout`, or every problem that stops the whole batch: blank,
 * duplicate (after normalisation and aliases) or missing required columns, too many columns.
 */
export const readHeader = (layout: Layout, cells: ReadonlyArray<string>): { readonly header: Header } | {
  readonly problems: ReadonlyArray<string>
} => {
  if (cells.length > MAX_COLUMNS) return { problems: [`the header has ${cells.length} columns; at most ${MAX_COLUMNS} are read`] }
  const problems: Array<string> = []
  const names: Array<string> = []
  const index = new Map<string, number>()
  const custom: Array<number> = []
  const firstSeen = new Map<string, string>()
  cells.forEach((cell, i) => {
    const normalised = snakeCase(cell)
    if (normalised === "") {
      problems.push(`column ${i + 1} has no name`)
      names.push("")
      return
    }
    const name = known[layout].has(normalised) ? normalised : ColumnAliases[normalised] ?? normalised
    const earlier = firstSeen.get(name)
    if (earlier !== undefined) {
      problems.push(`duplicate column '${cell.trim()}' (the same as '${earlier}')`)
    } else {
      firstSeen.set(name, cell.trim())
    }
    names.push(name)
    if (known[layout].has(name)) index.set(name, i)
    else custom.push(i)
  })
  const missing = RequiredColumns[layout].filter((column) => !index.has(column))
  if (missing.length > 0) problems.push(`missing required column${missing.length === 1 ? "" : "s"}: ${missing.join(", ")}`)
  if (layout === "generic" && !index.has("case_number") && !(index.has("court_name") && index.has("index_number"))) {
    problems.push("a judgment needs a case_number column, or both court_name and index_number")
  }
  return problems.length > 0 ? { problems } : { header: { names, index, custom } }
}
