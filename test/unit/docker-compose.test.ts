import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ENVIRONMENT, parseMemberConfig } from '../../federation/config.ts';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, Service> };
const members = Object.entries(compose.services).filter(([name]) => name.startsWith('member-'));

/** What docker compose does to `${NAME:-default}` when NAME is unset. */
function withDefaults(value: string): string {
  return value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
}

describe('docker-compose.yml', () => {
  it('runs bitcoind on regtest, Postgres and five federation members', () => {
    expect(compose.services.bitcoind?.image).to.match(/^bitcoin\/bitcoin:\d+\.\d+/);
    expect(compose.services.bitcoind?.command).to.include('-regtest=1');
    expect(compose.services.postgres?.image).to.match(/^postgres:\d+/);
    expect(members.map(([name]) => name)).to.deep.equal(['member-0', 'member-1', 'member-2', 'member-3', 'member-4']);
  });

  it('configures members only through variables the config schema knows', () => {
    for (const [name, service] of members) {
      const variables = Object.keys(service.environment ?? {});
      const unknown = variables.filter((variable) => !(variable in ENVIRONMENT));
      expect(unknown, `${name} sets unknown variables`).to.deep.equal([]);
    }
  });

  it('gives every member a configuration the schema accepts', () => {
    for (const [, service] of members) {
      const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, withDefaults(value)]));
      const config = parseMemberConfig({}, env);
      expect(config.peers).to.have.length(4);
      expect(config.peers.map((peer) => peer.memberIndex)).to.not.include(config.memberIndex);
    }
  });
});
