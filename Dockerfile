# One image for both processes; docker-compose.yml picks the command (api or worker).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# The SDK patch (patches/) is applied by npm install's postinstall, so it must be there first.
COPY patches ./patches
# npm install, not npm ci: see .ci/run (this registry's lockfile omits other platforms' optional packages).
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY common ./common
COPY api ./api
COPY worker ./worker
COPY workflows ./workflows
COPY activities ./activities
COPY cli ./cli
# Compiled JavaScript and the workflow bundle, built once here: the processes start fast and
# small, with no TypeScript loader and no bundler in memory.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
ENV NODE_ENV=production
# Fewer glibc malloc arenas: the Temporal core's many threads otherwise inflate RSS (common/process-settings.ts).
ENV MALLOC_ARENA_MAX=2
USER node
EXPOSE 3000
# node runs as PID 1 (not under npm), so the SIGTERM of `docker stop` reaches it and it drains.
CMD ["node", "--max-old-space-size=160", "--max-semi-space-size=4", "dist/api/main.js"]
