# Ratchet image: the pipeline worker, the serving worker and the CLI.
# Multi-stage: dependencies are installed in a build stage; the runtime stage has production
# dependencies only, runs as a non-root user, and carries the Python trainer's libraries so the
# external-trainer example works in the worker.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# npm install, not npm ci: npm 11 leaves other platforms' optional binaries out of the lock, which npm ci refuses.
RUN npm install --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
# The trainer's virtualenv comes first on PATH: an external trainer's `python3` is the one with
# its libraries.
ENV NODE_ENV=production \
    RATCHET_HOME=/var/lib/ratchet \
    RATCHET_MODELS_DIR=/etc/ratchet/models \
    PATH=/opt/trainer/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
# The example trainer's libraries (numpy, pandas, pyarrow, scikit-learn, skl2onnx, onnx) at the
# versions pinned once in requirements.txt; its test-only tools stay out of the image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv tini \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/trainer \
 && grep -E '^(numpy|pandas|pyarrow|scikit-learn|skl2onnx|onnx)==' /tmp/requirements.txt > /tmp/trainer-requirements.txt \
 && /opt/trainer/bin/pip install --no-cache-dir -r /tmp/trainer-requirements.txt \
 && rm /tmp/requirements.txt /tmp/trainer-requirements.txt \
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
COPY evaluation ./evaluation
COPY scoring ./scoring
COPY reports ./reports
COPY cli ./cli
COPY examples ./examples
USER ratchet
# 8080: the serving worker; 9464/9465: the pipeline worker's metrics and the Temporal SDK's.
EXPOSE 8080 9464 9465
ENTRYPOINT ["/usr/bin/tini", "--", "node", "cli/bin.mjs"]
CMD ["--help"]
