import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ENVIRONMENT, loadMemberConfig, parseMemberConfig } from '../../federation/config.ts';
import { ConfigError } from '../../sidechain/errors.ts';

const fixture = 'test/fixtures/member-config.json';
const valid = JSON.parse(readFileSync(fixture, 'utf8')) as Record<string, unknown>;
const { databaseUrl: _unused, ...withoutDatabase } = valid;

function errorOf(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as Error;
  }
  throw new Error('expected a ConfigError');
}

describe('member config', () => {
  it('reads a valid file and fills the documented defaults', () => {
    const config = loadMemberConfig(fixture, {});
    expect(config.api).to.deep.equal({ host: '127.0.0.1', port: 8101, rateLimitPerMinute: 6000, transactionLimitPerMinute: 60_000, registrationLimitPerMinute: 60 });
    expect(config.peer).to.deep.include({ rateLimitFramesPerSecond: 500, rateLimitBytesPerSecond: 16 * 1024 * 1024 });
    expect(config.logLevel).to.equal('info');
    expect([config.peerWaitMs, config.databaseClaimWaitMs, config.pegoutBatchWindowMs, config.catchUpIntervalMs]).to.deep.equal([25_000, 5_000, 2_000, 5_000]);
    expect(config.snapshotIntervalBlocks).to.equal(10_000);
  });

  it('reads the waits of a start from the file, and from their variables over it', () => {
    expect(parseMemberConfig({ ...valid, peerWaitMs: 2_000, databaseClaimWaitMs: 500 })).to.deep.include({ peerWaitMs: 2_000, databaseClaimWaitMs: 500 });
    expect(parseMemberConfig({ ...valid, peerWaitMs: 2_000 }, { STRONGBOX_PEER_WAIT_MS: '600000' }).peerWaitMs).to.equal(600_000);
  });

  it('reads relative paths in the file from the file\'s folder, and relative paths in variables from the current one', () => {
    const config = loadMemberConfig(fixture, { STRONGBOX_KEY_FILE: 'keys/member.json' });
    expect(config.genesisFile).to.equal(resolve('test/fixtures', valid.genesisFile as string));
    expect(config.dataDir).to.equal(resolve('test/fixtures', valid.dataDir as string));
    expect(config.keyFile).to.equal('keys/member.json');
  });

  it('lets the API and the peers share a port number on two different addresses', () => {
    const config = parseMemberConfig({ ...valid, api: { host: '10.0.0.1', port: 8100 }, peer: { host: '127.0.0.1', port: 8100 } });
    expect([config.api.port, config.peer.port]).to.deep.equal([8100, 8100]);
  });

  it('leaves the database unset when neither the file nor DATABASE_URL names one (embedded server)', () => {
    expect(parseMemberConfig(withoutDatabase, {}).databaseUrl).to.equal(undefined);
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

  it('takes a database on a server reached over its Unix-domain socket, the URL\'s host left empty, as node-postgres and libpq read it', () => {
    for (const url of ['postgresql://strongbox@/member_3?host=/var/run/postgresql', 'postgres://strongbox:secret@/member_3?host=/var/run/postgresql&port=5433', 'postgresql:///member_3?host=/var/run/postgresql', 'postgres://%2Fvar%2Frun%2Fpostgresql/member_3', 'postgres://strongbox@[::1]:5433/member_3']) {
      expect(parseMemberConfig(withoutDatabase, { DATABASE_URL: url }).databaseUrl).to.equal(url);
    }
  });

  it('treats an empty variable as unset', () => {
    expect(loadMemberConfig(fixture, { STRONGBOX_API_PORT: '' }).api.port).to.equal(8101);
  });

  it('builds a whole config from environment variables alone, each landing on its documented field', () => {
    const samples: Record<string, [string, unknown]> = {
      STRONGBOX_MEMBER_INDEX: ['3', 3],
      STRONGBOX_KEY_FILE: ['/keys/member-3.json', '/keys/member-3.json'],
      STRONGBOX_GENESIS_FILE: ['/network/genesis.json', '/network/genesis.json'],
      STRONGBOX_DATA_DIR: ['/data', '/data'],
      DATABASE_URL: ['postgresql://db/member_3', 'postgresql://db/member_3'],
      STRONGBOX_BITCOIN_RPC_URL: ['http://u:p@bitcoind:18443', 'http://u:p@bitcoind:18443'],
      STRONGBOX_API_HOST: ['0.0.0.0', '0.0.0.0'],
      STRONGBOX_API_PORT: ['8100', 8100],
      STRONGBOX_API_RATE_LIMIT: ['1200', 1200],
      STRONGBOX_API_TX_LIMIT: ['30000', 30_000],
      STRONGBOX_API_REGISTRATION_LIMIT: ['120', 120],
      STRONGBOX_PEER_HOST: ['::', '::'],
      STRONGBOX_PEER_PORT: ['9100', 9100],
      STRONGBOX_PEER_RATE_LIMIT: ['500', 500],
      STRONGBOX_PEER_RATE_LIMIT_BYTES: ['20000000', 20_000_000],
      STRONGBOX_PEERS: ['[]', []],
      STRONGBOX_FEE_BUMP_AFTER_SECONDS: ['600', 600],
      STRONGBOX_PEER_WAIT_MS: ['3000', 3_000],
      STRONGBOX_DATABASE_CLAIM_WAIT_MS: ['1000', 1_000],
      STRONGBOX_PEGOUT_BATCH_WINDOW_MS: ['500', 500],
      STRONGBOX_CATCH_UP_INTERVAL_MS: ['1000', 1_000],
      STRONGBOX_SNAPSHOT_INTERVAL_BLOCKS: ['500', 500],
      STRONGBOX_LOG_LEVEL: ['debug', 'debug'],
    };
    expect(Object.keys(samples).sort()).to.deep.equal(Object.keys(ENVIRONMENT).sort());
    const config = parseMemberConfig({}, Object.fromEntries(Object.entries(samples).map(([name, [raw]]) => [name, raw])));
    for (const [name, [, expected]] of Object.entries(samples)) {
      const value = ENVIRONMENT[name]!.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
      expect(value, name).to.deep.equal(expected);
    }
  });

  const invalid: Array<[string, Record<string, unknown>, NodeJS.ProcessEnv, string]> = [
    ['a port out of range', { ...valid, api: { port: 70000 } }, {}, 'api.port: expected an integer 1..65535'],
    ['a fractional port', { ...valid, peer: { port: 80.5 } }, {}, 'peer.port: expected an integer 1..65535'],
    ['a port given as a string in the file', { ...valid, api: { port: '8100' } }, {}, 'api.port: Invalid input: expected number, received string'],
    ['a rate limit of zero', { ...valid, api: { port: 1, rateLimitPerMinute: 0 } }, {}, 'api.rateLimitPerMinute: expected an integer 1..10000000'],
    ['a transaction limit of zero', valid, { STRONGBOX_API_TX_LIMIT: '0' }, 'api.transactionLimitPerMinute (STRONGBOX_API_TX_LIMIT): expected an integer 1..100000000'],
    ['a non-numeric port variable', valid, { STRONGBOX_API_PORT: 'eighty' }, 'api.port (STRONGBOX_API_PORT): expected an integer, got "eighty"'],
    ['a port variable out of range', valid, { STRONGBOX_API_PORT: '70000' }, 'api.port (STRONGBOX_API_PORT): expected an integer 1..65535'],
    ['a missing key file', { ...valid, keyFile: undefined }, {}, 'keyFile: required'],
    ['a database URL of another scheme', { ...valid, databaseUrl: 'mysql://x@y/z' }, {}, 'databaseUrl: expected a postgres:// or postgresql:// URL'],
    ['a database URL that is not a URL', valid, { DATABASE_URL: 'member_0' }, 'databaseUrl (DATABASE_URL): expected a postgres:// or postgresql:// URL'],
    // A postgres URL gone wrong is refused naming the part that is, never the password.
    ['a socket folder as the database name', { ...valid, databaseUrl: 'postgresql://strongbox:secret@/var/run/postgresql/member_0' }, {}, 'databaseUrl: the database name "var/run/postgresql/member_0" holds a "/": a socket folder goes in host=, the URL\'s host left empty (postgresql://user@/member_0?host=/var/run/postgresql)'],
    ['an empty socket folder', valid, { DATABASE_URL: 'postgresql://strongbox:secret@/member_0?host=' }, 'databaseUrl (DATABASE_URL): host= names no socket folder: give the folder of the server\'s socket (postgresql://user@/database?host=/var/run/postgresql), or leave host= out'],
    ['a relative socket folder', valid, { DATABASE_URL: 'postgresql:///member_0?host=var/run/postgresql' }, 'databaseUrl (DATABASE_URL): the socket folder "var/run/postgresql" in host= is a relative path: give it from the root (host=/var/run/postgresql)'],
    ['a second ? after the socket folder', valid, { DATABASE_URL: 'postgresql://strongbox@/member_0?host=/var/run/postgresql?port=5433' }, 'databaseUrl (DATABASE_URL): the socket folder "/var/run/postgresql?port=5433" in host= holds a "?": the URL\'s parameters after the first are joined with & (host=/var/run/postgresql&port=5433)'],
    ['a port after a host left empty', valid, { DATABASE_URL: 'postgresql://strongbox:secret@:5433/member_0?host=/var/run/postgresql' }, 'databaseUrl (DATABASE_URL): the port 5433 follows a host left empty: with a socket folder the port is given as port= (postgresql://user@/database?host=/var/run/postgresql&port=5433)'],
    ['a percent-encoded socket folder a host cannot hold', valid, { DATABASE_URL: 'postgres://strongbox:secret@%2Frun%2Fpg sql/member_0' }, 'databaseUrl (DATABASE_URL): the host "%2Frun%2Fpg sql" is the socket folder "/run/pg sql", which a URL\'s host cannot hold as written: name the folder in host= with the URL\'s host left empty (postgresql://user@/database?host=/run/pg%20sql)'],
    ['a relative percent-encoded socket folder', valid, { DATABASE_URL: 'postgres://var%2Frun%2Fpostgresql/member_0' }, 'databaseUrl (DATABASE_URL): the host "var%2Frun%2Fpostgresql" is the socket folder "var/run/postgresql", a relative path: give the folder from the root ("%2Fvar%2Frun%2Fpostgresql")'],
    ['a host that is none', valid, { DATABASE_URL: 'postgres://strongbox:secret@db server/member_0' }, 'databaseUrl (DATABASE_URL): the host "db server" is no host name or address; a server\'s Unix-domain socket is named by its folder in host=, the URL\'s host left empty (postgresql://user@/database?host=/var/run/postgresql)'],
    ['a database port out of range', valid, { DATABASE_URL: 'postgres://strongbox:secret@db:65536/member_0' }, 'databaseUrl (DATABASE_URL): the port "65536" is no port number 1..65535'],
    ['a missing Bitcoin RPC URL', { ...valid, bitcoin: {} }, {}, 'bitcoin.rpcUrl: required'],
    ['a Bitcoin RPC URL that is not HTTP', { ...valid, bitcoin: { rpcUrl: 'tcp://node:18443' } }, {}, 'bitcoin.rpcUrl: expected a http:// or https:// URL'],
    ['an unknown field', { ...valid, colour: 'blue' }, {}, 'colour: unknown setting "colour"; a member config takes memberIndex, keyFile, genesisFile, dataDir, databaseUrl, bitcoin, api, peer, peers, feeBumpAfterSeconds, peerWaitMs, databaseClaimWaitMs, pegoutBatchWindowMs, catchUpIntervalMs, snapshotIntervalBlocks, logLevel'],
    ['an unknown nested field', { ...valid, api: { port: 1, tls: true } }, {}, 'api.tls: unknown setting "tls"; api takes host, port, rateLimitPerMinute, transactionLimitPerMinute, registrationLimitPerMinute'],
    // A misspelt key is named with the setting it misspells, before the setting it leaves missing.
    ['a misspelt nested field', { ...valid, api: { prot: 8100 } }, {}, 'api.prot: unknown setting "prot" (did you mean "port"?)'],
    ['a misspelt field in another case', { ...valid, feeBumpAfterSecond: 60 }, {}, 'feeBumpAfterSecond: unknown setting "feeBumpAfterSecond" (did you mean "feeBumpAfterSeconds"?)'],
    ['a misspelt member index', { ...valid, memberIndex: undefined, memberIndx: 1 }, {}, 'memberIndx: unknown setting "memberIndx" (did you mean "memberIndex"?)'],
    ['a misspelt Bitcoin RPC URL', { ...valid, bitcoin: { rpcURL: 'http://u:p@node:18443' } }, {}, 'bitcoin.rpcURL: unknown setting "rpcURL" (did you mean "rpcUrl"?)'],
    ['a peer entry in STRONGBOX_PEERS without its URL', valid, { STRONGBOX_PEERS: '[{"memberIndex":1,"apiUrl":"http://peer:8000"}]' }, 'peers.0.url (STRONGBOX_PEERS): required'],
    ['a peer URL that is not a WebSocket', { ...valid, peers: [{ memberIndex: 1, url: 'http://x', apiUrl: 'http://x' }] }, {}, 'peers.0.url: expected a ws:// or wss:// URL'],
    ['peers that are not JSON', valid, { STRONGBOX_PEERS: '[oops' }, 'peers (STRONGBOX_PEERS): expected JSON'],
    ['an unknown log level', { ...valid, logLevel: 'loud' }, {}, 'logLevel: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"'],
    ['one port for the API and the peers', valid, { STRONGBOX_API_PORT: '8100', STRONGBOX_PEER_PORT: '8100' }, 'peer.port (STRONGBOX_PEER_PORT): must differ from api.port: the API and the peers cannot listen on one port'],
    ['one port for the API and peers listening on every address', { ...valid, api: { port: 8100 }, peer: { host: '0.0.0.0', port: 8100 } }, {}, 'peer.port: must differ from api.port: the API and the peers cannot listen on one port'],
    ['a member index out of range', valid, { STRONGBOX_MEMBER_INDEX: '256' }, 'memberIndex (STRONGBOX_MEMBER_INDEX): expected an integer 0..255'],
    ['a peer wait of zero', { ...valid, peerWaitMs: 0 }, {}, 'peerWaitMs: expected an integer 1..600000'],
    ['a peer wait longer than ten minutes', valid, { STRONGBOX_PEER_WAIT_MS: '600001' }, 'peerWaitMs (STRONGBOX_PEER_WAIT_MS): expected an integer 1..600000'],
    ['a peer wait in seconds with a unit', valid, { STRONGBOX_PEER_WAIT_MS: '25s' }, 'peerWaitMs (STRONGBOX_PEER_WAIT_MS): expected an integer, got "25s"'],
    ['a fractional database claim wait', { ...valid, databaseClaimWaitMs: 2.5 }, {}, 'databaseClaimWaitMs: expected an integer 1..600000'],
    ['a negative database claim wait', valid, { STRONGBOX_DATABASE_CLAIM_WAIT_MS: '-1' }, 'databaseClaimWaitMs (STRONGBOX_DATABASE_CLAIM_WAIT_MS): expected an integer, got "-1"'],
    ['a batch window of zero', valid, { STRONGBOX_PEGOUT_BATCH_WINDOW_MS: '0' }, 'pegoutBatchWindowMs (STRONGBOX_PEGOUT_BATCH_WINDOW_MS): expected an integer 1..600000'],
    ['a catch-up tick shorter than 100 ms', valid, { STRONGBOX_CATCH_UP_INTERVAL_MS: '10' }, 'catchUpIntervalMs (STRONGBOX_CATCH_UP_INTERVAL_MS): expected an integer 100..600000'],
    ['a snapshot interval of zero blocks', valid, { STRONGBOX_SNAPSHOT_INTERVAL_BLOCKS: '0' }, 'snapshotIntervalBlocks (STRONGBOX_SNAPSHOT_INTERVAL_BLOCKS): expected an integer 1..100000000'],
    ['a database claim wait given as a string in the file', { ...valid, databaseClaimWaitMs: '5000' }, {}, 'databaseClaimWaitMs: Invalid input: expected number, received string'],
  ];
  for (const [what, file, env, message] of invalid) {
    it(`stops with the field and the reason for ${what}`, () => {
      expect(errorOf(() => parseMemberConfig(file, env)).message).to.equal(message);
    });
  }

  it('names the file when it cannot be read, parsed, or is not an object', () => {
    expect(errorOf(() => loadMemberConfig('no/such/file.json', {})).message).to.equal('--config: cannot read no/such/file.json: no such file or directory');
    expect(errorOf(() => loadMemberConfig('README.md', {})).message).to.equal('--config: README.md is not JSON');
    expect(errorOf(() => parseMemberConfig([], {})).message).to.equal('config: expected a JSON object');
  });

  it('says when no member config was given, or a file of another kind was', () => {
    expect(errorOf(() => loadMemberConfig(undefined, {})).message).to.equal("--config: no member config given: pass --config with the member's config.json (or set STRONGBOX_MEMBER_INDEX and the other STRONGBOX_* variables)");
    expect(errorOf(() => loadMemberConfig('package.json', {})).message).to.equal('--config: package.json is not a member config: it has no memberIndex');
    // One whose memberIndex is misspelt is a member config all the same, and the misspelling is named.
    const folder = mkdtempSync(join(tmpdir(), 'strongbox-config-'));
    try {
      const file = join(folder, 'member.json');
      writeFileSync(file, JSON.stringify({ ...valid, memberIndex: undefined, memberindex: 1 }));
      expect(errorOf(() => loadMemberConfig(file, {})).message).to.equal('memberindex: unknown setting "memberindex" (did you mean "memberIndex"?)');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
