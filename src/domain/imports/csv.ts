import { Chunk, Data, Effect, Option, Stream } from "effect"
import Papa from "papaparse"

export type Encoding = "utf-8" | "windows-1252"

/** The file cannot be read as CSV text at all, or stops being readable part-way. */
export class CsvUnreadable extends Data.TaggedError("CsvUnreadable")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

/** How much of a file decides its encoding. */
const SNIFF_BYTES = 1024 * 1024

/** The longest record read; longer means a broken file (a quote never closed, say). */
export const MAX_RECORD_CHARS = 16 * 1024 * 1024

/** Bytes Windows-1252 leaves undefined. */
const UNDEFINED_IN_1252 = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d])

/**
 * UTF-8 when the first MiB is valid UTF-8 (an incomplete sequence at its very end aside),
 * Windows-1252 when it is valid Windows-1252, otherwise nothing. A later byte that is not valid in
 * the chosen encoding becomes U+FFFD, and the row holding it is quarantined.
 */
export const detectEncoding = (head: Uint8Array): Encoding | undefined => {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return undefined
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true })
    return "utf-8"
  } catch {
    for (const byte of head) if (UNDEFINED_IN_1252.has(byte)) return undefined
    return "windows-1252"
  }
}

/** The first chunks, up to `bytes` bytes or the end of the stream, and a stream of the rest. */
const splitHead = <E>(stream: Stream.Stream<Uint8Array, E>, bytes: number) =>
  Effect.gen(function*() {
    const pull = yield* Stream.toPull(stream)
    const head: Array<Uint8Array> = []
    let size = 0
    let ended = false
    while (size < bytes && !ended) {
      const next = yield* Effect.either(pull)
      if (next._tag === "Right") {
        for (const chunk of next.right) {
          head.push(chunk)
          size += chunk.byteLength
        }
      } else if (Option.isNone(next.left)) {
        ended = true
      } else {
        return yield* Effect.fail(next.left.value)
      }
    }
    const rest: Stream.Stream<Uint8Array, E> = ended ? Stream.empty : Stream.repeatEffectChunkOption(pull)
    return { head: Buffer.concat(head), rest }
  })

/**
 * Parses text as it arrives: each piece is appended to what the last one left unfinished, the
 * complete records are taken, and the incomplete last one waits for the next piece.
 */
const recordParser = (newline: "\n" | "\r\n") => {
  let pending = ""
  const config = { delimiter: ",", newline, quoteChar: "\"" } as const
  return {
    /** The records `piece` completes; undefined when the unfinished one has grown too long. */
    push: (piece: string): Array<Array<string>> | undefined => {
      const input = pending + piece
      const results = new Papa.Parser(config).parse(input, 0, true)
      pending = input.slice(results.meta.cursor)
      return pending.length > MAX_RECORD_CHARS ? undefined : results.data as Array<Array<string>>
    },
    /** The last records, and whether the last one has a quote that never closes. */
    end: () => {
      const results = new Papa.Parser(config).parse(pending, 0, false)
      pending = ""
      return { rows: results.data as Array<Array<string>>, unclosed: results.errors.some((error: Papa.ParseError) => error.code === "MissingQuotes") }
    }
  }
}

/**
 * The records of a CSV file read as a stream of bytes, decoded (UTF-8 or Windows-1252, see
 * `detectEncoding`) and parsed as they arrive, so that the whole file is never in memory. The
 * stream's own failures pass through; a file that is not text, whose quoting never closes or
 * whose record exceeds `MAX_RECORD_CHARS` fails with `CsvUnreadable` after the records before it.
 * A record is its cells as strings; an empty line is a record of one empty cell. Rows in messages
 * are counted after the first record (the header).
 */
export const records = <E>(bytes: Stream.Stream<Uint8Array, E>): Stream.Stream<ReadonlyArray<string>, E | CsvUnreadable> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const { head, rest } = yield* splitHead(bytes, SNIFF_BYTES)
    const encoding = detectEncoding(head)
    if (encoding === undefined) {
      return Stream.fail(new CsvUnreadable({ reason: "the file is neither UTF-8 nor Windows-1252 text" }))
    }
    const decoder = new TextDecoder(encoding)
    const firstLineEnd = head.indexOf(0x0a)
    const parser = recordParser(firstLineEnd > 0 && head[firstLineEnd - 1] === 0x0d ? "\r\n" : "\n")
    let read = 0
    const taken = (rows: Array<Array<string>> | undefined) => {
      if (rows === undefined) {
        return Effect.fail(new CsvUnreadable({
          reason: `the record after row ${Math.max(0, read - 1)} is longer than ${MAX_RECORD_CHARS / 1024 / 1024} MiB (a quote never closed?)`
        }))
      }
      read += rows.length
      return Effect.succeed(Chunk.unsafeFromArray(rows))
    }
    const end = Effect.suspend(() => {
      const tail = parser.push(decoder.decode())
      if (tail === undefined) return taken(tail)
      const last = parser.end()
      if (!last.unclosed) return taken([...tail, ...last.rows])
      const complete = [...tail, ...last.rows.slice(0, -1)]
      return Effect.zipRight(
        taken(complete),
        new CsvUnreadable({
          reason: `a quote opened in the record after row ${Math.max(0, read - 1)} is never closed: the rest of the file could not be read`
        })
      )
    })
    return Stream.concat(Stream.make(head), rest).pipe(
      Stream.mapConcatChunkEffect((chunk) => taken(parser.push(decoder.decode(chunk, { stream: true })))),
      Stream.concat(Stream.flattenChunks(Stream.fromEffect(end)))
    )
  }))
