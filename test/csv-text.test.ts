import { assert, describe, it } from "@effect/vitest"
import { type CsvTextCheck, checkCsvText, csvContentType } from "../src/domain/uploads/index.js"

const bytes = (...parts: ReadonlyArray<string | Uint8Array | ReadonlyArray<number>>) =>
  Buffer.concat(parts.map((part) => typeof part === "string" ? Buffer.from(part, "utf8") : Buffer.from(part)))

const BOM = [0xef, 0xbb, 0xbf]
const utf8: CsvTextCheck = { _tag: "Text", encoding: "utf-8" }
const windows1252: CsvTextCheck = { _tag: "Text", encoding: "windows-1252" }
const binary = (reason: string): CsvTextCheck => ({ _tag: "NotCsvText", problem: "binary", reason })
const encoding = (reason: string): CsvTextCheck => ({ _tag: "NotCsvText", problem: "encoding", reason })
const noHeaderRow: CsvTextCheck = {
  _tag: "NotCsvText",
  problem: "no-header-row",
  reason: "no header row: the file has no non-blank field, only whitespace, commas, empty quoted fields or line breaks"
}
const SEND_CSV = "send the data as a CSV file in UTF-8"

const pdfHead = bytes("%PDF-1.7\n%", [0xe2, 0xe3, 0xcf, 0xd3], "\n1 0 obj\n<< /Length 5 >>\nstream\n")

