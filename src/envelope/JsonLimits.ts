/**
 * How deep a job's JSON may nest: far more than any payload needs, far less than what makes
 * JSON.stringify overflow its stack (a few thousand levels).
 */
export const MAX_JSON_DEPTH = 64

/** Whether `value` nests at most `limit` arrays and objects deep (counted without recursion). */
export const nestsAtMost = (value: unknown, limit: number = MAX_JSON_DEPTH) => {
  const pending: Array<readonly [unknown, number]> = [[value, 0]]
  while (pending.length > 0) {
    const [next, depth] = pending.pop()!
    if (typeof next !== "object" || next === null) continue
    if (depth + 1 > limit) return false
    for (const child of Array.isArray(next) ? next : Object.values(next)) pending.push([child, depth + 1])
  }
  return true
}

/**
 * The fields of `value` (dotted paths, `[i]` for array items) whose string, or whose key, holds a
 * NUL character: Postgres stores neither in `jsonb` nor in `text`. Counted without recursion.
 */
export const fieldsWithNul = (value: unknown): Array<string> => {
  const found: Array<string> = []
  const pending: Array<readonly [unknown, string]> = [[value, ""]]
  while (pending.length > 0) {
    const [next, path] = pending.pop()!
    if (typeof next === "string") {
      if (next.includes("\u0000")) found.push(path === "" ? "(envelope)" : path)
      continue
    }
    if (typeof next !== "object" || next === null) continue
    const entries: Array<readonly [string, unknown]> = Array.isArray(next)
      ? next.map((item, i) => [`[${i}]`, item] as const)
      : Object.entries(next)
    for (const [key, child] of entries) {
      const childPath = key.startsWith("[") ? `${path}${key}` : path === "" ? key : `${path}.${key}`
      if (key.includes("\u0000")) found.push(childPath)
      else pending.push([child, childPath])
    }
  }
  return found.sort()
}
