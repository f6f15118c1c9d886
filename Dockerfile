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
# The command's bundle is built here, as root: `node` cannot write under node_modules, and would
# otherwise run every start through tsx (docs/DECISIONS.md).
RUN node bin/strongbox.js --help > /dev/null
USER node
# V8 collects a member's old generation sooner: its peak under load stays lower (docs/DECISIONS.md, "Memory").
ENTRYPOINT ["node", "--heap-growing-percent=50", "bin/strongbox.js"]