const cases: ReadonlyArray<readonly [string, Uint8Array, CsvTextCheck]> = [
  ["plain UTF-8", bytes("case_number,name\r\nCV-1,Smith\r\n"), utf8],
  ["UTF-8 with a BOM", bytes(BOM, "a,b\n1,2\n"), utf8],
  ["multi-byte UTF-8", bytes("name,city\n\"Müller, José — 東京\",🙂\n"), utf8],
  ["Windows-1252 0xE9, 0x80, 0x93/0x94", bytes("a,b\r\nRen", [0xe9], ",", [0x80], " ", [0x93], "x", [0x94], "\r\n"), windows1252],
  ["a header-only Windows-1252 file", bytes("Nom,Pr", [0xe9], "nom"), windows1252],
  ["a UTF-8 sequence truncated at the end, valid Windows-1252", bytes("a,b\n1,caf", [0xc3]), windows1252],
  ["an overlong UTF-8 encoding, valid Windows-1252", bytes("a\n", [0xc0, 0xaf]), windows1252],
  ["tab, CR, LF and form feed", bytes("a\tb\fc\r\n1\t2\f3\r\n"), utf8],
  ["a header row without data rows", bytes("case_number,name\r\n"), utf8],
  ["blank lines before the header", bytes("\r\n,,\n  a\n"), utf8],
  ["an escaped quote is a non-blank field", bytes(",\"\"\"\"\n"), utf8],
  ["a quoted comma is a non-blank field", bytes("\",\"\n"), utf8],
  ["0x81, in neither", bytes("a,b\n1,", [0x81], "\n"), encoding("not UTF-8 or Windows-1252 text: byte 0x81 at offset 6")],
  [
    "Windows-1252 text with 0x8D",
    bytes("a,b\n", [0xe9], ",", [0x8d]),
    encoding("not UTF-8 or Windows-1252 text: byte 0xE9 at offset 4 is not UTF-8, and byte 0x8D at offset 6 is not Windows-1252")
  ],
  [
    "UTF-8 truncated in a sequence with 0x9D (東)",
    bytes("a,b\n1,", [0xe6, 0x9d]),
    encoding("not UTF-8 or Windows-1252 text: byte 0xE6 at offset 6 is not UTF-8, and byte 0x9D at offset 7 is not Windows-1252")
  ],
  [
    "a UTF-8 surrogate, then 0x81",
    bytes("a\n", [0xed, 0xa0, 0x80, 0x81]),
    encoding("not UTF-8 or Windows-1252 text: byte 0xED at offset 2 is not UTF-8, and byte 0x81 at offset 5 is not Windows-1252")
  ],
  [
    "a UTF-8 BOM, then not UTF-8",
    bytes(BOM, "a\n", [0xe9]),
    encoding("not UTF-8 text, though it starts with a UTF-8 byte order mark: byte 0xE9 at offset 5; save the file as UTF-8 again")
  ],
  [
    "UTF-16LE with a BOM",
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("a,b\n1,2\n", "utf16le")]),
    encoding("UTF-16LE (byte order mark 0xFF 0xFE) text is not accepted: save the file as UTF-8 (in Excel: \"CSV UTF-8\")")
  ],
  [
    "UTF-16BE with a BOM",
    bytes([0xfe, 0xff, 0x00, 0x61]),
    encoding("UTF-16BE (byte order mark 0xFE 0xFF) text is not accepted: save the file as UTF-8 (in Excel: \"CSV UTF-8\")")
  ],
  [
    "UTF-16LE without a BOM",
    Buffer.from("a,b\n", "utf16le"),
    binary(`not text: a NUL byte (0x00) at offset 1 (a binary file or UTF-16/UTF-32 text); ${SEND_CSV}`)
  ],
  [
    "a NUL byte",
    bytes("a,b\n1", [0x00], "2\n"),
    binary(`not text: a NUL byte (0x00) at offset 5 (a binary file or UTF-16/UTF-32 text); ${SEND_CSV}`)
  ],
  ...[0x01, 0x08, 0x0b, 0x0e, 0x1b, 0x1f, 0x7f].map((b) =>
    [
      `control byte 0x${b.toString(16)}`,
      bytes("a,b\n", [b], "\n"),
      binary(`not text: control byte 0x${b.toString(16).toUpperCase().padStart(2, "0")} at offset 4 (a binary file); ${SEND_CSV}`)
    ] as const
  ),
  [
    "a control byte after a byte undefined in Windows-1252",
    bytes("a,b\n", [0x81, 0x02]),
    binary(`not text: control byte 0x02 at offset 5 (a binary file); ${SEND_CSV}`)
  ],
  [
    "a ZIP / XLSX signature",
    bytes([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00], "[Content_Types].xml"),
    binary(`not text: control byte 0x03 at offset 2 (the file looks like a ZIP archive or an XLSX/ODS workbook); ${SEND_CSV}`)
  ],
  [
    "a PNG signature",
    bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d], "IHDR"),
    binary(`not text: control byte 0x1A at offset 6 (the file looks like a PNG image); ${SEND_CSV}`)
  ],
  [
    "a PDF",
    bytes(pdfHead, [0x78, 0x9c, 0x00, 0x01]),
    binary(`not text: a NUL byte (0x00) at offset ${pdfHead.length + 2} (the file looks like a PDF); ${SEND_CSV}`)
  ],
  ["whitespace only", bytes("  \r\n\t\n \f"), noHeaderRow],
  ["only commas", bytes(",,,\r\n,,\n"), noHeaderRow],
  ["only a BOM", bytes(BOM), noHeaderRow],
  ["a BOM and line breaks", bytes(BOM, "\r\n\r\n"), noHeaderRow],
  ["empty and blank quoted fields", bytes("\"\",\"\",\"\"\r\n\" \",\"\t\"\n"), noHeaderRow]
]

describe("checkCsvText", () => {
  for (const [name, content, expected] of cases) {
    it(name, () => {
      assert.deepStrictEqual(checkCsvText(content), expected)
    })
  }

  it("the content type names the encoding", () => {
    assert.strictEqual(csvContentType("utf-8"), "text/csv; charset=utf-8")
    assert.strictEqual(csvContentType("windows-1252"), "text/csv; charset=windows-1252")
  })

  it("reads 20 MiB quickly, to the end", () => {
    const row = Buffer.from("CV-123456,\"Smith, John\",Müller José 東京,1234.56\r\n")
    const text = Buffer.alloc(row.length * Math.floor(20 * 1024 * 1024 / row.length), row)
    const start = performance.now()
    assert.deepStrictEqual(checkCsvText(text), utf8)
    text[text.length - 1] = 0x00
    assert.strictEqual(checkCsvText(text)._tag, "NotCsvText")
    const ascii = Buffer.alloc(20 * 1024 * 1024, "CV-1,Smith,1.00\r\n")
    ascii[ascii.length - 1] = 0xe9
    assert.deepStrictEqual(checkCsvText(ascii), windows1252)
    assert.isBelow(performance.now() - start, 2000)
  })
})
