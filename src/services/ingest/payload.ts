import { Schema } from "effect"

/**
 * Where the file is: `uploads/<sha256>.csv` for an upload, or an object's path in the storage
 * bucket. A relative path of plain segments: no `.` or `..` segment (the storage URL would climb
 * out of the bucket), no backslash, no control character, not absolute.
 */
export const FilePath = Schema.String.pipe(
  Schema.minLength(1),
  Schema.maxLength(1024),
  Schema.filter((path) =>
    /[\u0000-\u001f\u007f\\]/.test(path)
      ? "must not hold a backslash or a control character"
      : path.startsWith("/")
      ? "must be relative to the bucket (no leading /)"
      : path.split("/").some((segment) => segment === "." || segment === "..")
      ? "must not hold a . or .. segment"
      : path.split("/").some((segment) => segment === "")
      ? "must not hold an empty segment (//)"
      : true
  )
)

/** An import job: the file to read and where its rows come from. */
export const ImportPayload = Schema.Struct({
  file_path: FilePath,
  /** Part of every judgment's natural key: re-importing from the same source updates, not duplicates. */
  source: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100)),
  /** The data rows the producer counted; a different count marks the batch `partial`. */
  row_count: Schema.optional(Schema.Int.pipe(Schema.nonNegative()))
})
