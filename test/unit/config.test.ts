import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { loadMemberConfig, parseMemberConfig } from '../../federation/config.ts';
import { ConfigError } from '../../sidechain/errors.ts';

const fixture = 'test/fixtures/member-config.json';
const valid = JSON.parse(readFileSync(fixture, 'utf8')) as Record<string, unknown>;

describe('member config', () => {
  it('reads a valid file and fills documented defaults', () => {
    const config = loadMemberConfig(fixture, {});
    expect(config.api).to.deep.equal({ host: '127.0.0.1', port: 8101 });
    expect(config.logLevel).to.equal('info');
  });

  it('lets environment variables override the file', () => {
    const config = loadMemberConfig(fixture, {
      STRONGBOX_API_PORT: '9000',
      DATABASE_URL: 'postgres://u:p@db:5432/member_3',
      STRONGBOX_PEERS: '[{"memberIndex":2,"url":"ws://peer:9000","apiUrl":"http://peer:8000"}]',
    });
    expect(config.api.port).to.equal(9000);
    expect(config.databaseUrl).to.equal('postgres://u:p@db:5432/member_3');
    expect(config.peers).to.deep.equal([{ memberIndex: 2, url: 'ws://peer:9000', apiUrl: 'http://peer:8000' }]);
  });

  const invalid: Array<[string, Record<string, unknown>, NodeJS.ProcessEnv, RegExp]> = [
    ['a port out of range', { ...valid, api: { port: 70000 } }, {}, /^api\.port: Too big/],
    ['a non-numeric port variable', valid, { STRONGBOX_API_PORT: 'eighty' }, /^api\.port \(STRONGBOX_API_PORT\): expected an integer, got "eighty"$/],
    ['a database URL of another scheme', { ...valid, databaseUrl: 'mysql://x@y/z' }, {}, /^databaseUrl: expected a postgres:\/\/ URL$/],
    ['a missing Bitcoin RPC URL', { ...valid, bitcoin: {} }, {}, /^bitcoin\.rpcUrl: /],
    ['an unknown field', { ...valid, colour: 'blue' }, {}, /^colour: Unrecognized key/],
    ['a peer URL that is not a WebSocket', { ...valid, peers: [{ memberIndex: 1, url: 'http://x', apiUrl: 'http://x' }] }, {}, /^peers\.0\.url: expected a ws:\/\/ or wss:\/\/ URL$/],
    ['peers that are not JSON', valid, { STRONGBOX_PEERS: '[oops' }, /^peers \(STRONGBOX_PEERS\): expected JSON$/],
    ['an unknown log level', { ...valid, logLevel: 'loud' }, {}, /^logLevel: /],
  ];
  for (const [what, file, env, message] of invalid) {
    it(`stops with the field and the reason for ${what}`, () => {
      let error: unknown;
      try {
        parseMemberConfig(file, env);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.match(message);
    });
  }

  it('names the file when it cannot be read or parsed', () => {
    expect(() => loadMemberConfig('no/such/file.json', {})).to.throw(ConfigError, '--config: cannot read no/such/file.json');
    expect(() => loadMemberConfig('README.md', {})).to.throw(ConfigError, '--config: README.md is not valid JSON');
  });
});
