import { expect } from 'chai';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sortedMultisig } from '../../watcher/escrow.ts';
import type { FederationCoin } from '../../watcher/federation-psbt.ts';
import { decodeUnsignedBitcoinTx } from '../../sidechain/bitcoin-tx.ts';
import type { BurnRecord } from '../../sidechain/ledger/index.ts';
import { planPayableBatch } from '../../federation/member/pegout-batch.ts';

const escrow = sortedMultisig(4, [1, 2, 3, 4, 5].map((n) => secp256k1.getPublicKey(new Uint8Array(32).fill(n), true)));
const p2wpkh = Uint8Array.from([0x00, 0x14, ...new Uint8Array(20).fill(7)]);
const coin = (value: bigint, n = 1): FederationCoin => ({ txid: n.toString(16).padStart(2, '0').repeat(32), vout: 0, value });
const burn = (name: string, amount: bigint): BurnRecord => ({ txid: name.repeat(64), destinationScript: p2wpkh, amount, height: 1 });

/**
 * At 2 sat/vB one escrow input pays 244 vB with one burn and its change, 275 with two, 306 with
 * three: fee shares of 488, 275 and 204 sats. A payment must keep 546 sats.
 */
describe('a peg-out batch pays the burns Bitcoin carries and leaves the others to wait', () => {
  const cases: { description: string; coins: FederationCoin[]; burns: BurnRecord[]; rate: bigint; paid: string[]; waiting: { [txid: string]: RegExp } }[] = [
    {
      description: 'every burn paid when each keeps more than dust after its share',
      coins: [coin(1_000_000n)],
      burns: [burn('a', 10_000n), burn('b', 20_000n), burn('c', 760n)],
      rate: 2n,
      paid: ['a', 'b', 'c'],
      waiting: {},
    },
    {
      description: 'a burn its fee share would leave below dust is left out; the burns batched with it are paid',
      coins: [coin(1_000_000n)],
      burns: [burn('a', 10_000n), burn('c', 700n), burn('b', 20_000n)],
      rate: 2n,
      paid: ['a', 'b'],
      waiting: { c: /share of the Bitcoin fee at 2 sat\/vB would leave less than 546 sats/ },
    },
    {
      description: 'leaving one out raises the others\' share, and a second small burn is left out too',
      coins: [coin(1_000_000n)],
      burns: [burn('a', 10_000n), burn('b', 760n), burn('c', 700n)],
      rate: 2n,
      paid: ['a'],
      waiting: { b: /less than 546 sats/, c: /less than 546 sats/ },
    },
    {
      description: 'the same small burn is paid at a lower fee rate',
      coins: [coin(1_000_000n)],
      burns: [burn('a', 10_000n), burn('b', 760n), burn('c', 700n)],
      rate: 1n,
      paid: ['a', 'b', 'c'],
      waiting: {},
    },
    {
      description: 'nothing paid when the only burn is below dust after its share',
      coins: [coin(1_000_000n)],
      burns: [burn('a', 1_000n)],
      rate: 2n,
      paid: [],
      waiting: { a: /it is paid once the fee rate allows/ },
    },
    {
      description: 'the newest burn waits when paying it too would leave change below dust',
      coins: [coin(100_000n)],
      burns: [burn('a', 60_000n), burn('b', 39_800n)],
      rate: 2n,
      paid: ['a'],
      waiting: { b: /escrow coins the federation may spend now \(100000 sats\) cannot pay it with the burns before it leaving change of 0 or at least 330 sats/ },
    },
    {
      description: 'a burn that would leave the escrow dust waits for the coins to change',
      coins: [coin(100_000n)],
      burns: [burn('a', 99_800n)],
      rate: 2n,
      paid: [],
      waiting: { a: /cannot pay it leaving change of 0 or at least 330 sats: it is paid once the coins change/ },
    },
    {
      description: 'a burn of the whole escrow is paid with no change',
      coins: [coin(60_000n), coin(40_000n, 2)],
      burns: [burn('a', 100_000n)],
      rate: 2n,
      paid: ['a'],
      waiting: {},
    },
  ];
  for (const c of cases) {
    it(c.description, () => {
      const batch = planPayableBatch(escrow, c.coins, c.burns, c.rate);
      expect(batch.burns.map((b) => b.txid[0])).to.deep.equal(c.paid);
      expect([...batch.waiting.keys()].map((txid) => txid[0]).sort()).to.deep.equal(Object.keys(c.waiting).sort());
      for (const [name, reason] of Object.entries(c.waiting)) expect(batch.waiting.get(name.repeat(64))).to.match(reason);
      if (c.paid.length === 0) {
        expect(batch.plan).to.equal(undefined);
        return;
      }
      // Output i pays paid burn i its amount less the one fee share, and every payment keeps 546 sats.
      const outputs = decodeUnsignedBitcoinTx(batch.plan!.bitcoinTx).outputs;
      batch.burns.forEach((b, i) => {
        expect(outputs[i]!.value).to.equal(b.amount - batch.plan!.feeShare);
        expect(outputs[i]!.value >= 546n).to.equal(true);
      });
    });
  }
});
