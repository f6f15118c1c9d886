import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { encodeAddress, keyOwner, ownerPayload } from '../../sidechain/address.ts';
import { generateKeyPair, publicKeyFromSeed, type Ed25519KeyPair } from '../../sidechain/ed25519.ts';
import { isMemberKeyDocument, KeyFileError, readSecretFile } from '../key-file.ts';
import { writeNewFile } from '../write-file.ts';

export interface Wallet {
  keys: Ed25519KeyPair;
  /** 33-byte owner payload of the wallet's address. */
  owner: Uint8Array;
  address: string;
}

/** A coin the wallet signed a DvP offer for, kept in the wallet file so that no other spend takes it unawares. */
export interface OfferHold {
  /** The offered coin, `txid:vout`. */
  coin: string;
  /** The offer file as written (an absolute path), to name the offer to the user. */
  offer: string;
  /** The offer's last valid block height. */
  expiryHeight: number;
}

const offerHoldSchema = z.object({ coin: z.string().regex(/^[0-9a-f]{64}:\d+$/, 'expected txid:vout'), offer: z.string().min(1), expiryHeight: z.number().int().min(1) }).strict();
// Fields it does not know are kept: the file is rewritten when offers are recorded.
const walletFileSchema = z
  .object({
    version: z.literal(1),
    seed: z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes as lowercase hex'),
    offers: z.array(offerHoldSchema).optional(),
  })
  .passthrough();
type WalletFile = z.infer<typeof walletFileSchema>;

/** What a wallet's refusals call its file: its owner never made a key file. */
export const WALLET_FILE = 'wallet file';

function walletOf(keys: Ed25519KeyPair): Wallet {
  const owner = keyOwner(keys.publicKey);
  return { keys, owner: ownerPayload(owner), address: encodeAddress(owner) };
}

/** Creates a single-key wallet file (mode 0600), of a new key or of a seed restored; refuses to overwrite one. */
export function createWalletFile(path: string, seed?: Uint8Array): Wallet {
  if (existsSync(path)) throw new KeyFileError(path, 'already exists; refusing to overwrite a wallet', WALLET_FILE);
  const keys = seed ? { seed, publicKey: publicKeyFromSeed(seed) } : generateKeyPair();
  writeNewFile(path, `${JSON.stringify({ version: 1, seed: Buffer.from(keys.seed).toString('hex') }, null, 2)}\n`, { mode: 0o600 });
  return walletOf(keys);
}

function readWalletDocument(path: string): WalletFile {
  return readSecretFile(path, walletFileSchema, {
    kind: WALLET_FILE,
    file: WALLET_FILE,
    missing: 'pass your wallet with --file, or create one with `strongbox wallet new --file <file>`',
    // A local network's folder holds member key files beside its wallets; one passed by mistake is named for what it is.
    mistaken: (document) =>
      isMemberKeyDocument(document)
        ? `is a member key file, not a wallet: \`strongbox info --key ${path}\` prints its public keys; pass a wallet with --file, or create one with \`strongbox wallet new --file <file>\``
        : undefined,
  });
}

export function readWalletFile(path: string): Wallet {
  const seed = new Uint8Array(Buffer.from(readWalletDocument(path).seed, 'hex'));
  return walletOf({ seed, publicKey: publicKeyFromSeed(seed) });
}

/** The coins the wallet has recorded as offered, open or not: which are still open only the chain can tell. */
export function readOfferHolds(path: string): OfferHold[] {
  return readWalletDocument(path).offers ?? [];
}

/**
 * Replaces the wallet's offer records. The file holds the wallet's only key, so it is never
 * rewritten in place: the new content goes to a file of its own (mode 0600, on disk before it
 * counts) that then takes the wallet's name in one rename, and a crash leaves the old or the new.
 * A wallet its owner made read-only (0400) stays so: the rename would otherwise hand back a
 * writable file that its owner had protected from writes.
 */
export function writeOfferHolds(path: string, offers: readonly OfferHold[]): void {
  const document: WalletFile = { ...readWalletDocument(path), offers: [...offers] };
  const mode = statSync(path).mode & 0o600;
  // One name per process: two commands writing the same wallet at once (`send` and `dvp offer`)
  // must not write into one file, or a rename could give the wallet's name to a half-written one.
  const next = `${path}.${process.pid}.next`;
  // A leftover of a crash here is no wallet of anyone's: the wallet itself is still the old file.
  rmSync(next, { force: true });
  const fd = openSync(next, 'wx', mode === 0o400 ? 0o400 : 0o600);
  try {
    writeFileSync(fd, `${JSON.stringify(document, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(next, path);
}
