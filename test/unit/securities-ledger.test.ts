import { expect } from 'chai';
import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import type { DividendBody, Outpoint, Output, Transaction } from '../../sidechain/transaction/types.ts';
import { applyBlock, applyTransaction, executeBlock, LedgerState } from '../../sidechain/ledger/index.ts';
import { Mempool } from '../../sidechain/mempool.ts';
import { CHAIN_ID, btcOutput, context, mint, signedTransfer, testKey } from '../helpers/ledger-fixtures.ts';
import { issueShare, registryUpdate, reissuance } from '../helpers/securities-fixtures.ts';
import { expectCode } from '../helpers/validation-error.ts';

const alice = testKey(1);
const bob = testKey(2);
const issuer = testKey(3);
const carol = testKey(4);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');


/** Everything a refused transaction could have touched. */
function snapshot(state: LedgerState, assetKey: string): string {
  const utxos = [...state.utxos].map(([key, u]) => `${key}=${u.amount}`).sort();
  const record = state.getAsset(assetKey);
  const register = [1, 2, 3, 4, 5].map((height) => state.holdersAt(assetKey, height).map((h) => `${h.ownerKey}=${h.amount}`));
  return JSON.stringify({ utxos, supply: String(record?.supply), sequence: String(record?.sequence), allowlist: [...(record?.allowlist ?? [])], register });
}

const outputOf = (tx: Transaction, index: number): Outpoint => ({ txid: txInfo(tx).id, index });

describe('securities: re-issuance', () => {
  it('adds units of a reissuable asset to the supply, sequenced with registry updates', () => {
    const state = new LedgerState();
    const { asset, assetKey } = issueShare(state, issuer, 1000n, { metadata: { reissuable: true } });
    const effects = applyTransaction(state, reissuance(asset, 1n, 500n, alice.owner, issuer), context(2));
    expect(effects.created.map((c) => [hex(c.utxo.owner), c.utxo.amount])).to.deep.equal([[hex(alice.owner), 500n]]);
    expect(state.getAsset(assetKey)).to.include({ supply: 1500n, sequence: 1n });
    expect(state.holding(assetKey, hex(alice.owner))).to.equal(500n);
    applyTransaction(state, registryUpdate(asset, 2n, 'add', [bob.owner], issuer), context(3));
    applyTransaction(state, reissuance(asset, 3n, 1n, bob.owner, issuer), context(4));
    expect(state.getAsset(assetKey)).to.include({ supply: 1501n, sequence: 3n });
  });

  const refusals: [string, (state: LedgerState, asset: Uint8Array) => Transaction, string, RegExp][] = [
    ['a replay of the same re-issuance', (state, asset) => {
      const first = reissuance(asset, 1n, 500n, alice.owner, issuer);
      applyTransaction(state, first, context(2));
      return first;
    }, 'registry-sequence', /must carry sequence 2, got 1/],
    ['a re-issuance signed by another key', (_s, asset) => reissuance(asset, 1n, 500n, alice.owner, alice), 'bad-signature', /only the issuer of asset [0-9a-f]{64} may re-issue it or change its allowlist/],
    ['a re-issuance of an unknown asset', () => reissuance(new Uint8Array(32).fill(9), 1n, 5n, alice.owner, issuer), 'unknown-asset', /has no registry/],
    ['a re-issuance of pegged BTC', () => reissuance(BTC_ASSET_ID, 1n, 5n, alice.owner, issuer), 'unknown-asset', /has no registry/],
    ['a supply above 2^63-1', (_s, asset) => reissuance(asset, 1n, (1n << 63n) - 1000n, alice.owner, issuer), 'overflow', /would exceed 2\^63-1/],
  ];
  for (const [what, build, code, message] of refusals) {
    it(`refuses ${what} (${code}) and changes nothing`, () => {
      const state = new LedgerState();
      const { asset, assetKey } = issueShare(state, issuer, 1000n, { metadata: { reissuable: true } });
      const tx = build(state, asset);
      const before = snapshot(state, assetKey);
      expectCode(() => applyTransaction(state, tx, context(3)), code, message);
      expect(snapshot(state, assetKey)).to.equal(before);
    });
  }

  it('refuses to re-issue an asset issued without re-issuance', () => {
    const state = new LedgerState();
    const { asset } = issueShare(state, issuer, 1000n);
    expectCode(() => applyTransaction(state, reissuance(asset, 1n, 5n, issuer.owner, issuer), context(2)), 'not-reissuable', /was issued without re-issuance: its supply is fixed/);
  });

  it('delivers re-issued units of a restricted asset only to allowlisted owners', () => {
    const state = new LedgerState();
    const { asset } = issueShare(state, issuer, 1000n, { metadata: { reissuable: true, restricted: true } });
    expectCode(() => applyTransaction(state, reissuance(asset, 1n, 5n, alice.owner, issuer), context(2)), 'not-allowlisted');
    applyTransaction(state, reissuance(asset, 1n, 5n, issuer.owner, issuer), context(2));
  });
});

