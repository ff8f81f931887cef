import uPlot from "uplot"
import "uplot/dist/uPlot.min.css"

const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563", "#65a30d", "#9333ea"]

export interface Line {
  readonly label: string
  /** One value per x (null where the line has no sample). */
  readonly values: ReadonlyArray<number | null>
  readonly dash?: boolean
}

/**
 * A time chart in `container`, replacing the one drawn there before: x in Unix seconds over the
 * window `from`–`to`, one line per series, sized to the container's width.
 */
export const drawTimeChart = (
  container: HTMLElement,
  options: {
    readonly title: string
    readonly unit: string
    /** The window shown, in Unix seconds, whatever the samples cover. */
    readonly from: number
    readonly to: number
    readonly x: ReadonlyArray<number>
    readonly lines: ReadonlyArray<Line>
  }
) => {
  charts.get(container)?.destroy()
  const chart = new uPlot(
    {
      title: options.title,
      width: Math.max(320, container.clientWidth),
      height: 220,
      scales: { x: { time: true, range: () => [options.from, options.to] }, y: { range: (_self, min, max) => [0, Math.max(1, max, min)] } },
      axes: [{ space: 90 }, { label: options.unit, size: 60 }],
      series: [
        {},
        ...options.lines.map((line, i): uPlot.Series => ({
          label: line.label,
          stroke: PALETTE[i % PALETTE.length]!,
          width: 2,
          spanGaps: false,
          ...(line.dash === true ? { dash: [6, 4] } : {})
        }))
      ]
    },
    [options.x.slice(), ...options.lines.map((line) => line.values.slice())] as uPlot.AlignedData,
    container
  )
  charts.set(container, chart)
}

const charts = new WeakMap<HTMLElement, uPlot>()

/** Keeps every chart as wide as its container. */
export const resizeCharts = (containers: Iterable<HTMLElement>) => {
  for (const container of containers) {
    const chart = charts.get(container)
    if (chart !== undefined) chart.setSize({ width: Math.max(320, container.clientWidth), height: 220 })
  }
}
