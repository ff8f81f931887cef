# One image for every Dragonfly service (the API, each worker, the operator CLI); each Railway
# service picks its process with its start command (railway.toml, railway/*.toml).

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the only ones belong to the embedded Postgres and the test tooling.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Then only what runs: no dev tooling, no embedded Postgres (an optional dependency for local use),
# and none of the OpenTelemetry SDK packages that npm installs as @effect/opentelemetry's peers (its
# OTLP exporter, which we use, needs none of them).
RUN npm run build && npm prune --omit=dev --omit=optional --omit=peer --no-audit --no-fund

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
# Counsel's legal numbers, read at start (LEGAL_RULES_DIR points elsewhere to override them).
COPY config ./config
USER node
# Railway's start command overrides this (and sends SIGTERM to it: node is PID 1 here, with no shell).
CMD ["node", "bin/api.js"]