describe('securities: the register through time', () => {
  it('answers the holders at any past height, and each owner history, the same from a block overlay', () => {
    const state = new LedgerState();
    const { asset, assetKey, coin } = issueShare(state, issuer, 1000n);
    const split = signedTransfer([coin], [{ owner: alice.owner, asset, amount: 600n }, { owner: bob.owner, asset, amount: 400n }], issuer.seed);
    applyTransaction(state, split, context(2));
    const move = signedTransfer([outputOf(split, 0)], [{ owner: bob.owner, asset, amount: 600n }], alice.seed);
    const { view } = executeBlock(state, [move], context(3));
    const holders = (reader: { holdersAt: LedgerState['holdersAt'] }, height: number) => reader.holdersAt(assetKey, height).map((h) => [h.ownerKey, h.amount]);
    const byOwner = (entries: [string, bigint][]) => entries.sort(([a], [b]) => a.localeCompare(b));

    expect(holders(view, 1)).to.deep.equal([[hex(issuer.owner), 1000n]]);
    expect(holders(view, 2)).to.deep.equal(byOwner([[hex(alice.owner), 600n], [hex(bob.owner), 400n]]));
    expect(holders(view, 3), 'a holder whose balance fell to zero is gone').to.deep.equal([[hex(bob.owner), 1000n]]);
    expect(holders(state, 3), 'the base does not see the uncommitted block').to.deep.equal(holders(state, 2));
    view.commit(state);
    expect(holders(state, 3)).to.deep.equal(holders(view, 3));
    expect(holders(state, 2), 'later blocks do not rewrite an earlier height').to.deep.equal(byOwner([[hex(alice.owner), 600n], [hex(bob.owner), 400n]]));
    expect(state.holdings.historyOf(hex(alice.owner)).map((c) => [c.height, c.txid, c.balance])).to.deep.equal([
      [2, txInfo(split).idHex, 600n],
      [3, txInfo(move).idHex, 0n],
    ]);
  });

  it('counts every transaction of a block, each from the balances the ones before it in the block left', () => {
    const state = new LedgerState();
    const { asset, assetKey, coin } = issueShare(state, issuer, 1000n);
    const first = signedTransfer([coin], [{ owner: alice.owner, asset, amount: 100n }, { owner: issuer.owner, asset, amount: 900n }], issuer.seed);
    const second = signedTransfer([outputOf(first, 1)], [{ owner: alice.owner, asset, amount: 50n }, { owner: issuer.owner, asset, amount: 850n }], issuer.seed);
    const { view } = executeBlock(state, [first, second], context(2));
    const expected = [[hex(alice.owner), 150n], [hex(issuer.owner), 850n]].sort(([a], [b]) => String(a).localeCompare(String(b)));
    expect(view.holdersAt(assetKey, 2).map((h) => [h.ownerKey, h.amount])).to.deep.equal(expected);
    expect([view.holding(assetKey, hex(alice.owner)), view.holding(assetKey, hex(issuer.owner))]).to.deep.equal([150n, 850n]);
    view.commit(state);
    expect(state.holdersAt(assetKey, 2).map((h) => [h.ownerKey, h.amount])).to.deep.equal(expected);
    expect(state.holdings.historyOf(hex(alice.owner)).map((c) => c.balance)).to.deep.equal([100n, 150n]);
  });

  it("records each holder's net change once in a transaction paying more holders than a scan looks through, one of them paid twice", () => {
    const state = new LedgerState();
    const { asset, assetKey, coin } = issueShare(state, issuer, 1000n);
    const others = [5, 6, 7, 8, 9, 10, 11, 12].map(testKey);
    const outputs: Output[] = [
      { owner: alice.owner, asset, amount: 100n },
      ...others.map((other) => ({ owner: other.owner, asset, amount: 50n })),
      { owner: bob.owner, asset, amount: 70n },
      { owner: alice.owner, asset, amount: 30n },
      { owner: issuer.owner, asset, amount: 400n },
    ];
    const pay = signedTransfer([coin], outputs, issuer.seed);
    const { view } = executeBlock(state, [pay], context(2));
    view.commit(state);
    const expected = [[hex(issuer.owner), 400n], [hex(alice.owner), 130n], [hex(bob.owner), 70n], ...others.map((other) => [hex(other.owner), 50n])]
      .sort(([a], [b]) => String(a).localeCompare(String(b)));
    expect(state.holdersAt(assetKey, 2).map((h) => [h.ownerKey, h.amount])).to.deep.equal(expected);
    expect(state.holdings.historyOf(hex(alice.owner)).map((c) => [c.height, c.balance])).to.deep.equal([[2, 130n]]);
    expect(state.holdings.historyOf(hex(issuer.owner)).map((c) => [c.height, c.balance]), 'the spent coin and the change, one entry').to.deep.equal([[1, 1000n], [2, 400n]]);
  });

  it('keeps pegged BTC out of the register', () => {
    const state = new LedgerState();
    mint(state, alice.owner, 1000n);
    expect(state.holdings.historyOf(hex(alice.owner))).to.deep.equal([]);
  });
});

