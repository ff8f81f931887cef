import { Metric, MetricState } from "effect"
import type { MetricPair } from "effect"

/** The content type of Prometheus's text exposition format. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, "\\\"")
const escapeHelp = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")
const number = (value: number | bigint) =>
  typeof value === "bigint" ? value.toString() : Number.isNaN(value) ? "NaN" : value === Infinity ? "+Inf" : value === -Infinity ? "-Inf" : String(value)

const labelText = (labels: ReadonlyArray<readonly [string, string]>) =>
  labels.length === 0 ? "" : `{${labels.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(",")}}`

const typeOf = (state: MetricState.MetricState<unknown>) =>
  MetricState.isCounterState(state)
    ? "counter"
    : MetricState.isGaugeState(state)
    ? "gauge"
    : MetricState.isHistogramState(state)
    ? "histogram"
    : MetricState.isSummaryState(state)
    ? "summary"
    : "untyped"

/** The sample lines of one series. */
const samples = (name: string, labels: ReadonlyArray<readonly [string, string]>, state: MetricState.MetricState<unknown>) => {
  if (MetricState.isCounterState(state) || MetricState.isGaugeState(state)) {
    const value = MetricState.isCounterState(state) ? state.count : state.value
    return [`${name}${labelText(labels)} ${number(value)}`]
  }
  if (MetricState.isHistogramState(state)) {
    const finite = state.buckets.filter(([boundary]) => Number.isFinite(boundary))
    return [
      ...finite.map(([boundary, count]) => `${name}_bucket${labelText([...labels, ["le", String(boundary)]])} ${count}`),
      `${name}_bucket${labelText([...labels, ["le", "+Inf"]])} ${state.count}`,
      `${name}_sum${labelText(labels)} ${number(state.sum)}`,
      `${name}_count${labelText(labels)} ${state.count}`
    ]
  }
  if (MetricState.isSummaryState(state)) {
    return [
      ...state.quantiles.flatMap(([quantile, value]) =>
        value._tag === "Some" ? [`${name}${labelText([...labels, ["quantile", String(quantile)]])} ${number(value.value)}`] : []
      ),
      `${name}_sum${labelText(labels)} ${number(state.sum)}`,
      `${name}_count${labelText(labels)} ${state.count}`
    ]
  }
  // A frequency: one series per occurrence.
  if (MetricState.isFrequencyState(state)) {
    return [...state.occurrences].map(([key, count]) => `${name}${labelText([...labels, ["key", key]])} ${count}`)
  }
  return []
}

/** Every metric of the registry (or the pairs given), as Prometheus text: HELP and TYPE once per name. */
export const render = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped> = Metric.unsafeSnapshot()) => {
  const byName = new Map<string, Array<MetricPair.MetricPair.Untyped>>()
  for (const pair of pairs) {
    const list = byName.get(pair.metricKey.name)
    if (list === undefined) byName.set(pair.metricKey.name, [pair])
    else list.push(pair)
  }
  const lines: Array<string> = []
  for (const [name, series] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
    const description = series.find((pair) => pair.metricKey.description._tag === "Some")?.metricKey.description
    if (description?._tag === "Some") lines.push(`# HELP ${name} ${escapeHelp(description.value)}`)
    lines.push(`# TYPE ${name} ${typeOf(series[0]!.metricState)}`)
    for (const { metricKey, metricState } of series) {
      const labels = metricKey.tags.map((tag) => [tag.key, tag.value] as const).sort(([a], [b]) => a.localeCompare(b))
      lines.push(...samples(name, labels, metricState))
    }
  }
  return lines.join("\n") + "\n"
}
