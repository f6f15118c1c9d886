import { expect } from 'chai';
import { checkInvariants, type InvariantFacts } from '../helpers/invariants.ts';

const DEPOSIT_SCRIPT = 'aa'.repeat(34);
const ESCROW_SCRIPT = 'ee'.repeat(34);
const ALICE = '00'.repeat(22);
const BOB = '11'.repeat(22);
const txid = (n: number) => n.toString(16).padStart(64, '0');
const H2 = 'b2'.repeat(32);
const CHAIN_PREFIX = 'c0ffee00';
const anchorScript = (prefix: string, height: number, hash: string) => `6a2c${Buffer.from('SBX1').toString('hex')}${prefix}${height.toString(16).padStart(8, '0')}${hash}`;

/**
 * A healthy history: two deposits of 600,000 and 400,000 sats minted; one burn of 300,000 paid
 * by a confirmed settlement that spends the first deposit, pays 299,000 and returns 300,000;
 * a DvP swap spending the seller's share and the buyer's BTC; height 2 anchored by a confirmed
 * Bitcoin transaction.
 */
function healthy(): InvariantFacts {
  return {
    chains: [['h1', H2, 'h3'], ['h1', H2, 'h3']],
    unspent: ['u3', 'u3'],
    mints: [
      { outpoint: `${txid(1)}:0`, amount: 600_000n },
      { outpoint: `${txid(2)}:1`, amount: 400_000n },
    ],
    burns: [{ txid: txid(10), destinationScript: ALICE, amount: 300_000n }],
    settlements: [{ bitcoinTxid: txid(20), burns: [txid(10)], change: 300_000n }],
    depositScripts: [DEPOSIT_SCRIPT],
    bitcoinTxs: [
      { txid: txid(1), confirmations: 5, inputs: [`${txid(100)}:0`], outputs: [{ script: DEPOSIT_SCRIPT, value: 600_000n }] },
      { txid: txid(2), confirmations: 4, inputs: [`${txid(101)}:0`], outputs: [{ script: BOB, value: 7n }, { script: DEPOSIT_SCRIPT, value: 400_000n }] },
      { txid: txid(20), confirmations: 1, inputs: [`${txid(1)}:0`], outputs: [{ script: ALICE, value: 299_000n }, { script: ESCROW_SCRIPT, value: 300_000n }] },
      { txid: txid(30), confirmations: 1, inputs: [`${txid(102)}:0`], outputs: [{ script: anchorScript(CHAIN_PREFIX, 2, H2), value: 0n }, { script: BOB, value: 9_000n }] },
    ],
    spends: [
      { txid: txid(10), inputs: [`${txid(40)}:0`] },
      { txid: txid(11), inputs: [`${txid(41)}:0`, `${txid(42)}:1`] },
    ],
    anchors: [{ bitcoinTxid: txid(30), height: 2, blockHash: H2 }],
    recordedLater: { settlements: [], anchors: [] },
    chainPrefix: CHAIN_PREFIX,
    pegin: { confirmations: 2, minimumSats: 10_000n, feeSats: 0n },
  };
}

