import { readFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import type { BlockHeader } from '../../sidechain/block-header.ts';
import { parseGenesis, type Genesis } from '../../sidechain/genesis.ts';

export const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
export const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

export function readVectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8')) as T;
}

/** BIP-340 tagged hash with noble's SHA-256, independent of sidechain/hash.ts. */
export function independentTaggedHash(tag: string, ...parts: Uint8Array[]): Uint8Array {
  const tagHash = sha256(new TextEncoder().encode(tag));
  return sha256(Buffer.concat([tagHash, tagHash, ...parts]));
}

export interface HeaderJson {
  version: number;
  chainId: string;
  height: number;
  previousHash: string;
  timeMs: string;
  txRoot: string;
  txCount: number;
  proposer: number;
  memberSetHash: string;
}

export function headerFromJson(json: HeaderJson): BlockHeader {
  return {
    ...json,
    chainId: fromHex(json.chainId),
    previousHash: fromHex(json.previousHash),
    timeMs: BigInt(json.timeMs),
    txRoot: fromHex(json.txRoot),
    memberSetHash: fromHex(json.memberSetHash),
  };
}

export interface GenesisVectors {
  valid: { description: string; file: unknown; canonical: string; chainId: string; memberSetHash: string }[];
  invalid: { description: string; edits: { path: (string | number)[]; value?: unknown; delete?: true }[]; error: string }[];
}

/** The chain the header and commit vectors belong to: the first valid genesis vector. */
export function vectorGenesis(): Genesis {
  return parseGenesis(readVectors<GenesisVectors>('genesis.json').valid[0]!.file);
}
