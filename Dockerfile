# grow-a-cache container image: a drop-in for the official memcached image.
#
#   docker build -t grow-a-cache .
#   docker run -p 11211:11211 grow-a-cache -m 256
#
# Same contract as docker-library/memcached: user memcache (uid/gid 11211),
# port 11211, flags after the image name go to the server. Two stages: the
# build stage compiles TypeScript with dev dependencies, the runtime stage
# ships dist/ and production dependencies only.

# Node 24 LTS, the runtime package.json's engines asks for.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY lib ./lib
COPY segments ./segments
COPY protocol ./protocol
RUN npx tsc -p tsconfig.json

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM/SIGINT to node and reaps zombies (node at
# PID 1 would ignore the signals it has no handler for).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 11211 memcache \
 && useradd --system --uid 11211 --gid memcache --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin memcache
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist/lib ./dist/lib
COPY --from=build /src/dist/segments ./dist/segments
COPY --from=build /src/dist/protocol ./dist/protocol
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
USER memcache
EXPOSE 11211
ENTRYPOINT ["/usr/bin/tini", "--", "docker-entrypoint.sh"]
CMD ["grow-a-cache"]
