# One image for api, workers and carrier-sim; docker-compose.yml picks the entry point per service.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY shared ./shared
COPY services ./services
COPY workers ./workers
COPY scripts ./scripts
# The processes run from bundles (scripts/lib/build-entries.ts): 50 MB less memory each than under tsx.
RUN npm run build
# DATA_DIR for the api and workers (docker-compose.yml mounts a shared volume here): owned by node,
# so a fresh named volume is writable and the generated audit signing key is shared.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000 3100 2525
# The api's V8 flags are shared/api-node-flags.ts (the same in docker-compose.yml and `npm start`; a
# unit test holds the copies equal): they keep a 1,000,000-row import under 256 MB of RSS.
CMD ["node", "--max-old-space-size=192", "--max-semi-space-size=16", "dist/api.mjs"]
