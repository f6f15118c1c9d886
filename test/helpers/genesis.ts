import { generateKeyPair, type Ed25519KeyPair } from '../../sidechain/ed25519.ts';
import { generateMemberKeys, type MemberKeys } from '../../federation/key-file.ts';
import { createGenesisFile, parseGenesis, type Genesis } from '../../sidechain/genesis.ts';

export interface TestFederation {
  genesis: Genesis;
  keys: MemberKeys[];
}

/** A federation of n members with fresh keys and a genesis they all share. */
export function testFederation(n = 5, threshold?: number): TestFederation {
  const keys = Array.from({ length: n }, () => generateMemberKeys());
  const file = createGenesisFile({
    network: 'test',
    bitcoinNetwork: 'regtest',
    genesisTimeMs: 1_700_000_000_000n,
    threshold,
    members: keys.map((key, i) => ({ name: `member-${i}`, blockKey: Buffer.from(key.blockPublicKey).toString('hex'), pegKey: Buffer.from(key.pegPublicKey).toString('hex') })),
  });
  return { genesis: parseGenesis(file), keys };
}

export function testKeyPair(): Ed25519KeyPair {
  return generateKeyPair();
}
