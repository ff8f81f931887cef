import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"

export const DASHBOARD_PATH = "/dashboard"
const ASSETS_PATH = `${DASHBOARD_PATH}/assets`

/**
 * Where `npm run build` puts the page's bundle (esbuild, from `page/`). This module sits at the same
 * depth in `src/` (tests) and `dist/` (production), so the path is the same from both.
 */
const ASSET_DIRECTORY = fileURLToPath(new URL("../../../dist/dashboard/", import.meta.url))

const ASSETS = {
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8"
} as const
type AssetName = keyof typeof ASSETS

/** Every path the dashboard answers. */
export const DASHBOARD_PATHS: ReadonlyArray<string> = [
  DASHBOARD_PATH,
  ...Object.keys(ASSETS).map((name) => `${ASSETS_PATH}/${name}`)
]

interface Asset {
  readonly body: Uint8Array
  readonly contentType: string
  readonly etag: string
}

/** The page only runs its own script and talks only to its own origin. */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY"
}

const page = (assets: Record<AssetName, Asset>) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>Dragonfly</title>
<link rel="stylesheet" href="${ASSETS_PATH}/app.css?v=${assets["app.css"].etag}">
<script type="module" src="${ASSETS_PATH}/app.js?v=${assets["app.js"].etag}"></script>
</head>
<body>
<div id="app"><noscript>The dashboard needs JavaScript.</noscript></div>
</body>
</html>
`

const notBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dragonfly</title></head>
<body><p>The dashboard's assets are not built: run <code>npm run build</code>.</p></body></html>
`

const loadAssets = Effect.tryPromise(async () => {
  const loaded: Partial<Record<AssetName, Asset>> = {}
  for (const [name, contentType] of Object.entries(ASSETS) as Array<[AssetName, string]>) {
    const body = new Uint8Array(await readFile(`${ASSET_DIRECTORY}${name}`))
    loaded[name] = { body, contentType, etag: createHash("sha256").update(body).digest("hex").slice(0, 16) }
  }
  return loaded as Record<AssetName, Asset>
})

const serveAsset = (asset: Asset) =>
  Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
    const headers = { etag: `"${asset.etag}"`, "cache-control": "no-cache", "x-content-type-options": "nosniff" }
    return request.headers["if-none-match"] === `"${asset.etag}"`
      ? HttpServerResponse.empty({ status: 304, headers })
      : HttpServerResponse.uint8Array(asset.body, { contentType: asset.contentType, headers })
  })

/**
 * `GET /dashboard`: the operators' page, and its script and style under `/dashboard/assets/`. The
 * page and its assets hold no data and need no key; the page asks for the API key and calls the
 * API's own endpoints with it. Without a build it answers 503 saying so.
 */
export const layer = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function*() {
    const assets = yield* loadAssets.pipe(
      Effect.tapError((error) => Effect.logWarning(`dashboard not served: its assets are not built (${ASSET_DIRECTORY})`, error)),
      Effect.option
    )
    if (assets._tag === "None") {
      const unavailable = HttpServerResponse.text(notBuilt, { status: 503, contentType: "text/html; charset=utf-8" })
      yield* router.get(DASHBOARD_PATH, Effect.succeed(unavailable))
      return
    }
    const html = HttpServerResponse.text(page(assets.value), {
      contentType: "text/html; charset=utf-8",
      headers: { ...SECURITY_HEADERS, "cache-control": "no-store" }
    })
    yield* router.get(DASHBOARD_PATH, Effect.succeed(html))
    for (const name of Object.keys(ASSETS) as Array<AssetName>) {
      yield* router.get(`${ASSETS_PATH}/${name}`, serveAsset(assets.value[name]))
    }
  })
)
