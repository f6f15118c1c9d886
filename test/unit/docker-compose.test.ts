import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ENVIRONMENT, parseMemberConfig } from '../../federation/config.ts';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
}

const text = readFileSync('docker-compose.yml', 'utf8');
const compose = parse(text, { merge: true }) as { services: Record<string, Service> };
const members = Object.entries(compose.services).filter(([name]) => name.startsWith('member-'));

/** What docker compose does to `${NAME:-default}` when NAME is unset. */
function withDefaults(value: string): string {
  return value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
}

function memberEnvironment(service: Service): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, withDefaults(String(value))]));
}

describe('docker-compose.yml', () => {
  it('runs bitcoind on regtest and Postgres from pinned images, and five federation members', () => {
    expect(compose.services.bitcoind?.image).to.match(/^bitcoin\/bitcoin:\d+\.\d+$/);
    expect(compose.services.bitcoind?.command).to.include('-regtest=1');
    expect(compose.services.postgres?.image).to.match(/^postgres:\d+\.\d+$/);
    expect(members.map(([name]) => name)).to.deep.equal(['member-0', 'member-1', 'member-2', 'member-3', 'member-4']);
    for (const [, service] of members) {
      expect(service.build).to.equal('.');
      expect(service.command).to.deep.equal(['member', 'start']);
    }
  });

  it('uses only Strongbox variables that the config schema knows, anywhere in the file', () => {
    const used = new Set(text.match(/\b(STRONGBOX_[A-Z0-9_]+|DATABASE_URL)\b/g) ?? []);
    expect(used.size).to.be.greaterThan(0);
    expect([...used].filter((variable) => !(variable in ENVIRONMENT))).to.deep.equal([]);
  });

  it('gives every member a configuration the schema accepts, its own index, database and port, and the other four as peers', () => {
    const configs = members.map(([name, service]) => ({ name, service, config: parseMemberConfig({}, memberEnvironment(service)) }));
    for (const { name, config } of configs) {
      expect(`member-${config.memberIndex}`).to.equal(name);
      expect(new URL(config.databaseUrl!).pathname).to.equal(`/member_${config.memberIndex}`);
      expect(config.peers.map((peer) => peer.memberIndex)).to.deep.equal([0, 1, 2, 3, 4].filter((index) => index !== config.memberIndex));
      for (const peer of config.peers) {
        expect(new URL(peer.url).host).to.equal(`member-${peer.memberIndex}:${config.peer.port}`);
        expect(new URL(peer.apiUrl).host).to.equal(`member-${peer.memberIndex}:${config.api.port}`);
      }
    }
    const published = configs.flatMap(({ service }) => service.ports ?? []);
    expect(new Set(published).size).to.equal(members.length);
  });

  it('builds the member image with the strongbox entry point', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    expect(dockerfile).to.match(/^FROM node:20[\w.-]*$/m);
    expect(dockerfile).to.match(/npm ci/);
    expect(dockerfile).to.match(/^ENTRYPOINT \["node", "--heap-growing-percent=50", "bin\/strongbox\.js"\]$/m);
  });

  it('builds the command\'s bundle into the image before it drops to the node user, who cannot write it', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const build = dockerfile.search(/^RUN node bin\/strongbox\.js --help/m);
    expect(build, 'a RUN that starts the command once').to.be.greaterThan(dockerfile.search(/^COPY \. \.$/m));
    expect(build).to.be.lessThan(dockerfile.search(/^USER node$/m));
  });
});
