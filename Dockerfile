# One image for both processes; docker-compose.yml picks the command (api or worker).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# npm install, not npm ci: see .ci/run (this registry's lockfile omits other platforms' optional packages).
RUN npm install --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY common ./common
COPY api ./api
COPY worker ./worker
COPY workflows ./workflows
COPY activities ./activities
COPY cli ./cli
USER node
EXPOSE 3000
CMD ["npm", "run", "start:api"]
