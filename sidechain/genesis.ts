import { z } from 'zod';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { Writer } from './encoding/index.ts';
import { taggedHash } from './hash.ts';
import { ValidationError } from './errors.ts';

/** Every member's peg key sits in one `wsh(sortedmulti(k, …))` escrow, which allows at most 20. */
export const MAX_MEMBERS = 20;

export interface MemberSet {
  /** Ed25519 block keys in genesis order; a member's index is its position. */
  keys: Uint8Array[];
  threshold: number;
}

const hexKey = (bytes: number, what: string) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `expected the ${what} as ${bytes * 2} lowercase hex characters`);
const onCurve = (parse: (hex: string) => unknown) => (hex: string) => {
  try {
    return parse(hex) !== false;
  } catch {
    return false;
  }
};
// A small-order Ed25519 key verifies forged signatures, so it could never identify a member.
const ed25519Point = onCurve((hex) => !ed25519.Point.fromHex(hex).isSmallOrder());
const secp256k1Point = onCurve((hex) => secp256k1.Point.fromHex(hex));
const sats = z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'expected an amount in satoshis as a decimal string');

/**
 * The genesis file is what the members agree on in the genesis ceremony: who signs, how many
 * must, and the parameters of the peg and the anchors. Its canonical encoding hashes to the
 * chain id, so two members with different files can never sign the same chain.
 */
