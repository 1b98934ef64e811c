# Parley: build on Node 24 / Debian 13, run on the slim variant (the current uWS build
# needs glibc >= 2.38, which Debian 13 has).
# The install runs as the image's unprivileged `node` user, not root: no package's install
# script runs with root's rights (test/platform/run.sh installs the same way).
FROM node:24-trixie AS build
WORKDIR /app
RUN chown node:node /app
USER node
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY --chown=node:node . .
RUN npx vite build && npm prune --omit=dev

FROM node:24-trixie-slim
# jemalloc: server/start.sh preloads it (why is written there).
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["sh", "server/start.sh"]
