import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { Block } from 'bitcoinjs-lib';
import { sortedMultisig } from '../../watcher/escrow.ts';
import { depositMultisig } from '../../watcher/pegin-tweak.ts';
import { findDeposits } from '../../watcher/deposits.ts';
import { GENESIS_PARENT, SyntheticChain } from '../helpers/synthetic-chain.ts';

const federation = (JSON.parse(readFileSync(new URL('../vectors/pegin.json', import.meta.url), 'utf8')) as {
  valid: { threshold: number; memberKeys: string[] }[];
}).valid[0]!;
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const escrow = sortedMultisig(federation.threshold, federation.memberKeys.map(bytes));
const alice = Uint8Array.from([0, ...new Uint8Array(32).fill(0xa1)]);
const bob = Uint8Array.from([0, ...new Uint8Array(32).fill(0xb0)]);
const aliceScript = depositMultisig(escrow, alice).scriptPubKey;
const bobScript = depositMultisig(escrow, bob).scriptPubKey;
const hex = (data: Uint8Array) => Buffer.from(data).toString('hex');
const watched = new Map([
  [hex(aliceScript), alice],
  [hex(bobScript), bob],
]);

describe('deposit detection', () => {
  const chain = new SyntheticChain();

  it('finds each output paying a registered deposit script, with amount, recipient and position', () => {
    const block = chain.block(GENESIS_PARENT, [
      chain.payment([{ script: escrow.scriptPubKey, value: 7n }, { script: aliceScript, value: 150_000n }]),
      chain.payment([{ script: bobScript, value: 2_100_000_000_000_000n }, { script: aliceScript, value: 1n }]),
    ]);
    const deposits = findDeposits(block, 812, watched);
    const [, first, second] = block.transactions!;
    expect(deposits).to.deep.equal([
      { txid: first!.getId(), vout: 1, amountSats: 150_000n, recipient: hex(alice), scriptPubKey: hex(aliceScript), blockHash: block.getId(), height: 812 },
      { txid: second!.getId(), vout: 0, amountSats: 2_100_000_000_000_000n, recipient: hex(bob), scriptPubKey: hex(bobScript), blockHash: block.getId(), height: 812 },
      { txid: second!.getId(), vout: 1, amountSats: 1n, recipient: hex(alice), scriptPubKey: hex(aliceScript), blockHash: block.getId(), height: 812 },
    ]);
  });

  it('ignores outputs to other scripts, the bare escrow included', () => {
    const block = chain.block(GENESIS_PARENT, [chain.payment([{ script: escrow.scriptPubKey, value: 5n }, { script: Uint8Array.from([0x51]), value: 9n }])]);
    expect(findDeposits(block, 1, watched)).to.deep.equal([]);
  });

  it('finds the same deposits in a block that went through its raw serialisation', () => {
    const block = chain.block(GENESIS_PARENT, [chain.payment([{ script: bobScript, value: 42n }])]);
    const parsed = Block.fromHex(block.toHex());
    expect(findDeposits(parsed, 3, watched)).to.deep.equal(findDeposits(block, 3, watched));
  });

  it('refuses a header without transactions', () => {
    const header = Block.fromBuffer(chain.block(GENESIS_PARENT).toBuffer(true));
    expect(() => findDeposits(header, 1, watched)).to.throw('no transactions');
  });
});
