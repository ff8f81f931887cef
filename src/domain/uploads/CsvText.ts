import { isUtf8 } from "node:buffer"

export type CsvEncoding = "utf-8" | "windows-1252"

/** Why a file is not a text CSV file: its bytes are not text, not in an accepted encoding, or it has no header row. */
export type CsvTextProblem = "binary" | "encoding" | "no-header-row"

export type CsvTextCheck =
  | { readonly _tag: "Text"; readonly encoding: CsvEncoding }
  | { readonly _tag: "NotCsvText"; readonly problem: CsvTextProblem; readonly reason: string }

/** The content type a stored file gets, so that its reader knows how to decode it. */
export const csvContentType = (encoding: CsvEncoding) => `text/csv; charset=${encoding}`

const OK = 0
const CONTROL = 1
const UNDEFINED_IN_1252 = 2

/** Per byte: a C0 control other than tab, LF, FF and CR (or DEL); or one of the five bytes Windows-1252 leaves undefined. */
const CLASS = (() => {
  const table = new Uint8Array(256)
  for (let b = 0x00; b <= 0x1f; b++) table[b] = CONTROL
  for (const b of [0x09, 0x0a, 0x0c, 0x0d]) table[b] = OK
  table[0x7f] = CONTROL
  for (const b of [0x81, 0x8d, 0x8f, 0x90, 0x9d]) table[b] = UNDEFINED_IN_1252
  return table
})()

const SIGNATURES: ReadonlyArray<readonly [ReadonlyArray<number>, string]> = [
  [[0x50, 0x4b, 0x03, 0x04], "a ZIP archive or an XLSX/ODS workbook"],
  [[0x50, 0x4b, 0x05, 0x06], "a ZIP archive"],
  [[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], "an XLS workbook or another Office file"],
  [[0x25, 0x50, 0x44, 0x46, 0x2d], "a PDF"],
  [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG image"],
  [[0xff, 0xd8, 0xff], "a JPEG image"],
  [[0x47, 0x49, 0x46, 0x38], "a GIF image"],
  [[0x1f, 0x8b], "a gzip archive"]
]

const hex = (b: number) => `0x${b.toString(16).toUpperCase().padStart(2, "0")}`

const startsWith = (content: Uint8Array, prefix: ReadonlyArray<number>) =>
  content.length >= prefix.length && prefix.every((b, i) => content[i] === b)

const hasUtf8Bom = (content: Uint8Array) => startsWith(content, [0xef, 0xbb, 0xbf])

const notCsvText = (problem: CsvTextProblem, reason: string): CsvTextCheck => ({ _tag: "NotCsvText", problem, reason })

const notText = (content: Uint8Array, offset: number) => {
  const b = content[offset]!
  const looksLike = SIGNATURES.find(([signature]) => startsWith(content, signature))
  const what = b === 0x00 ? `a NUL byte (0x00) at offset ${offset}` : `control byte ${hex(b)} at offset ${offset}`
  const hint = looksLike !== undefined
    ? `the file looks like ${looksLike[1]}`
    : b === 0x00
    ? "a binary file or UTF-16/UTF-32 text"
    : "a binary file"
  return notCsvText("binary", `not text: ${what} (${hint}); send the data as a CSV file in UTF-8`)
}

/** The offset of the first byte that starts an invalid UTF-8 sequence (the WHATWG rules: no overlongs, surrogates or > U+10FFFF). */
const firstInvalidUtf8 = (content: Uint8Array) => {
  const n = content.length
  let i = 0
  while (i < n) {
    const b = content[i]!
    if (b < 0x80) {
      i++
      continue
    }
    let length: number
    let low = 0x80
    let high = 0xbf
    if (b >= 0xc2 && b <= 0xdf) length = 2
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3
      if (b === 0xe0) low = 0xa0
      if (b === 0xed) high = 0x9f
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4
      if (b === 0xf0) low = 0x90
      if (b === 0xf4) high = 0x8f
    } else return i
    if (i + length > n) return i
    const second = content[i + 1]!
    if (second < low || second > high) return i
    for (let k = 2; k < length; k++) {
      const c = content[i + k]!
      if (c < 0x80 || c > 0xbf) return i
    }
    i += length
  }
  return -1
}

/**
 * True when some field is not blank. Outside quotes, whitespace, commas and line breaks are blank;
 * inside quotes everything but whitespace is content, an escaped quote (`""`) included.
 */
const hasNonBlankField = (content: Uint8Array, start: number) => {
  let quoted = false
  for (let i = start; i < content.length; i++) {
    const b = content[i]!
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0c) continue
    if (b === 0x22) {
      if (!quoted) quoted = true
      else if (content[i + 1] === 0x22) return true
      else quoted = false
    } else if (b !== 0x2c || quoted) return true
  }
  return false
}

/**
 * Whether the bytes are a text CSV file, read in one pass plus a native UTF-8 check: no control
 * bytes (NUL, 0x01–0x08, 0x0B, 0x0E–0x1F, 0x7F), UTF-8 (a UTF-8 byte order mark allowed) or else
 * Windows-1252 (not UTF-16), and at least one non-blank field. A header row without data rows passes.
 */
export const checkCsvText = (content: Uint8Array): CsvTextCheck => {
  if (startsWith(content, [0xff, 0xfe]) || startsWith(content, [0xfe, 0xff])) {
    const utf16 = content[0] === 0xff ? "UTF-16LE (byte order mark 0xFF 0xFE)" : "UTF-16BE (byte order mark 0xFE 0xFF)"
    return notCsvText("encoding", `${utf16} text is not accepted: save the file as UTF-8 (in Excel: "CSV UTF-8")`)
  }
  let firstUndefinedIn1252 = -1
  for (let i = 0; i < content.length; i++) {
    const kind = CLASS[content[i]!]!
    if (kind === OK) continue
    if (kind === CONTROL) return notText(content, i)
    if (firstUndefinedIn1252 < 0) firstUndefinedIn1252 = i
  }
  const bom = hasUtf8Bom(content)
  let encoding: CsvEncoding = "utf-8"
  if (!isUtf8(content)) {
    const invalid = firstInvalidUtf8(content)
    const at = `byte ${hex(content[invalid]!)} at offset ${invalid}`
    if (bom) {
      return notCsvText(
        "encoding",
        `not UTF-8 text, though it starts with a UTF-8 byte order mark: ${at}; save the file as UTF-8 again`
      )
    }
    if (firstUndefinedIn1252 >= 0) {
      const undefinedAt = `byte ${hex(content[firstUndefinedIn1252]!)} at offset ${firstUndefinedIn1252}`
      return notCsvText(
        "encoding",
        firstUndefinedIn1252 === invalid
          ? `not UTF-8 or Windows-1252 text: ${at}`
          : `not UTF-8 or Windows-1252 text: ${at} is not UTF-8, and ${undefinedAt} is not Windows-1252`
      )
    }
    encoding = "windows-1252"
  }
  if (!hasNonBlankField(content, bom ? 3 : 0)) {
    return notCsvText(
      "no-header-row",
      "no header row: the file has no non-blank field, only whitespace, commas, empty quoted fields or line breaks"
    )
  }
  return { _tag: "Text", encoding }
}
