/** One sample of Prometheus's text format. */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y

const parseLabels = (text: string, line: string) => {
  const labels: Record<string, string> = {}
  LABEL.lastIndex = 0
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text)
    if (match === null) throw new Error(`bad labels in: ${line}`)
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c))
  }
  return labels
}

const familyOf = (name: string, types: ReadonlyMap<string, string>) => {
  if (types.has(name)) return name
  const base = name.replace(/_(bucket|sum|count)$/, "")
  return types.get(base) === "histogram" || types.get(base) === "summary" ? base : undefined
}

/**
 * Parses the text format strictly: every line a HELP, a TYPE (once per family, before its
 * samples) or a sample of a typed family; anything else throws, naming the line.
 */
export const parse = (text: string): ReadonlyArray<Sample> => {
  const types = new Map<string, string>()
  const samples: Array<Sample> = []
  if (!text.endsWith("\n")) throw new Error("the exposition does not end with a newline")
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ")) {
      if (!NAME.test(line.split(" ")[2] ?? "")) throw new Error(`bad HELP: ${line}`)
      continue
    }
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ")
      if (!NAME.test(name ?? "") || !["counter", "gauge", "histogram", "summary", "untyped"].includes(type ?? "")) {
        throw new Error(`bad TYPE: ${line}`)
      }
      if (types.has(name!)) throw new Error(`TYPE twice for ${name}`)
      types.set(name!, type!)
      continue
    }
    const match = SAMPLE.exec(line)
    if (match === null) throw new Error(`not a sample: ${line}`)
    const [, name, labelText, valueText] = match
    if (familyOf(name!, types) === undefined) throw new Error(`sample before its TYPE: ${line}`)
    const value = valueText === "+Inf" ? Infinity : valueText === "-Inf" ? -Infinity : Number(valueText)
    if (Number.isNaN(value) && valueText !== "NaN") throw new Error(`bad value: ${line}`)
    samples.push({ name: name!, labels: labelText === undefined ? {} : parseLabels(labelText, line), value })
  }
  return samples
}

/** The value of the sample with exactly this name and these labels (undefined when absent). */
export const valueOf = (samples: ReadonlyArray<Sample>, name: string, labels: Readonly<Record<string, string>> = {}) =>
  samples.find((sample) =>
    sample.name === name &&
    Object.keys(sample.labels).length === Object.keys(labels).length &&
    Object.entries(labels).every(([key, value]) => sample.labels[key] === value)
  )?.value
