import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../sidechain/errors.ts';

/**
 * A member's settings: one schema, read from a JSON file and overridden by environment variables.
 * Every field that an operator may set from the environment is listed in ENVIRONMENT below, next
 * to its path; docker-compose.yml uses exactly these names.
 */
const port = z.number().int().min(1).max(65535);
const url = z.string().url();

export const memberConfigSchema = z
  .object({
    /** Position of this member in the genesis member list (0-based). */
    memberIndex: z.number().int().min(0).max(255),
    /** Key file made by `strongbox keygen` (mode 0600). */
    keyFile: z.string().min(1),
    /** Genesis file every member shares. */
    genesisFile: z.string().min(1),
    /** Folder for this member's own files (logs, state that is not in Postgres). */
    dataDir: z.string().min(1),
    /** Postgres connection string of this member's own database. */
    databaseUrl: url.refine((value) => /^postgres(ql)?:\/\//.test(value), 'expected a postgres:// URL'),
    bitcoin: z.object({
      /** Bitcoin Core compatible JSON-RPC, with credentials: http://user:password@host:port */
      rpcUrl: url,
    }),
    api: z.object({
      host: z.string().min(1).default('127.0.0.1'),
      port,
    }),
    peer: z.object({
      host: z.string().min(1).default('127.0.0.1'),
      port,
    }),
    /** Every other member: its peer endpoint, and its API, where this member fetches blocks it missed. */
    peers: z.array(
      z.object({
        memberIndex: z.number().int().min(0).max(255),
        url: z.string().regex(/^wss?:\/\//, 'expected a ws:// or wss:// URL'),
        apiUrl: url,
      }),
    ),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  })
  .strict();

export type MemberConfig = z.infer<typeof memberConfigSchema>;

/** Environment variable → config path. Values are parsed as JSON when the field is not a string. */
export const ENVIRONMENT: Record<string, string> = {
  STRONGBOX_MEMBER_INDEX: 'memberIndex',
  STRONGBOX_KEY_FILE: 'keyFile',
  STRONGBOX_GENESIS_FILE: 'genesisFile',
  STRONGBOX_DATA_DIR: 'dataDir',
  DATABASE_URL: 'databaseUrl',
  STRONGBOX_BITCOIN_RPC_URL: 'bitcoin.rpcUrl',
  STRONGBOX_API_HOST: 'api.host',
  STRONGBOX_API_PORT: 'api.port',
  STRONGBOX_PEER_HOST: 'peer.host',
  STRONGBOX_PEER_PORT: 'peer.port',
  STRONGBOX_PEERS: 'peers',
  STRONGBOX_LOG_LEVEL: 'logLevel',
};

const NUMERIC_PATHS = new Set(['memberIndex', 'api.port', 'peer.port']);
const JSON_PATHS = new Set(['peers']);

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

function environmentValue(name: string, path: string, raw: string): unknown {
  if (NUMERIC_PATHS.has(path)) {
    if (!/^\d+$/.test(raw)) throw new ConfigError(`${path} (${name})`, `expected an integer, got ${JSON.stringify(raw)}`);
    return Number(raw);
  }
  if (JSON_PATHS.has(path)) {
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
  const merged = structuredClone((fileValues ?? {}) as Record<string, unknown>);
  for (const [name, path] of Object.entries(ENVIRONMENT)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') setPath(merged, path, environmentValue(name, path, raw));
  }
  const result = memberConfigSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'config');
    throw new ConfigError(field, issue.message);
  }
  return result.data;
}

export function loadMemberConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): MemberConfig {
  let fileValues: unknown = {};
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new ConfigError('--config', `cannot read ${path}`);
    }
    try {
      fileValues = JSON.parse(text);
    } catch {
      throw new ConfigError('--config', `${path} is not valid JSON`);
    }
  }
  return parseMemberConfig(fileValues, env);
}
