# syntax=docker/dockerfile:1
# One image for the whole service: the webhook server by default; the worker (and the Gorgias sandbox)
# override the command. Debian, not Alpine: the Temporal worker's native library is built for glibc.
ARG NODE_IMAGE=node:20-bookworm-slim

# Install everything, compile src/ to dist/, then drop the dev dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The documented default reply policy (dist/policy/load.js reads ../../policy/default.yaml).
COPY policy ./policy
# The kill switch's folder (compose mounts the worker-control volume here; KILL_SWITCH_FILE is in it), owned by the
# image's user so that `touch` works: an empty named volume takes the owner of the folder it is mounted on, and
# Docker would create a missing one as root.
RUN mkdir -p /app/control && chown node:node /app/control
# The image's unprivileged user; nothing else in /app is writable by it.
USER node
# Webhook server (PORT) and the worker's Prometheus metrics (METRICS_PORT).
EXPOSE 3000 9464
CMD ["node", "dist/server/main.js"]
