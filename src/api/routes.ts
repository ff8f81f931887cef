import * as HttpApi from "@effect/platform/HttpApi"
import { Api } from "./Api.js"
import { DASHBOARD_PATHS } from "./dashboard/Dashboard.js"

interface Route {
  readonly method: string
  readonly path: string
  readonly pattern: RegExp
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Every endpoint's path template, as a pattern of the paths it answers. */
const routes: ReadonlyArray<Route> = (() => {
  const found: Array<Route> = []
  HttpApi.reflect(Api, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => {
      const pattern = endpoint.path.split("/").map((part) => (part.startsWith(":") ? "[^/]+" : escape(part))).join("/")
      found.push({ method: endpoint.method, path: endpoint.path, pattern: new RegExp(`^${pattern}$`) })
    }
  })
  return found
})()

const OTHER_PATHS = new Set(["/docs", "/openapi.json", ...DASHBOARD_PATHS])

/** The route a request matched, as a metric label: its path template, never the ids in it. */
export const routeOf = (method: string, path: string) =>
  routes.find((route) => route.method === method && route.pattern.test(path))?.path ??
    (OTHER_PATHS.has(path) ? path : "unmatched")
