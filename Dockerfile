FROM node:20-bookworm-slim
WORKDIR /strongbox
COPY package.json package-lock.json ./
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/* \
  && npm ci --omit=dev --ignore-scripts=false
COPY . .
USER node
ENTRYPOINT ["node", "bin/strongbox.js"]