describe('securities: dividends', () => {
  /**
   * Height 1 issues 1000 shares; height 2 leaves alice 600, bob 200, carol 100 and the issuer 100
   * (treasury, no dividend); height 3 moves 100 from alice to bob. The issuer holds 5000 sats.
   */
  function register() {
    const state = new LedgerState();
    const { asset, assetKey, coin } = issueShare(state, issuer, 1000n);
    const shares = [[alice, 600n], [bob, 200n], [carol, 100n], [issuer, 100n]] as const;
    const split = signedTransfer([coin], shares.map(([key, amount]) => ({ owner: key.owner, asset, amount })), issuer.seed);
    applyTransaction(state, split, context(2));
    applyTransaction(state, signedTransfer([outputOf(split, 0)], [{ owner: bob.owner, asset, amount: 100n }, { owner: alice.owner, asset, amount: 500n }], alice.seed), context(3));
    const cash = mint(state, issuer.owner, 5000n, 7, 3);
    return { state, asset, assetKey, cash, split };
  }

  const canonical = (outputs: Output[]) => [...outputs].sort((a, b) => hex(a.owner).localeCompare(hex(b.owner)));
  /** 1000 sats over 600/200/100: 666.67, 222.22, 111.11; the one remaining sat goes to the largest fraction (alice). */
  const atHeight2 = () => canonical([btcOutput(alice.owner, 667n), btcOutput(bob.owner, 222n), btcOutput(carol.owner, 111n)]);

  function dividend(asset: Uint8Array, recordHeight: number, inputs: Outpoint[], outputs: Output[], signer = issuer): Transaction {
    const body: DividendBody = { kind: 'dividend', asset, recordHeight, inputs, outputs };
    return { ...body, witnesses: inputs.map((_, inputIndex) => keyWitness(CHAIN_ID, body, signer.seed, { inputIndex })) };
  }

  it('pays the pro-rata distribution among the holders at the record height, with change to the issuer', () => {
    const { state, asset, cash } = register();
    const tx = dividend(asset, 2, [cash], [...atHeight2(), btcOutput(issuer.owner, 4000n)]);
    const effects = applyTransaction(state, tx, context(4));
    expect(effects.created.map((c) => [hex(c.utxo.owner), c.utxo.amount])).to.deep.equal([...atHeight2(), btcOutput(issuer.owner, 4000n)].map((o) => [hex(o.owner), o.amount]));
  });

  it('is admitted to a mempool by the holders at its record height, whatever transfers of the security are pending', () => {
    const { state, asset, cash, split } = register();
    const pool = new Mempool(state, context(4), { maxCount: 10, maxBytes: 100_000, maxOutputs: 100 });
    pool.add(signedTransfer([outputOf(split, 1)], [{ owner: carol.owner, asset, amount: 200n }], bob.seed));
    // After height 3: alice 500, bob 300, carol 100, whose 1000 sats are 555.6, 333.3 and 111.1.
    const atHeight3 = canonical([btcOutput(alice.owner, 556n), btcOutput(bob.owner, 333n), btcOutput(carol.owner, 111n)]);
    const pendingHolders = canonical([btcOutput(alice.owner, 556n), btcOutput(bob.owner, 111n), btcOutput(carol.owner, 333n)]);
    expectCode(() => pool.add(dividend(asset, 3, [cash], [...pendingHolders, btcOutput(issuer.owner, 4000n)])), 'bad-distribution', /record height 3/);
    pool.add(dividend(asset, 3, [cash], [...atHeight3, btcOutput(issuer.owner, 4000n)]));
    expect(pool.count).to.equal(2);
  });

  it('pays a distribution without change when the inputs are exactly the total', () => {
    const { state, asset } = register();
    const exact = mint(state, issuer.owner, 1000n, 8, 3);
    applyTransaction(state, dividend(asset, 2, [exact], atHeight2()), context(4));
  });

  const refusals: [string, (asset: Uint8Array, cash: Outpoint, state: LedgerState) => Transaction, string, RegExp][] = [
    ['amounts swapped between holders', (asset, cash) => {
      const outputs = atHeight2();
      const [first, second] = [outputs[0]!.amount, outputs[1]!.amount];
      outputs[0] = { ...outputs[0]!, amount: second };
      outputs[1] = { ...outputs[1]!, amount: first };
      return dividend(asset, 2, [cash], [...outputs, btcOutput(issuer.owner, 4000n)]);
    }, 'bad-distribution', /^output 0 pays \d+ sats to sbx1\S+; the pro-rata distribution of 1000 sats at record height 2 has \d+ sats to sbx1\S+ there$/],
    ['a holder left out', (asset, cash) => dividend(asset, 2, [cash], [...atHeight2().filter((o) => hex(o.owner) !== hex(carol.owner)), btcOutput(issuer.owner, 4111n)]), 'bad-distribution', /pro-rata distribution of 889 sats/],
    ['the remainder rounded differently', (asset, cash) => dividend(asset, 2, [cash], [...atHeight2().map((o) => (hex(o.owner) === hex(alice.owner) ? { ...o, amount: 666n } : hex(o.owner) === hex(bob.owner) ? { ...o, amount: 223n } : o)), btcOutput(issuer.owner, 4000n)]), 'bad-distribution', /pro-rata distribution of 1000 sats/],
    ['the holders of a later height', (asset, cash) => dividend(asset, 2, [cash], [...canonical([btcOutput(alice.owner, 556n), btcOutput(bob.owner, 333n), btcOutput(carol.owner, 111n)]), btcOutput(issuer.owner, 4000n)]), 'bad-distribution', /record height 2/],
    ['a share paid to the issuer itself', (asset, cash) => dividend(asset, 2, [cash], [...atHeight2(), btcOutput(issuer.owner, 100n), btcOutput(issuer.owner, 3900n)]), 'bad-distribution', /pro-rata distribution of 1100 sats/],
    ['a record height that is not in the past', (asset, cash) => dividend(asset, 4, [cash], [...atHeight2(), btcOutput(issuer.owner, 4000n)]), 'bad-record-height', /must be below the height of the block paying the dividend \(4\)/],
    ['payment from an address other than the issuer', (asset, _cash, state) => {
      const aliceCash = mint(state, alice.owner, 1000n, 9, 3);
      return dividend(asset, 2, [aliceCash], atHeight2(), alice);
    }, 'not-issuer', /is paid from its issuer's address/],
    ['change that does not add up', (asset, cash) => dividend(asset, 2, [cash], [...atHeight2(), btcOutput(issuer.owner, 3999n)]), 'value-not-conserved', /fall short of|exceed/],
    ['a record height before anyone but the issuer held it', (asset, cash) => dividend(asset, 1, [cash], [btcOutput(alice.owner, 1000n), btcOutput(issuer.owner, 4000n)]), 'no-holders', /nobody but the issuer/],
    ['an asset that was never issued', (_asset, cash) => dividend(new Uint8Array(32).fill(7), 2, [cash], [...atHeight2(), btcOutput(issuer.owner, 4000n)]), 'unknown-asset', /has no registry/],
    ['a signature by someone else', (asset, cash) => dividend(asset, 2, [cash], [...atHeight2(), btcOutput(issuer.owner, 4000n)], alice), 'bad-signature', /does not verify/],
    ["payment from the issuer's own shares rather than pegged BTC", (asset, _cash, state) => {
      const [treasury] = [...state.utxos].find(([, utxo]) => utxo.assetKey === hex(asset) && hex(utxo.owner) === hex(issuer.owner))!;
      const [txid, index] = treasury.split(':');
      return dividend(asset, 2, [{ txid: Buffer.from(txid!, 'hex'), index: Number(index) }], atHeight2().map((o) => ({ ...o, amount: o.amount / 10n })));
    }, 'bad-distribution', /is not pegged BTC: dividends are paid in pegged BTC/],
    ['a share paid in the security rather than pegged BTC', (asset, cash) => dividend(asset, 2, [cash], [...atHeight2().map((o, index) => (index === 0 ? { ...o, asset } : o)), btcOutput(issuer.owner, 4000n)]), 'bad-distribution', /^output 0 pays asset [0-9a-f]{64}; the pro-rata distribution of 1000 sats at record height 2 has \d+ sats to sbx1\S+ there$/],
    ["the issuer's change in another asset than pegged BTC", (asset, cash) => dividend(asset, 2, [cash], [...atHeight2(), { owner: issuer.owner, asset, amount: 4000n }]), 'bad-distribution', /the change output must be pegged BTC/],
    ['nothing for the holders, everything back to the issuer', (asset, cash) => dividend(asset, 2, [cash], [btcOutput(issuer.owner, 5000n)]), 'bad-distribution', /pays nothing to holders/],
  ];
  for (const [what, build, code, message] of refusals) {
    it(`refuses ${what} (${code}) and changes nothing`, () => {
      const { state, asset, assetKey, cash } = register();
      const tx = build(asset, cash, state);
      const before = snapshot(state, assetKey);
      expectCode(() => applyBlock(state, [tx], context(4)), code, message);
      expect(snapshot(state, assetKey)).to.equal(before);
    });
  }
});
