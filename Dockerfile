# otel-pipeline: the daemon, with the Claude Code preset as its default config.
#
#   docker build -t otel-pipeline .
#   docker run --rm -p 4317:4317 -p 4318:4318 -p 8889:8889 otel-pipeline
#
# Base: node:20-bookworm-slim rather than alpine. Every dependency is pure
# JavaScript, so both would run, but slim is glibc on Debian bookworm: the
# C library and distribution the test suite runs on, and a tier-1 Node.js
# platform (musl builds are "experimental"). The price is about 50 MB more
# than alpine, paid once per node in the layer cache.

# --- build: dev dependencies, TypeScript compiled to dist/ ------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
RUN npm run build

# --- runtime: production dependencies and the compiled daemon only ----------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    OTEL_PIPELINE_LISTEN_HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY bin ./bin
# The presets; config.yaml is what runs. Mount another file over it, or pass
# --config, to change it.
COPY config/claude-code.yaml /etc/otel-pipeline/config.yaml
COPY config/claude-code.yaml config/agent-framework.yaml config/auth.yaml /etc/otel-pipeline/presets/

# The node image's unprivileged user, by number so that Kubernetes'
# runAsNonRoot can check it without a runAsUser.
USER 1000:1000

# OTLP gRPC, OTLP HTTP, Prometheus exporter, self-telemetry, health.
EXPOSE 4317 4318 8889 8888 13133

# No curl in slim images: node itself asks /healthz (liveness: the process is up).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "require('http').get({host:'127.0.0.1',port:process.env.OTEL_PIPELINE_HEALTH_PORT||13133,path:'/healthz',timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))"]

# Exec form: node is PID 1 and receives SIGTERM itself (no shell in between);
# the daemon stops receivers, flushes batches and exporters, and exits 0.
ENTRYPOINT ["node", "bin/otel-pipeline"]
CMD ["run", "--config", "/etc/otel-pipeline/config.yaml"]