const cases: { name: string; change: (facts: InvariantFacts) => void; safety?: RegExp; pending?: RegExp }[] = [
  { name: 'a fork at height 2', change: (f) => (f.chains[1]![1] = 'x2'), safety: /member 1 has block x2 at height 2/ },
  { name: 'a member behind', change: (f) => f.chains[1]!.pop(), pending: /member 1 is at height 2, another at 3/ },
  { name: 'a member behind holding other unspent outputs', change: (f) => (f.chains[1]!.pop(), (f.unspent[1] = 'u2')), pending: /member 1 is at height 2, another at 3/ },
  { name: 'unspent outputs that differ at one height', change: (f) => (f.unspent[1] = 'other'), safety: /member 1 holds other unspent outputs than member 0 at the same height 3/ },
  { name: 'a deposit minted twice', change: (f) => f.mints.push({ outpoint: `${txid(1)}:0`, amount: 600_000n }), safety: /deposit 0+1:0 minted 2 times/ },
  { name: 'a mint without a deposit', change: (f) => f.mints.push({ outpoint: `${txid(9)}:0`, amount: 1n }), safety: /no such deposit on Bitcoin/ },
  { name: 'a mint of more than the deposit', change: (f) => (f.mints[1]!.amount = 400_001n), safety: /400001 minted for a deposit of 400000/ },
  { name: 'a mint before the depth', change: (f) => (f.bitcoinTxs[1]!.confirmations = 1), safety: /1 confirmations, 2 required/ },
  {
    name: 'a confirmed deposit not minted',
    change: (f) => f.bitcoinTxs.push({ txid: txid(3), confirmations: 2, inputs: [], outputs: [{ script: DEPOSIT_SCRIPT, value: 50_000n }] }),
    pending: /confirmed deposit 0+3:0 not minted/,
  },
  { name: 'a burn not settled', change: (f) => (f.settlements[0]!.burns = []), pending: /final burn 0+a not settled/ },
  { name: 'a settlement in the mempool', change: (f) => (f.bitcoinTxs[2]!.confirmations = 0), pending: /settlement 0+14 not confirmed on Bitcoin/ },
  {
    name: 'a burn in two settlements',
    change: (f) => f.settlements.push({ bitcoinTxid: txid(21), burns: [txid(10)], change: null }),
    safety: /burn 0+a is in 2 settlements/,
    pending: /settlement 0+15 not confirmed on Bitcoin/,
  },
  {
    name: 'an escrow spend nobody recorded',
    change: (f) => f.bitcoinTxs.push({ txid: txid(22), confirmations: 0, inputs: [`${txid(2)}:1`], outputs: [{ script: BOB, value: 399_000n }] }),
    safety: /0+16 spends escrow without a settlement record/,
  },
  {
    name: 'a destination paid twice',
    change: (f) => {
      f.settlements.push({ bitcoinTxid: txid(23), burns: [], change: null });
      f.bitcoinTxs.push({ txid: txid(23), confirmations: 1, inputs: [`${txid(20)}:1`], outputs: [{ script: ALICE, value: 299_000n }] });
    },
    safety: new RegExp(`destination ${ALICE} paid 2 times from escrow for 1 burn`),
  },
  {
    name: 'reserves below the supply',
    change: (f) => f.bitcoinTxs.push({ txid: txid(24), confirmations: 1, inputs: [`${txid(2)}:1`], outputs: [] }),
    safety: /escrow holds 300000 sats on Bitcoin, the pegged supply is 700000/,
  },
  { name: 'an offered coin taken twice', change: (f) => f.spends.push({ txid: txid(12), inputs: [`${txid(41)}:0`] }), safety: /sidechain output 0+29:0 spent by 2 final transactions: 0+b, 0+c/ },
  { name: 'a coin spent twice within one transaction', change: (f) => f.spends[0]!.inputs.push(`${txid(40)}:0`), safety: /sidechain output 0+28:0 spent by 2 final transactions/ },
  { name: 'an anchor in the mempool', change: (f) => (f.bitcoinTxs[3]!.confirmations = 0), pending: /anchor 0+1e not confirmed on Bitcoin/ },
  { name: 'an anchor record whose transaction is nowhere', change: (f) => f.bitcoinTxs.pop(), pending: /anchor 0+1e not on Bitcoin/ },
  { name: 'an anchor record naming a block the chain does not hold', change: (f) => (f.anchors[0]!.blockHash = 'c3'.repeat(32)), safety: /names block c3c3.* at height 2, the chain has b2b2/ },
  {
    name: 'an anchor transaction carrying another height',
    change: (f) => (f.bitcoinTxs[3]!.outputs[0]!.script = anchorScript(CHAIN_PREFIX, 3, H2)),
    safety: /anchor 0+1e carries \[\{"height":3,.*its record height 2/,
  },
  { name: 'one anchor recorded twice', change: (f) => f.anchors.push({ ...f.anchors[0]! }), safety: /anchor transaction 0+1e recorded 2 times/ },
  {
    name: 'a Bitcoin transaction anchoring the chain without a record',
    change: (f) => f.bitcoinTxs.push({ txid: txid(31), confirmations: 1, inputs: [], outputs: [{ script: anchorScript(CHAIN_PREFIX, 3, 'dd'.repeat(32)), value: 0n }] }),
    safety: /0+1f anchors this chain without an anchor record/,
  },
  {
    name: 'nothing when a Bitcoin spend of escrow has its settlement record stored after the chains were read',
    change: (f) => {
      f.bitcoinTxs.push({ txid: txid(24), confirmations: 0, inputs: [`${txid(20)}:1`], outputs: [{ script: ESCROW_SCRIPT, value: 299_000n }] });
      f.recordedLater.settlements.push(txid(24));
    },
  },
  {
    name: 'nothing when a Bitcoin transaction anchoring the chain has its record stored after the chains were read',
    change: (f) => {
      f.bitcoinTxs.push({ txid: txid(31), confirmations: 1, inputs: [], outputs: [{ script: anchorScript(CHAIN_PREFIX, 3, 'dd'.repeat(32)), value: 0n }] });
      f.recordedLater.anchors.push(txid(31));
    },
  },
  {
    name: 'nothing when another chain anchors in Bitcoin',
    change: (f) => f.bitcoinTxs.push({ txid: txid(32), confirmations: 1, inputs: [], outputs: [{ script: anchorScript('00000001', 3, 'dd'.repeat(32)), value: 0n }] }),
  },
];

describe('fault-suite invariant checker', () => {
  it('finds nothing wrong with a healthy history', () => {
    expect(checkInvariants(healthy())).to.deep.equal({ safety: [], pending: [] });
  });

  for (const { name, change, safety, pending } of cases) {
    it(`reports ${name}`, () => {
      const facts = healthy();
      change(facts);
      const verdict = checkInvariants(facts);
      if (safety) expect(verdict.safety.join('\n')).to.match(safety);
      else expect(verdict.safety).to.deep.equal([]);
      if (pending) expect(verdict.pending.join('\n')).to.match(pending);
      else expect(verdict.pending).to.deep.equal([]);
    });
  }
});
