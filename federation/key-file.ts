import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as ecc from 'tiny-secp256k1';
import { z } from 'zod';
import { StrongboxError } from '../sidechain/errors.ts';
import { generateKeyPair, publicKeyFromSeed } from '../sidechain/ed25519.ts';
import { fileErrorReason } from './file-error-reason.ts';
import { writeNewFile } from './write-file.ts';

/** A file of secrets (a member key file, a wallet file) that is missing, malformed, or readable by others. */
export class KeyFileError extends StrongboxError {
  /** `file` is what the user calls it: a wallet's owner knows it as a wallet file, an operator a member's as a key file. */
  constructor(path: string, reason: string, file = 'key file') {
    super('key-file', `${file} ${path}: ${reason}`);
  }
}

/** A federation member's two secrets: the Ed25519 block-signing seed and the secp256k1 peg key. */
export interface MemberKeys {
  blockSeed: Uint8Array;
  blockPublicKey: Uint8Array;
  pegPrivateKey: Uint8Array;
  pegPublicKey: Uint8Array;
}

const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes as lowercase hex');
const keyFileSchema = z.object({
  version: z.literal(1),
  blockSeed: hex32,
  pegPrivateKey: hex32,
});

export function generateMemberKeys(): MemberKeys {
  const block = generateKeyPair();
  let pegPrivateKey = new Uint8Array(randomBytes(32));
  while (!ecc.isPrivate(pegPrivateKey)) pegPrivateKey = new Uint8Array(randomBytes(32));
  return withPublicKeys(block.seed, pegPrivateKey);
}

function withPublicKeys(blockSeed: Uint8Array, pegPrivateKey: Uint8Array): MemberKeys {
  const pegPublicKey = ecc.pointFromScalar(pegPrivateKey, true);
  if (!pegPublicKey) throw new TypeError('peg private key is not a valid secp256k1 scalar');
  return { blockSeed, blockPublicKey: publicKeyFromSeed(blockSeed), pegPrivateKey, pegPublicKey };
}

/** Writes the keys with mode 0600 and refuses to overwrite: a lost key can cost a federation seat. */
export function writeKeyFile(path: string, keys: MemberKeys): void {
  if (existsSync(path)) throw new KeyFileError(path, 'already exists; refusing to overwrite a key');
  const body = {
    version: 1,
    blockSeed: Buffer.from(keys.blockSeed).toString('hex'),
    pegPrivateKey: Buffer.from(keys.pegPrivateKey).toString('hex'),
  };
  writeNewFile(path, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * Reads a file of secrets (key file, wallet) against its schema; refuses one that group or others
 * may read, as ssh does. `kind` names what the file should be, for a file of another kind given by
 * mistake; `file` is what its refusals call it (default "key file"); `missing` tells the user what
 * to do when there is no file at all; `mistaken` recognises a file of Strongbox's own that is not
 * of this kind and says what it is and what to use instead.
 */
export function readSecretFile<T>(path: string, schema: z.ZodType<T>, expected: { kind: string; file?: string; missing: string; mistaken?: (document: object) => string | undefined }): T {
  const refused = (reason: string) => new KeyFileError(path, reason, expected.file);
  if (!existsSync(path)) throw refused(`does not exist (${expected.missing})`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    // A folder, or a file of another user's (a member started as another user than keygen ran as).
    throw refused(`cannot be read: ${fileErrorReason(error) ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw refused(`is not valid JSON, so not a ${expected.kind}`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    // Another kind of file (an offer, a config, a package.json) lacks some of the fields entirely,
    // though it may share one (a "version" of its own): say what it is not.
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw refused(`is not a ${expected.kind}: it holds no JSON object`);
    const mistaken = expected.mistaken?.(parsed);
    if (mistaken !== undefined) throw refused(mistaken);
    const absent = result.error.issues.find((one) => one.path.length === 1 && !Object.hasOwn(parsed, String(one.path[0])));
    if (absent) throw refused(`is not a ${expected.kind}: it has no "${String(absent.path[0])}"`);
    const issue = result.error.issues[0];
    throw refused(`${issue?.path.join('.') || 'file'}: ${issue?.message ?? 'invalid'}`);
  }
  // Checked once the file is known to be one of secrets, so a file of another kind is named as such first.
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw refused(`permissions ${mode.toString(8)} let others read it; run chmod 600`);
  }
  return result.data;
}

/** Whether a parsed document has the shape of a member key file, whatever it was given as. */
export function isMemberKeyDocument(document: object): boolean {
  return keyFileSchema.safeParse(document).success;
}

export function readKeyFile(path: string): MemberKeys {
  // After the genesis ceremony a new key is no member's: the only way back is the file's backup.
  const keys = readSecretFile(path, keyFileSchema, { kind: 'member key file', missing: "restore it from its backup; a new one from `strongbox keygen` is no member's key once the genesis names the members" });
  const pegPrivateKey = Buffer.from(keys.pegPrivateKey, 'hex');
  if (!ecc.isPrivate(pegPrivateKey)) throw new KeyFileError(path, 'pegPrivateKey is not a valid secp256k1 key');
  return withPublicKeys(new Uint8Array(Buffer.from(keys.blockSeed, 'hex')), new Uint8Array(pegPrivateKey));
}

export function publicKeysOf(keys: MemberKeys): { blockPublicKey: string; pegPublicKey: string } {
  return {
    blockPublicKey: Buffer.from(keys.blockPublicKey).toString('hex'),
    pegPublicKey: Buffer.from(keys.pegPublicKey).toString('hex'),
  };
}
