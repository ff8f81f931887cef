/** A plain-text table: a header row, then rows; numbers right-aligned, everything else left. */
export const table = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string | number | null>>
) => {
  const cells = rows.map((row) => row.map((cell) => (cell === null ? "—" : typeof cell === "number" ? cell.toLocaleString("en-US") : cell)))
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === "number" || row[i] === null))
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((row) => row[i]!.length)))
  const line = (row: ReadonlyArray<string>) =>
    row.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ").trimEnd()
  return [line(header), ...cells.map(line)].join("\n")
}

/** Seconds as the largest sensible unit: 42s, 7m, 3h, 2d. */
export const age = (seconds: number | null) => {
  if (seconds === null) return null
  if (seconds < 60) return `${Math.floor(seconds)}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`
  return `${Math.floor(seconds / 86400)}d`
}