export const genesisSchema = z
  .object({
    version: z.literal(1),
    network: z.string().regex(/^[a-z0-9-]{1,32}$/, 'expected a short lowercase network name'),
    bitcoinNetwork: z.enum(['regtest', 'testnet', 'mainnet']),
    /** ms since the epoch; the first block's time must be later. */
    genesisTimeMs: z.string().regex(/^(0|[1-9][0-9]{0,15})$/, 'expected milliseconds since the epoch as a decimal string'),
    members: z
      .array(
        z
          .object({
            name: z.string().min(1).max(64),
            /** Ed25519 block-signing public key. */
            blockKey: hexKey(32, 'Ed25519 public key').refine(ed25519Point, 'not a usable Ed25519 public key (off the curve or of small order)'),
            /** Compressed secp256k1 peg public key. */
            pegKey: hexKey(33, 'compressed secp256k1 public key')
              .refine((key) => key.startsWith('02') || key.startsWith('03'), 'a compressed key starts with 02 or 03')
              .refine(secp256k1Point, 'not a point on secp256k1'),
            /** Where peers and users may first look for this member's API; not part of the chain id. */
            apiUrl: z.string().max(200).regex(/^https?:\/\/[^\s]+$/, 'expected an http(s) URL').optional(),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_MEMBERS),
    /** Checked against the member count below, with the rule in the message, whatever its value. */
    threshold: z.number().int(),
    pegin: z
      .object({
        confirmations: z.number().int().min(1).max(1000),
        feeSats: sats,
        minimumSats: sats,
      })
      .strict(),
    pegout: z
      .object({
        minimumSats: sats,
        fallbackFeeRateSatPerVb: z.number().int().min(1).max(10_000),
        /** Batches larger than this share (in basis points) of the reserves per hour wait for operators. */
        circuitBreakerBasisPoints: z.number().int().min(1).max(10_000),
      })
      .strict(),
    anchor: z
      .object({
        intervalBlocks: z.number().int().min(1),
        intervalSeconds: z.number().int().min(1),
      })
      .strict(),
  })
  .strict()
  .superRefine((genesis, context) => {
    // A repeated key would let one member count twice towards k, in blocks and in the escrow.
    for (const field of ['blockKey', 'pegKey', 'name'] as const) {
      const values = genesis.members.map((member) => member[field]);
      const second = values.findIndex((value, index) => values.indexOf(value) !== index);
      if (second === -1) continue;
      const first = values.indexOf(values[second]!);
      const message =
        field === 'name'
          ? `members ${first} and ${second} are both named ${values[second]}`
          : `members ${first} (${genesis.members[first]!.name}) and ${second} (${genesis.members[second]!.name}) have the same ${field} ${values[second]}: each member needs keys of its own`;
      context.addIssue({ code: 'custom', path: ['members'], message });
    }
    // After the duplicates: a member given twice makes n one too many, and is what to fix.
    const n = genesis.members.length;
    if (genesis.threshold > n || 3 * genesis.threshold <= 2 * n) {
      context.addIssue({ code: 'custom', path: ['threshold'], message: `must satisfy 2n/3 < k <= n for n = ${n}; got ${genesis.threshold}` });
    }
  });

export type GenesisFile = z.infer<typeof genesisSchema>;

export interface Genesis {
  file: GenesisFile;
  chainId: Uint8Array;
  members: MemberSet;
  memberSetHash: Uint8Array;
  pegKeys: Uint8Array[];
  timeMs: bigint;
}

/** The bytes the chain id commits to: every field of the file except the members' API URL hints. */
export function encodeGenesis(file: GenesisFile): Uint8Array {
  const writer = new Writer()
    .u8(file.version)
    .string(file.network)
    .string(file.bitcoinNetwork)
    .u64(BigInt(file.genesisTimeMs))
    .varint(file.members.length);
  for (const member of file.members) writer.string(member.name).bytes(Buffer.from(member.blockKey, 'hex')).bytes(Buffer.from(member.pegKey, 'hex'));
  writer
    .u16(file.threshold)
    .u32(file.pegin.confirmations)
    .u64(BigInt(file.pegin.feeSats))
    .u64(BigInt(file.pegin.minimumSats))
    .u64(BigInt(file.pegout.minimumSats))
    .u32(file.pegout.fallbackFeeRateSatPerVb)
    .u32(file.pegout.circuitBreakerBasisPoints)
    .u32(file.anchor.intervalBlocks)
    .u32(file.anchor.intervalSeconds);
  return writer.finish();
}

export function memberSetHash(members: MemberSet): Uint8Array {
  const writer = new Writer().u16(members.threshold).varint(members.keys.length);
  for (const key of members.keys) writer.bytes(key);
  return taggedHash('Strongbox/members', writer.finish());
}

/** Validates a genesis document; the first problem is reported with its field. */
export function parseGenesis(json: unknown): Genesis {
  const result = genesisSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ValidationError('bad-genesis', `genesis ${issue.path.join('.') || 'file'}: ${issue.message}`);
  }
  const file = result.data;
  const members: MemberSet = { keys: file.members.map((member) => new Uint8Array(Buffer.from(member.blockKey, 'hex'))), threshold: file.threshold };
  return {
    file,
    chainId: taggedHash('Strongbox/chain', encodeGenesis(file)),
    members,
    memberSetHash: memberSetHash(members),
    pegKeys: file.members.map((member) => new Uint8Array(Buffer.from(member.pegKey, 'hex'))),
    timeMs: BigInt(file.genesisTimeMs),
  };
}

/** Defaults for a new genesis: regtest-friendly confirmation depth, documented in docs/. */
export function createGenesisFile(params: {
  network: string;
  bitcoinNetwork: GenesisFile['bitcoinNetwork'];
  members: GenesisFile['members'];
  threshold?: number;
  genesisTimeMs: bigint;
  peginConfirmations?: number;
  peginFeeSats?: bigint;
  peginMinimumSats?: bigint;
  pegoutMinimumSats?: bigint;
  fallbackFeeRateSatPerVb?: number;
  circuitBreakerBasisPoints?: number;
  anchorIntervalBlocks?: number;
  anchorIntervalSeconds?: number;
}): GenesisFile {
  const n = params.members.length;
  return {
    version: 1,
    network: params.network,
    bitcoinNetwork: params.bitcoinNetwork,
    genesisTimeMs: params.genesisTimeMs.toString(),
    members: params.members,
    threshold: params.threshold ?? Math.floor((2 * n) / 3) + 1,
    pegin: {
      confirmations: params.peginConfirmations ?? (params.bitcoinNetwork === 'mainnet' ? 102 : 2),
      feeSats: (params.peginFeeSats ?? 0n).toString(),
      minimumSats: (params.peginMinimumSats ?? 10_000n).toString(),
    },
    pegout: {
      minimumSats: (params.pegoutMinimumSats ?? 10_000n).toString(),
      fallbackFeeRateSatPerVb: params.fallbackFeeRateSatPerVb ?? 2,
      circuitBreakerBasisPoints: params.circuitBreakerBasisPoints ?? 2500,
    },
    anchor: { intervalBlocks: params.anchorIntervalBlocks ?? 10, intervalSeconds: params.anchorIntervalSeconds ?? 60 },
  };
}
