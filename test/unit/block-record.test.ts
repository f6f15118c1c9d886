import { expect } from 'chai';
import { executeBlock, LedgerState } from '../../sidechain/ledger/index.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { blockRecord } from '../../federation/member/block-record.ts';
import { btcOutput, context, mint, signedTransfer, testKey } from '../helpers/ledger-fixtures.ts';

describe('block record', () => {
  it('stores neither side of an output created and spent in the same block', () => {
    const alice = testKey(1);
    const bob = testKey(2);
    const state = new LedgerState();
    const coin = mint(state, alice.owner, 1_000n);
    const first = signedTransfer([coin], [btcOutput(bob.owner, 400n), btcOutput(alice.owner, 600n)], alice.seed);
    const second = signedTransfer([{ txid: txInfo(first).id, index: 1 }], [btcOutput(bob.owner, 600n)], alice.seed);
    const { effects } = executeBlock(state, [first, second], context(2));
    const record = blockRecord({ height: 2, hash: new Uint8Array(32), header: new Uint8Array(0), commit: new Uint8Array(0), timeMs: 0n }, [first, second], effects);
    const key = (o: { txid: Uint8Array; vout: number }) => `${Buffer.from(o.txid).toString('hex')}:${o.vout}`;
    expect(record.spent.map(key)).to.deep.equal([`${Buffer.from(coin.txid).toString('hex')}:0`]);
    expect(record.created.map(key)).to.deep.equal([`${txInfo(first).idHex}:0`, `${txInfo(second).idHex}:0`]);
    // The spenders name every input, the one spending an output of the same block too.
    const spender = (s: { txid: Uint8Array; vout: number; spentBy: Uint8Array; input: number }) => `${key(s)} by ${Buffer.from(s.spentBy).toString('hex')}:${s.input}`;
    expect(record.spenders.map(spender)).to.deep.equal([`${Buffer.from(coin.txid).toString('hex')}:0 by ${txInfo(first).idHex}:0`, `${txInfo(first).idHex}:1 by ${txInfo(second).idHex}:0`]);
  });
});
