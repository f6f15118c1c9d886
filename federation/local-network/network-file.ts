import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, StrongboxError } from '../../sidechain/errors.ts';

/** Where `strongbox up` keeps the local network unless told otherwise. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.STRONGBOX_HOME ?? '.strongbox');
}

const networkFileSchema = z.object({
  bitcoinRpcUrl: z.string().url(),
  postgres: z.object({ port: z.number().int() }),
  genesisFile: z.string().optional(),
  members: z.array(z.object({ memberIndex: z.number().int(), apiUrl: z.string().url() })),
});

/** What other commands need to find the local network: written by `up`, read by the rest. */
export type NetworkFile = z.infer<typeof networkFileSchema>;

export function networkFilePath(dataDir: string): string {
  return join(dataDir, 'network.json');
}

export function writeNetworkFile(dataDir: string, network: NetworkFile): void {
  writeFileSync(networkFilePath(dataDir), `${JSON.stringify(network, null, 2)}\n`, { mode: 0o600 });
}

/**
 * No local network where a command looked for one. Not a ConfigError: no setting is wrong, and the
 * line the user reads is the sentence alone, with no field name before it.
 */
export class NoLocalNetworkError extends StrongboxError {
  constructor(dataDir: string, instead: string) {
    super('no-local-network', `no local network at ${dataDir}: if one runs elsewhere, point at its folder with STRONGBOX_HOME or --data-dir (or ${instead}); else start one with \`npm start\``);
  }
}

/**
 * The local network's file. Without one, the refusal names what else the command could be given:
 * `instead`, by default a member (--member) and a genesis (--genesis).
 */
export function readNetworkFile(dataDir: string, instead = 'name a member with --member, a genesis with --genesis'): NetworkFile {
  const path = networkFilePath(dataDir);
  if (!existsSync(path)) {
    throw new NoLocalNetworkError(dataDir, instead);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new ConfigError(path, 'cannot be read as JSON (written by `strongbox up`; start the network again)');
  }
  const parsed = networkFileSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(path, parsed.error.issues[0]?.message ?? 'invalid');
  return parsed.data;
}
