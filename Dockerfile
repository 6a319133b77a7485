# syntax=docker/dockerfile:1
# Switchboard: one image, every role. `docker run IMAGE` runs `switchboard all`;
# pass another command for one role: serve | work | migrate | demo | accounts create --name X |
# users create --account <id> --email <e> (the first dashboard admin).

# --- build: compile TypeScript -------------------------------------------------------------
# dev/ (the carrier emulator: tests, benchmarks, chaos) is not part of the build.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY routes ./routes
COPY adapters ./adapters
COPY ivr ./ivr
RUN npm run build

# --- deps: production dependencies only ----------------------------------------------------
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force

# --- runtime -------------------------------------------------------------------------------
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
# Files stay owned by root and read-only to the service user.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY migrations ./migrations
COPY web ./web
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The CLI handles SIGTERM/SIGINT itself: it finishes in-flight requests and jobs, then exits.
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["all"]
