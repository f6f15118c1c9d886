import { expect } from 'chai';
import { Transaction as BitcoinTransaction } from 'bitcoinjs-lib';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bumpFeeRate, cpfpFee, FeeBumpError, planWalletSpend, WALLET_DUST_SATS, type Ancestor } from '../../watcher/cpfp.ts';
import { sortedMultisig } from '../../watcher/escrow.ts';
import { federationPsbt, multisigTxVsize, signFederationPsbt, type FederationCoin } from '../../watcher/federation-psbt.ts';
import { opsWalletMultisig } from '../../watcher/ops-wallet.ts';
import { anchorScript, encodeAnchorPayload } from '../../watcher/anchor-payload.ts';
import { networks } from 'bitcoinjs-lib';

const privateKeys = [1, 2, 3, 4, 5].map((n) => new Uint8Array(32).fill(n));
const escrow = sortedMultisig(4, privateKeys.map((key) => secp256k1.getPublicKey(key, true)));
const wallet = opsWalletMultisig(escrow);
const coin: FederationCoin = { txid: 'ab'.repeat(32), vout: 1, value: 50_000n, wallet: 'ops' };
const anchorOutput = { script: anchorScript(encodeAnchorPayload(new Uint8Array(32).fill(9), 7, new Uint8Array(32).fill(8))), value: 0n };

describe('child pays for parent', () => {
  const cases: { description: string; childVsize: number; ancestors: Ancestor[]; rate: bigint; fee: bigint }[] = [
    { description: 'no ancestor: the child pays its own size at the rate', childVsize: 200, ancestors: [], rate: 5n, fee: 1_000n },
    { description: 'a parent that paid 1 sat/vB: the child makes up the package at 10 sat/vB', childVsize: 200, ancestors: [{ vsize: 300, fee: 300n }], rate: 10n, fee: 4_700n },
    { description: 'two ancestors short of the rate', childVsize: 100, ancestors: [{ vsize: 300, fee: 300n }, { vsize: 200, fee: 400n }], rate: 4n, fee: 1_700n },
    { description: 'a parent that already overpaid: never less than its own size at the rate', childVsize: 200, ancestors: [{ vsize: 100, fee: 10_000n }], rate: 3n, fee: 600n },
  ];
  for (const c of cases) {
    it(c.description, () => {
      expect(cpfpFee(c.childVsize, c.ancestors, c.rate)).to.equal(c.fee);
    });
  }

  const rates: { description: string; stuck: Ancestor; estimate: bigint; rate: bigint }[] = [
    { description: 'twice the stuck rate when the estimate is lower', stuck: { vsize: 250, fee: 250n }, estimate: 1n, rate: 2n },
    { description: 'the estimate when it is higher than twice the stuck rate', stuck: { vsize: 250, fee: 250n }, estimate: 6n, rate: 6n },
    { description: 'the stuck rate rounded up before doubling', stuck: { vsize: 200, fee: 301n }, estimate: 1n, rate: 4n },
    { description: 'the ceiling when twice the stuck rate is above it', stuck: { vsize: 100, fee: 600n }, estimate: 1n, rate: 8n },
  ];
  for (const r of rates) {
    it(`bumps to ${r.description}`, () => {
      expect(bumpFeeRate(r.stuck, r.estimate, 8n)).to.equal(r.rate);
    });
  }

  it('refuses to bump a package already paying the ceiling', () => {
    expect(() => bumpFeeRate({ vsize: 100, fee: 800n }, 1n, 8n)).to.throw(FeeBumpError, 'the stuck transactions already pay 8 sat/vB, the most a bump may pay is 8');
  });
});

describe('federation coins into leading outputs and change (anchors and fee bumps)', () => {
  it('spends the coin into the OP_RETURN and change to the wallet, the fee from the change', () => {
    const plan = planWalletSpend(escrow, [coin], [anchorOutput], wallet.scriptPubKey, 2n);
    const tx = BitcoinTransaction.fromBuffer(Buffer.from(plan.bitcoinTx));
    expect(tx.getId()).to.equal(plan.txid);
    expect(tx.ins).to.have.length(1);
    expect(Buffer.from(tx.ins[0]!.hash).reverse().toString('hex')).to.equal(coin.txid);
    expect(tx.ins[0]!.sequence).to.equal(0xffffffff);
    expect(tx.outs.map((out) => out.value)).to.deep.equal([0n, coin.value - plan.fee]);
    expect(plan.fee).to.equal(2n * BigInt(plan.vsize));
  });

  it('estimates a size no fully signed 4-of-5 spend exceeds', () => {
    const plan = planWalletSpend(escrow, [coin], [anchorOutput], wallet.scriptPubKey, 1n);
    const psbt = federationPsbt(escrow, networks.regtest, plan.bitcoinTx, [coin]);
    for (const key of privateKeys.slice(0, 4)) signFederationPsbt(psbt, [coin], key);
    psbt.finalizeAllInputs();
    const signed = psbt.extractTransaction();
    expect(signed.getId()).to.equal(plan.txid);
    expect(signed.virtualSize()).to.be.at.most(plan.vsize);
    expect(plan.vsize - signed.virtualSize()).to.be.at.most(2);
    expect(multisigTxVsize(escrow, 1, [anchorOutput.script, wallet.scriptPubKey])).to.equal(plan.vsize);
  });

  it('pays for an unconfirmed parent', () => {
    const alone = planWalletSpend(escrow, [coin], [], escrow.scriptPubKey, 10n);
    const child = planWalletSpend(escrow, [coin], [], escrow.scriptPubKey, 10n, [{ vsize: 300, fee: 300n }]);
    expect(child.fee).to.equal(alone.fee + 2_700n);
  });

  it('refuses a coin too small for the fee and change above dust, naming it', () => {
    const small: FederationCoin = { ...coin, value: WALLET_DUST_SATS + 100n };
    expect(() => planWalletSpend(escrow, [small], [anchorOutput], wallet.scriptPubKey, 1n)).to.throw(FeeBumpError, `coin ${coin.txid}:1 holds 430 sats`);
  });

  it('plans a peg-out bump: the escrow change back in full, the wallet coin paying for the package, signable within its estimated size', () => {
    const escrowChange: FederationCoin = { txid: 'cd'.repeat(32), vout: 2, value: 120_000n };
    const returned = { script: escrow.scriptPubKey, value: escrowChange.value };
    const plan = planWalletSpend(escrow, [escrowChange, coin], [returned], wallet.scriptPubKey, 10n, [{ vsize: 300, fee: 300n }]);
    const tx = BitcoinTransaction.fromBuffer(Buffer.from(plan.bitcoinTx));
    expect(tx.ins.map((input) => `${Buffer.from(input.hash).reverse().toString('hex')}:${input.index}`)).to.deep.equal([`${escrowChange.txid}:2`, `${coin.txid}:1`]);
    expect(tx.outs.map((out) => out.value)).to.deep.equal([escrowChange.value, coin.value - plan.fee]);
    expect(Buffer.from(tx.outs[1]!.script).equals(Buffer.from(wallet.scriptPubKey))).to.equal(true);
    expect(plan.fee).to.equal(10n * BigInt(300 + plan.vsize) - 300n);
    const psbt = federationPsbt(escrow, networks.regtest, plan.bitcoinTx, [escrowChange, coin]);
    for (const key of privateKeys.slice(1, 5)) signFederationPsbt(psbt, [escrowChange, coin], key);
    psbt.finalizeAllInputs();
    const signed = psbt.extractTransaction();
    expect(signed.getId()).to.equal(plan.txid);
    expect(signed.virtualSize()).to.be.at.most(plan.vsize);
  });
});
