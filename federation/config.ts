import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../sidechain/errors.ts';
import { DEFAULT_PEER_RATE_LIMIT } from './transport/options.ts';
import { readJsonFile } from './json-file.ts';

/**
 * A member's settings: one schema, read from a JSON file (`strongbox member start --config`) and
 * overridden by environment variables. The variable for each field is named in its comment and
 * listed in ENVIRONMENT below; docker-compose.yml uses exactly these names.
 */
function integer(min: number, max: number) {
  const reason = `expected an integer ${min}..${max}`;
  return z.number().int(reason).min(min, reason).max(max, reason);
}

/**
 * The authority of a URL whose host is left empty, with or without a user before it: the WHATWG
 * parser refuses an empty host after a user, which a libpq socket URL has, so it checks one in its place.
 */
const EMPTY_HOST = /^([a-z]+:\/\/(?:[^/?#@]*@)?)(?=[/?#]|$)/;

function urlWithScheme(schemes: string[]) {
  const reason = `expected a ${schemes.map((scheme) => `${scheme}://`).join(' or ')} URL`;
  return z.string().refine((value) => {
    try {
      return schemes.includes(new URL(value).protocol.slice(0, -1));
    } catch {
      return false;
    }
  }, reason);
}

/**
 * What is wrong with a Postgres URL, by the part that is, or undefined when node-postgres reads it
 * as meant. A server reached over its Unix-domain socket is named by the socket's folder, in
 * `host=` with the URL's own host left empty (postgresql://strongbox@/member_0?host=/var/run/postgresql)
 * or percent-encoded as the host (postgres://%2Fvar%2Frun%2Fpostgresql/member_0). The refusal of
 * one gone wrong names the part, since "expected a postgres:// URL" of a URL that is one sends its
 * author looking at the scheme. No part holding the password is ever shown.
 */
function postgresUrlProblem(value: string): string | undefined {
  const SOCKET_FORM = 'postgresql://user@/database?host=/var/run/postgresql';
  const scheme = /^postgres(ql)?:\/\//.exec(value);
  if (!scheme) return 'expected a postgres:// or postgresql:// URL';
  const rest = value.slice(scheme[0].length);
  const authority = rest.slice(0, (rest.search(/[/?#]/) + 1 || rest.length + 1) - 1);
  const [, host = '', port] = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(authority.slice(authority.lastIndexOf('@') + 1)) ?? [];
  if (port && !(/^[0-9]{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) return `the port "${port}" is no port number 1..65535`;
  let url: URL;
  try {
    url = new URL(value.replace(EMPTY_HOST, '$1localhost'));
  } catch {
    if (host === '' && port) return `the port ${port} follows a host left empty: with a socket folder the port is given as port= (${SOCKET_FORM}&port=${port})`;
    const folder = decodedOrNull(host);
    if (folder?.includes('/')) return `the host "${host}" is the socket folder "${folder}", which a URL's host cannot hold as written: name the folder in host= with the URL's host left empty (postgresql://user@/database?host=${encodeURI(folder)})`;
    return `the host "${host}" is no host name or address; a server's Unix-domain socket is named by its folder in host=, the URL's host left empty (${SOCKET_FORM})`;
  }
  const hostFolder = decodedOrNull(url.hostname);
  if (hostFolder?.includes('/') && !hostFolder.startsWith('/')) return `the host "${url.hostname}" is the socket folder "${hostFolder}", a relative path: give the folder from the root ("%2F${url.hostname}")`;
  for (const folder of url.searchParams.getAll('host')) {
    if (folder === '') return `host= names no socket folder: give the folder of the server's socket (${SOCKET_FORM}), or leave host= out`;
    if (folder.includes('?')) return `the socket folder "${folder}" in host= holds a "?": the URL's parameters after the first are joined with & (host=${folder.replace('?', '&')})`;
    if (folder.includes('/') && !folder.startsWith('/')) return `the socket folder "${folder}" in host= is a relative path: give it from the root (host=/${folder})`;
  }
  const database = decodedOrNull(url.pathname.slice(1)) ?? url.pathname.slice(1);
  if (database.includes('/')) {
    const name = database.slice(database.lastIndexOf('/') + 1);
    const folder = database.slice(0, database.lastIndexOf('/'));
    return `the database name "${database}" holds a "/": a socket folder goes in host=, the URL's host left empty (postgresql://user@/${name}?host=/${folder.replace(/^\/+/, '')})`;
  }
  return undefined;
}

/** A percent-encoded part of a URL decoded, or null when it is not valid percent-encoding. */
function decodedOrNull(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

const postgresUrl = z.string().superRefine((value, context) => {
  const problem = postgresUrlProblem(value);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
});

const port = integer(1, 65535);
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);
/** Two listeners on one port clash when their hosts are the same or either listens on every address. */
const listenersOverlap = (a: string, b: string) => a === b || WILDCARD_HOSTS.has(a) || WILDCARD_HOSTS.has(b);
const host = z.string().min(1, 'expected a host name or address');

export const memberConfigSchema = z
  .strictObject({
    /** STRONGBOX_MEMBER_INDEX: position of this member in the genesis member list (0-based). */
    memberIndex: integer(0, 255),
    /** STRONGBOX_KEY_FILE: key file made by `strongbox keygen` (mode 0600). */
    keyFile: z.string().min(1, 'expected a file path'),
    /** STRONGBOX_GENESIS_FILE: the genesis file every member shares. */
    genesisFile: z.string().min(1, 'expected a file path'),
    /** STRONGBOX_DATA_DIR: this member's own files (logs, and the embedded Postgres cluster). */
    dataDir: z.string().min(1, 'expected a folder path'),
    /**
     * DATABASE_URL: this member's own Postgres database. Unset: an embedded server under
     * `<dataDir>/postgres`, database `member_<memberIndex>` (federation/postgres/member-database.ts).
     */
    databaseUrl: postgresUrl.optional(),
    bitcoin: z.strictObject({
      /** STRONGBOX_BITCOIN_RPC_URL: Bitcoin Core compatible JSON-RPC with credentials, http://user:password@host:port */
      rpcUrl: urlWithScheme(['http', 'https']),
    }),
    api: z.strictObject({
      /** STRONGBOX_API_HOST, default 127.0.0.1 (0.0.0.0 inside a container). */
      host: host.default('127.0.0.1'),
      /** STRONGBOX_API_PORT */
      port,
      /**
       * STRONGBOX_API_RATE_LIMIT: requests one client address may make per minute, default 6000
       * (about 100 a second); more are answered 429 until the minute is over.
       */
      rateLimitPerMinute: integer(1, 10_000_000).default(6_000),
      /**
       * STRONGBOX_API_TX_LIMIT: transactions one client address may submit per minute through
       * POST /tx and POST /txs together, default 60000 (about 1,000 a second); a request that
       * would go beyond it is answered 429 and none of its transactions is admitted.
       */
      transactionLimitPerMinute: integer(1, 100_000_000).default(60_000),
      /**
       * STRONGBOX_API_REGISTRATION_LIMIT: deposit-address registrations and deposit claims
       * (POST /pegin/addresses, POST /pegin/claims) one client address may ask for per minute,
       * default 60: each new recipient is a row and an entry this member keeps for good.
       */
      registrationLimitPerMinute: integer(1, 10_000_000).default(60),
    }),
    peer: z.strictObject({
      /** STRONGBOX_PEER_HOST, default 127.0.0.1 */
      host: host.default('127.0.0.1'),
      /** STRONGBOX_PEER_PORT */
      port,
      /**
       * STRONGBOX_PEER_RATE_LIMIT: frames each other member may send this one a second, sustained
       * (twice as many at once), default 500; more are dropped unread and counted as
       * strongbox_peer_messages_dropped_total{reason="rate"}.
       */
      rateLimitFramesPerSecond: integer(1, 10_000_000).default(DEFAULT_PEER_RATE_LIMIT.framesPerSecond),
      /** STRONGBOX_PEER_RATE_LIMIT_BYTES: the same for bytes, default 16777216 (16 MiB); 2 s of it must hold a largest block. */
      rateLimitBytesPerSecond: integer(1, 1_073_741_824).default(DEFAULT_PEER_RATE_LIMIT.bytesPerSecond),
    }),
    /**
     * STRONGBOX_PEERS (JSON): every other member, its peer endpoint and the API where this member
     * fetches blocks it missed.
     */
    peers: z.array(
      z.strictObject({
        memberIndex: integer(0, 255),
        url: urlWithScheme(['ws', 'wss']),
        apiUrl: urlWithScheme(['http', 'https']),
      }),
    ),
    /**
     * STRONGBOX_FEE_BUMP_AFTER_SECONDS: how long a peg-out or anchor may wait in this member's
     * mempool before it proposes a CPFP fee bump, default 3600 (about six Bitcoin blocks).
     */
    feeBumpAfterSeconds: integer(1, 604_800).default(3_600),
    /**
     * STRONGBOX_PEER_WAIT_MS: how long a start asks the other members again, once a second, before
     * it refuses: while more than n − k of them hold a link from this member's key, and while its
     * database lacks what it signed at the height being decided and too few answer. Default 25000:
     * time for them to drop the link of a process that died without closing its sockets (three
     * unanswered 5-second pings). Only the answers let a start go on, so a shorter wait never
     * lets a duplicated or restored member sign; it refuses starts that waiting would have let go on.
     */
    peerWaitMs: integer(1, 600_000).default(25_000),
    /**
     * STRONGBOX_DATABASE_CLAIM_WAIT_MS: how long a start asks again for its database, once a
     * second, while another session holds it, before it refuses; default 5000, for the connection of
     * a process just killed to close. The lock alone keeps a second process out, whatever the wait.
     */
    databaseClaimWaitMs: integer(1, 600_000).default(5_000),
    /**
     * STRONGBOX_PEGOUT_BATCH_WINDOW_MS: how long this member, as proposer, waits after a burn is
     * final before it settles it, so that burns close together share one Bitcoin transaction;
     * default 2000. A policy of the proposer alone: validators do not check it.
     */
    pegoutBatchWindowMs: integer(1, 600_000).default(2_000),
    /**
     * STRONGBOX_CATCH_UP_INTERVAL_MS: how often this member asks every other member its tip, and
     * fetches the final blocks it lacks from one that is ahead; default 5000. A member hears of a
     * height ahead from its peers' consensus messages and catches up at once, so this is how long
     * a member behind an idle chain (back from a database outage, or one whose clock its peers'
     * frames disagree with) may stay behind. A shorter one asks more often, each ask one request to
     * every peer.
     */
    catchUpIntervalMs: integer(100, 600_000).default(5_000),
    /**
     * STRONGBOX_SNAPSHOT_INTERVAL_BLOCKS: this member writes a snapshot of its ledger to its
     * database after every final block whose height is a multiple of this, and at a clean stop;
     * a start loads the newest and replays only the blocks above it; default 10000. A snapshot
     * costs seconds of encoding in steps and a write the size of the ledger (82 MB at 1,000,000
     * unspent outputs); the blocks above it cost about 2 s a 10,000 to replay.
     */
    snapshotIntervalBlocks: integer(1, 100_000_000).default(10_000),
    /** STRONGBOX_LOG_LEVEL, default info */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  })
  .refine(({ api, peer }) => !(api.port === peer.port && listenersOverlap(api.host, peer.host)), {
    path: ['peer', 'port'],
    error: 'must differ from api.port: the API and the peers cannot listen on one port',
  });

/** What the member runs with, defaults filled in. */
export type MemberConfig = z.infer<typeof memberConfigSchema>;
/** What a config file may hold: fields with defaults may be left out. */
export type MemberConfigInput = z.input<typeof memberConfigSchema>;

type Kind = 'string' | 'integer' | 'json';
const VARIABLES: Record<string, [path: string, kind: Kind]> = {
  STRONGBOX_MEMBER_INDEX: ['memberIndex', 'integer'],
  STRONGBOX_KEY_FILE: ['keyFile', 'string'],
  STRONGBOX_GENESIS_FILE: ['genesisFile', 'string'],
  STRONGBOX_DATA_DIR: ['dataDir', 'string'],
  DATABASE_URL: ['databaseUrl', 'string'],
  STRONGBOX_BITCOIN_RPC_URL: ['bitcoin.rpcUrl', 'string'],
  STRONGBOX_API_HOST: ['api.host', 'string'],
  STRONGBOX_API_PORT: ['api.port', 'integer'],
  STRONGBOX_API_RATE_LIMIT: ['api.rateLimitPerMinute', 'integer'],
  STRONGBOX_API_TX_LIMIT: ['api.transactionLimitPerMinute', 'integer'],
  STRONGBOX_API_REGISTRATION_LIMIT: ['api.registrationLimitPerMinute', 'integer'],
  STRONGBOX_PEER_HOST: ['peer.host', 'string'],
  STRONGBOX_PEER_PORT: ['peer.port', 'integer'],
  STRONGBOX_PEER_RATE_LIMIT: ['peer.rateLimitFramesPerSecond', 'integer'],
  STRONGBOX_PEER_RATE_LIMIT_BYTES: ['peer.rateLimitBytesPerSecond', 'integer'],
  STRONGBOX_PEERS: ['peers', 'json'],
  STRONGBOX_FEE_BUMP_AFTER_SECONDS: ['feeBumpAfterSeconds', 'integer'],
  STRONGBOX_PEER_WAIT_MS: ['peerWaitMs', 'integer'],
  STRONGBOX_DATABASE_CLAIM_WAIT_MS: ['databaseClaimWaitMs', 'integer'],
  STRONGBOX_PEGOUT_BATCH_WINDOW_MS: ['pegoutBatchWindowMs', 'integer'],
  STRONGBOX_CATCH_UP_INTERVAL_MS: ['catchUpIntervalMs', 'integer'],
  STRONGBOX_SNAPSHOT_INTERVAL_BLOCKS: ['snapshotIntervalBlocks', 'integer'],
  STRONGBOX_LOG_LEVEL: ['logLevel', 'string'],
};

/** Environment variable → config path. */
export const ENVIRONMENT: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(VARIABLES).map(([name, [path]]) => [name, path]));

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

function environmentValue(name: string, path: string, kind: Kind, raw: string): unknown {
  if (kind === 'integer') {
    // Number('') and Number('0x10') would pass; a setting is written in plain decimal digits.
    if (!/^\d+$/.test(raw)) throw new ConfigError(`${path} (${name})`, `expected an integer, got ${JSON.stringify(raw)}`);
    return Number(raw);
  }
  if (kind === 'json') {
    try {
      return JSON.parse(raw);
    } catch {
      throw new ConfigError(`${path} (${name})`, 'expected JSON');
    }
  }
  return raw;
}

/** Validates settings; the first problem stops start-up with the field and the reason. */
export function parseMemberConfig(fileValues: unknown, env: NodeJS.ProcessEnv = {}): MemberConfig {
  if (typeof fileValues !== 'object' || fileValues === null || Array.isArray(fileValues)) {
    throw new ConfigError('config', 'expected a JSON object');
  }
  const merged = structuredClone(fileValues as Record<string, unknown>);
  const fromEnvironment = new Map<string, string>();
  for (const [name, [path, kind]] of Object.entries(VARIABLES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(merged, path, environmentValue(name, path, kind, raw));
    fromEnvironment.set(path, name);
  }
  const result = memberConfigSchema.safeParse(merged, {
    error: (issue) => (issue.input === undefined ? 'required' : undefined),
  });
  if (!result.success) {
    // A key written wrong is also a key missing: the misspelling is what its author has to fix.
    const issue = result.error.issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? result.error.issues[0]!;
    const path = issue.path.join('.');
    const field = issue.code === 'unrecognized_keys' ? [path, issue.keys.join(', ')].filter(Boolean).join('.') : path || 'config';
    // A variable holding JSON (STRONGBOX_PEERS) is named for a problem inside it too.
    const variable = [...fromEnvironment].find(([from]) => path === from || path.startsWith(`${from}.`))?.[1];
    const message = issue.code === 'unrecognized_keys' ? unknownSettings(issue.keys, issue.path) : issue.message;
    throw new ConfigError(variable ? `${field} (${variable})` : field, message);
  }
  return result.data;
}

/** The settings one level of the config takes, for the refusal of a key it does not. */
function settingsAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = memberConfigSchema;
  for (const part of path) {
    while (schema instanceof z.ZodPipe || schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) schema = (schema instanceof z.ZodPipe ? schema.in : schema.unwrap()) as z.ZodType;
    if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else if (schema instanceof z.ZodObject && typeof part === 'string') schema = schema.shape[part] as z.ZodType;
  }
  while (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
  if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** Edits (insert, delete, replace, swap two neighbours) from one name to the other, ignoring case. */
function editDistance(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  const rows = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const row = rows[i]!;
      row[j] = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1);
    }
  }
  return rows[x.length]![y.length]!;
}

/** The setting of `known` that `key` likely misspells: a few edits from it, by its length. */
function nearSetting(key: string, known: string[]): string | undefined {
  return known.find((name) => editDistance(key, name) <= Math.max(1, Math.floor(name.length / 4)));
}

/** Why a key is refused: the setting it likely misspells, or the settings its level takes. */
function unknownSettings(keys: string[], path: readonly PropertyKey[]): string {
  const known = settingsAt(path);
  const near = (key: string) => nearSetting(key, known);
  const unknown = keys.map((key) => (near(key) ? `"${key}" (did you mean "${near(key)}"?)` : `"${key}"`));
  const where = path.length > 0 ? `${path.join('.')} takes` : 'a member config takes';
  return `${unknown.length === 1 ? 'unknown setting' : 'unknown settings'} ${unknown.join(', ')}${keys.every(near) ? '' : `; ${where} ${known.join(', ')}`}`;
}

/** Fields naming files or folders: relative ones in a config file are read from the file's own folder. */
const PATH_FIELDS = ['keyFile', 'genesisFile', 'dataDir'] as const;

export function loadMemberConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): MemberConfig {
  if (!path) {
    // Without a file the variables are the whole config; without even its index, none was meant.
    if (env.STRONGBOX_MEMBER_INDEX === undefined) throw new ConfigError('--config', "no member config given: pass --config with the member's config.json (or set STRONGBOX_MEMBER_INDEX and the other STRONGBOX_* variables)");
    return parseMemberConfig({}, env);
  }
  const fileValues = readJsonFile(path, (reason) => new ConfigError('--config', reason));
  // A genesis, key or network file given by mistake: said as such, not as a missing field.
  // One with memberIndex misspelt is a member config all the same: the schema names the misspelling.
  if (typeof fileValues !== 'object' || fileValues === null || Array.isArray(fileValues) || (!('memberIndex' in fileValues) && env.STRONGBOX_MEMBER_INDEX === undefined && !Object.keys(fileValues).some((key) => nearSetting(key, ['memberIndex'])))) {
    throw new ConfigError('--config', `${path} is not a member config: it has no memberIndex`);
  }
  // As a service manager starts it from anywhere: the file means the same wherever it is read from.
  if (typeof fileValues === 'object' && fileValues !== null && !Array.isArray(fileValues)) {
    const values = fileValues as Record<string, unknown>;
    for (const field of PATH_FIELDS) {
      const value = values[field];
      if (typeof value === 'string' && value !== '') values[field] = resolve(dirname(path), value);
    }
  }
  return parseMemberConfig(fileValues, env);
}
