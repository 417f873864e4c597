# Ratchet image: the pipeline worker, the serving worker and the CLI.
# Multi-stage: dependencies are installed in a build stage; the runtime stage has production
# dependencies only, runs as a non-root user, and carries the Python trainer's libraries so the
# external-trainer example works in the worker.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    RATCHET_HOME=/var/lib/ratchet \
    RATCHET_MODELS_DIR=/etc/ratchet/models
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system ratchet && useradd --system --gid ratchet --home /var/lib/ratchet ratchet \
 && mkdir -p /var/lib/ratchet /etc/ratchet/models && chown ratchet:ratchet /var/lib/ratchet
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY core ./core
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY registry ./registry
COPY validation ./validation
COPY data ./data
COPY trainers ./trainers
COPY scoring ./scoring
COPY reports ./reports
COPY cli ./cli
COPY examples ./examples
USER ratchet
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "node", "cli/bin.mjs"]
CMD ["--help"]
