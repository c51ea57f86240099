# syntax=docker/dockerfile:1
# spotwise: build with dev dependencies, run with production ones only, as a non-root user.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    SPOTWISE_DATA_DIR=/var/lib/spotwise \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY data ./data
COPY models ./models
COPY slack ./slack
COPY deploy ./deploy
RUN groupadd --system spotwise && useradd --system --gid spotwise --home-dir /var/lib/spotwise spotwise \
    && mkdir -p /var/lib/spotwise && chown spotwise:spotwise /var/lib/spotwise
USER spotwise
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# SIGTERM reaches node directly (exec form, PID 1 handles it): running ticks stop at a safe point and the
# process exits 0 within SPOTWISE_SHUTDOWN_SECONDS (30 s); give the orchestrator's stop timeout a little more.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["start"]
