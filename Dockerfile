# One image for every service: `docker run tributary ordering`.
#
# Build stage: all dependencies (tsx and esbuild, vite for the dashboard),
# the dashboard built, every service bundled as `npm start` bundles them.
# Runtime stage: production dependencies only and the bundles, as a non-root
# user. The bundles name each source file's own location (Lua scripts,
# package.json, the dashboard's files are read beside their sources), so the
# sources stay in the image, at the same path, /app, in both stages.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY . .
# No install scripts (docs: the project uses none); esbuild's and rollup's binaries come as optional packages.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm run build --workspace @tributary/dashboard \
 && node --import tsx deploy/image/build.ts /app/dist/services

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY . .
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/dist/services /app/dist/services
COPY --from=build /app/apps/dashboard/dist /app/apps/dashboard/dist
# The base image's `node` user (uid 1000); the manifests run it as that uid, read-only root.
USER node
EXPOSE 8080
ENV PORT=8080 HOST=0.0.0.0
ENTRYPOINT ["/app/deploy/image/entrypoint.sh"]
