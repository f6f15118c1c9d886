import { expect } from 'chai';
import fc from 'fast-check';
import { networks } from 'bitcoinjs-lib';
import { ValidationError } from '../../sidechain/errors.ts';
import { BTC_ASSET_ID, BTC_ASSET_KEY, issuedAssetId } from '../../sidechain/asset.ts';
import { multisigOwner, ownerPayload } from '../../sidechain/address.ts';
import { keyWitness, multisigWitness } from '../../sidechain/transaction/signing.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { SighashType, type Outpoint, type Output, type Transaction, type TransferBody, type Witness } from '../../sidechain/transaction/types.ts';
import { applyBlock, applyTransaction, executeBlock, LedgerOverlay, LedgerState } from '../../sidechain/ledger/index.ts';
import { CHAIN_ID, bitcoinTxid, btcOutput, context, mint, settlementOf, signedTransfer, testKey } from '../helpers/ledger-fixtures.ts';
import { anchorRecord } from '../helpers/anchor-records.ts';
import { testFederation } from '../helpers/genesis.ts';
import { sortedMultisig } from '../../watcher/escrow.ts';
import { opsWalletMultisig } from '../../watcher/ops-wallet.ts';
import { refusedPegoutDestinations } from '../../watcher/federation-scripts.ts';
import { expectCode } from '../helpers/validation-error.ts';

const alice = testKey(1);
const bob = testKey(2);
const issuer = testKey(3);


function snapshot(state: LedgerState): string {
  const utxos = [...state.utxos].map(([key, u]) => `${key}=${u.amount}`).sort();
  return JSON.stringify({ utxos, minted: [...state.minted].sort(), supply: String(Object.values(state.supply())), assets: [...state.assets.keys()] });
}

const P2WPKH = new Uint8Array([0, 20, ...new Uint8Array(20).fill(7)]);

describe('ledger: transfers', () => {
  it('spends inputs and creates outputs, conserving every asset', () => {
    const state = new LedgerState();
    const coin = mint(state, alice.owner, 1000n);
    const tx = signedTransfer([coin], [btcOutput(bob.owner, 600n), btcOutput(alice.owner, 400n)], alice.seed);
    const effects = applyTransaction(state, tx, context(2));
    expect(effects.spent.map((s) => s.key)).to.deep.equal([`${txInfo(tx).idHex.slice(0, 0)}${Buffer.from(coin.txid).toString('hex')}:0`]);
    expect(effects.created.map((c) => c.utxo.amount)).to.deep.equal([600n, 400n]);
    expect(state.utxos.size).to.equal(2);
    expect(state.getUtxo(`${txInfo(tx).idHex}:0`)?.height).to.equal(2);
  });

  const rejections: [string, (state: LedgerState, coin: Outpoint) => Transaction, string][] = [
    ['a missing input', (_s, coin) => signedTransfer([{ ...coin, index: 5 }], [btcOutput(bob.owner, 1000n)], alice.seed), 'missing-input'],
    ['outputs above inputs', (_s, coin) => signedTransfer([coin], [btcOutput(bob.owner, 1001n)], alice.seed), 'value-not-conserved'],
    ['outputs below inputs', (_s, coin) => signedTransfer([coin], [btcOutput(bob.owner, 999n)], alice.seed), 'value-not-conserved'],
    ['a signature by someone else', (_s, coin) => signedTransfer([coin], [btcOutput(bob.owner, 1000n)], bob.seed), 'bad-signature'],
    ['a signature for another chain', (_s, coin) => {
      const body: TransferBody = { kind: 'transfer', inputs: [coin], outputs: [btcOutput(bob.owner, 1000n)] };
      return { ...body, witnesses: [keyWitness(new Uint8Array(32), body, alice.seed)] };
    }, 'bad-signature'],
    ['an asset that appears from nowhere', (_s, coin) => signedTransfer([coin], [btcOutput(bob.owner, 1000n), btcOutput(bob.owner, 5n, new Uint8Array(32).fill(1))], alice.seed), 'value-not-conserved'],
    ['output sums above 2^63-1', (_s, coin) => signedTransfer([coin], [btcOutput(bob.owner, (1n << 63n) - 1n), btcOutput(bob.owner, 1n)], alice.seed), 'overflow'],
    ['a multisig witness for a key owner', (_s, coin) => {
      const body: TransferBody = { kind: 'transfer', inputs: [coin], outputs: [btcOutput(bob.owner, 1000n)] };
      return { ...body, witnesses: [multisigWitness(CHAIN_ID, body, { threshold: 1, keys: [alice.publicKey] }, [alice.seed])] };
    }, 'witness-type'],
  ];
  for (const [what, build, code] of rejections) {
    it(`rejects ${what} (${code}) and changes nothing`, () => {
      const state = new LedgerState();
      const coin = mint(state, alice.owner, 1000n);
      const before = snapshot(state);
      expectCode(() => applyTransaction(state, build(state, coin), context(2)), code);
      expect(snapshot(state)).to.equal(before);
    });
  }

  it('names the asset and the difference of a transfer that does not conserve value, of one asset or of several', () => {
    const state = new LedgerState();
    const coin = mint(state, alice.owner, 1000n);
    const refusal = (outputs: Output[]) => {
      try {
        applyTransaction(state, signedTransfer([coin], outputs, alice.seed), context(2));
      } catch (error) {
        return [(error as ValidationError).code, (error as Error).message];
      }
      return undefined;
    };
    const other = new Uint8Array(32).fill(1);
    expect(refusal([btcOutput(bob.owner, 1001n)])).to.deep.equal(['value-not-conserved', `asset ${BTC_ASSET_KEY}: inputs fall short of outputs by 1`]);
    expect(refusal([btcOutput(bob.owner, 600n), btcOutput(alice.owner, 300n)])).to.deep.equal(['value-not-conserved', `asset ${BTC_ASSET_KEY}: inputs exceed outputs by 100`]);
    expect(refusal([btcOutput(bob.owner, 1000n), btcOutput(bob.owner, 5n, other)])).to.deep.equal(['value-not-conserved', `asset ${'01'.repeat(32)}: inputs fall short of outputs by 5`]);
    expect(refusal([btcOutput(bob.owner, 999n), btcOutput(bob.owner, 5n, other)]), 'the first asset met is named first').to.deep.equal(['value-not-conserved', `asset ${BTC_ASSET_KEY}: inputs exceed outputs by 1`]);
    expect(refusal([btcOutput(bob.owner, (1n << 63n) - 1n), btcOutput(bob.owner, 1n)])).to.deep.equal(['overflow', `outputs of asset ${BTC_ASSET_KEY} sum above 2^63-1`]);
    expect(refusal([btcOutput(bob.owner, 1000n), btcOutput(bob.owner, (1n << 63n) - 1n, other), btcOutput(bob.owner, 1n, other)])).to.deep.equal(['overflow', `outputs of asset ${'01'.repeat(32)} sum above 2^63-1`]);
    expect(state.utxos.size).to.equal(1);
  });

  it('refuses a spend of a coin paid to a key of small order, whose signature anyone can make (bad-signature)', () => {
    const state = new LedgerState();
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const coin = mint(state, ownerPayload({ type: 'key', publicKey: identity }), 1000n);
    const body: TransferBody = { kind: 'transfer', inputs: [coin], outputs: [btcOutput(bob.owner, 1000n)] };
    // R = B, S = 1: [S]B - [k]A = B for the identity A, whatever the message.
    const forged = new Uint8Array(64);
    forged.set(Buffer.from('5866666666666666666666666666666666666666666666666666666666666666', 'hex'));
    forged[32] = 1;
    const before = snapshot(state);
    expectCode(() => applyTransaction(state, { ...body, witnesses: [{ type: 'key', sighash: SighashType.all, signature: forged }] }, context(2)), 'bad-signature');
    expect(snapshot(state)).to.equal(before);
  });

  it('checks the witnesses of a transaction it validated before again for another owner of the spent output, or another chain', () => {
    const state = new LedgerState();
    const coin = mint(state, alice.owner, 1000n);
    const key = `${Buffer.from(coin.txid).toString('hex')}:0`;
    const tx = signedTransfer([coin], [btcOutput(bob.owner, 1000n)], alice.seed);
    executeBlock(state, [tx], context(2));
    // The same outpoint owned by bob: only a ledger put together by hand holds that.
    const other = new LedgerState();
    other.putUtxo(key, { ...state.getUtxo(key)!, owner: bob.owner });
    expectCode(() => applyTransaction(other, tx, context(2)), 'bad-signature');
    expectCode(() => applyTransaction(state, tx, { ...context(2), chainId: new Uint8Array(32) }), 'bad-signature');
    applyTransaction(state, tx, context(2));
  });

  it('rejects a second spend of the same output as missing, and inside one block as a double spend', () => {
    const state = new LedgerState();
    const coin = mint(state, alice.owner, 1000n);
    const first = signedTransfer([coin], [btcOutput(bob.owner, 1000n)], alice.seed);
    const second = signedTransfer([coin], [btcOutput(alice.owner, 1000n)], alice.seed);
    const before = snapshot(state);
    expectCode(() => applyBlock(state, [first, second], context(2)), 'double-spend');
    expect(snapshot(state)).to.equal(before);
    applyTransaction(state, first, context(2));
    expectCode(() => applyTransaction(state, second, context(3)), 'missing-input');
  });

  it('spends a 2-of-3 multisig output with two signatures, and not with a wrong condition', () => {
    const keys = [alice, bob, issuer];
    const condition = { threshold: 2, keys: keys.map((k) => k.publicKey) };
    const owner = ownerPayload(multisigOwner(2, condition.keys));
    const state = new LedgerState();
    const coin = mint(state, owner, 50n);
    const body: TransferBody = { kind: 'transfer', inputs: [coin], outputs: [btcOutput(alice.owner, 50n)] };
    const wrong = { threshold: 1, keys: [alice.publicKey, bob.publicKey, issuer.publicKey] };
    expectCode(() => applyTransaction(state, { ...body, witnesses: [multisigWitness(CHAIN_ID, body, wrong, [alice.seed])] }, context(2)), 'owner-mismatch');
    applyTransaction(state, { ...body, witnesses: [multisigWitness(CHAIN_ID, body, condition, [issuer.seed, bob.seed])] }, context(2));
    expect(state.utxos.size).to.equal(1);
  });

  it('accepts SINGLE|ANYONECANPAY partial offers combined into one swap', () => {
    const state = new LedgerState();
    const aliceCoin = mint(state, alice.owner, 10n, 1);
    const bobCoin = mint(state, bob.owner, 20n, 2);
    const body: TransferBody = { kind: 'transfer', inputs: [aliceCoin, bobCoin], outputs: [btcOutput(bob.owner, 10n), btcOutput(alice.owner, 20n)] };
    const options = { sighash: SighashType.singleAnyoneCanPay };
    const aliceOffer = keyWitness(CHAIN_ID, { ...body, inputs: [aliceCoin], outputs: [body.outputs[0]!] }, alice.seed, options);
    const bobOffer = keyWitness(CHAIN_ID, body, bob.seed, { ...options, inputIndex: 1 });
    applyTransaction(state, { ...body, witnesses: [aliceOffer, bobOffer] }, context(2));
    expect(state.utxos.size).to.equal(2);
  });
});

describe('ledger: peg-in and peg-out', () => {
  it('mints a Bitcoin outpoint at most once, even across blocks', () => {
    const state = new LedgerState();
    mint(state, alice.owner, 1000n, 7);
    expect(state.supply()).to.deep.equal({ minted: 1000n, burned: 0n });
    const again: Transaction = { kind: 'pegin', bitcoinTxid: bitcoinTxid(7), bitcoinVout: 0, amount: 5n, recipient: bob.owner, witnesses: [] };
    expectCode(() => applyTransaction(state, again, context(3)), 'already-minted');
  });

  it('mints a Bitcoin outpoint at most once within one block: a block minting it twice is refused whole', () => {
    const state = new LedgerState();
    const before = snapshot(state);
    const mintOf = (recipient: Uint8Array): Transaction => ({ kind: 'pegin', bitcoinTxid: bitcoinTxid(8), bitcoinVout: 1, amount: 1000n, recipient, witnesses: [] });
    expectCode(() => applyBlock(state, [mintOf(alice.owner), mintOf(bob.owner)], context(1)), 'already-minted');
    expect(snapshot(state)).to.equal(before);
  });

  it('refuses a mint that would take the pegged BTC outstanding above 2^63-1 (overflow) and changes nothing; one within it mints', () => {
    const state = new LedgerState();
    mint(state, alice.owner, (1n << 63n) - 2n, 1);
    const before = snapshot(state);
    const mintOf = (amount: bigint): Transaction => ({ kind: 'pegin', bitcoinTxid: bitcoinTxid(2), bitcoinVout: 0, amount, recipient: bob.owner, witnesses: [] });
    expectCode(() => applyTransaction(state, mintOf(2n), context(2)), 'overflow', /pegged supply would exceed 2\^63-1/);
    expect(snapshot(state)).to.equal(before);
    applyTransaction(state, mintOf(1n), context(2));
    expect(state.supply()).to.deep.equal({ minted: (1n << 63n) - 1n, burned: 0n });
  });

  it('refuses a burn of pegged BTC paid for with a security (value-not-conserved) and changes nothing', () => {
    const state = new LedgerState();
    mint(state, alice.owner, 1000n);
    const body = { kind: 'issuance' as const, issuer: issuer.publicKey, nonce: 1n, metadata: { name: 'Acme AG share', isin: 'CH0012221716', securityKind: 'share' as const, decimals: 0, restricted: false, reissuable: false }, supply: 700n, recipient: issuer.owner };
    const issuance: Transaction = { ...body, witnesses: [keyWitness(CHAIN_ID, body, issuer.seed)] };
    applyTransaction(state, issuance, context(1));
    const before = snapshot(state);
    // 700 shares spent to burn 700 sats the spender never had: only pegged BTC can be burned.
    const burn = { kind: 'pegout' as const, inputs: [{ txid: txInfo(issuance).id, index: 0 }], outputs: [], destinationScript: P2WPKH, amount: 700n };
    expectCode(() => applyTransaction(state, { ...burn, witnesses: [keyWitness(CHAIN_ID, burn, issuer.seed)] }, context(2)), 'value-not-conserved');
    // Shares kept as change beside the burn do not pay for it either.
    const withChange = { ...burn, outputs: [{ owner: issuer.owner, asset: issuedAssetId(issuer.publicKey, 1n), amount: 700n }] };
    expectCode(() => applyTransaction(state, { ...withChange, witnesses: [keyWitness(CHAIN_ID, withChange, issuer.seed)] }, context(2)), 'value-not-conserved', new RegExp(`asset ${BTC_ASSET_KEY}: inputs fall short of outputs by 700`));
    expect(snapshot(state)).to.equal(before);
    expect(state.supply()).to.deep.equal({ minted: 1000n, burned: 0n });
  });

  it('burns pegged BTC with change and records the burn and supply', () => {
    const state = new LedgerState();
    const coin = mint(state, alice.owner, 1000n);
    const body = { kind: 'pegout' as const, inputs: [coin], outputs: [btcOutput(alice.owner, 300n)], destinationScript: P2WPKH, amount: 700n };
    const tx: Transaction = { ...body, witnesses: [keyWitness(CHAIN_ID, body, alice.seed)] };
    const effects = applyTransaction(state, tx, context(2));
    expect(effects.burn?.amount).to.equal(700n);
    expect(state.supply()).to.deep.equal({ minted: 1000n, burned: 700n });
    const badBody = { ...body, amount: 701n };
    const state2 = new LedgerState();
    mint(state2, alice.owner, 1000n);
    expectCode(() => applyTransaction(state2, { ...badBody, witnesses: [keyWitness(CHAIN_ID, badBody, alice.seed)] }, context(2)), 'value-not-conserved');
  });

  /** A burn of 700 of alice's 1,000 minted sats to `destinationScript`, 300 back to her. */
  const burnTo = (coin: Outpoint, destinationScript: Uint8Array): Transaction => {
    const body = { kind: 'pegout' as const, inputs: [coin], outputs: [btcOutput(alice.owner, 300n)], destinationScript, amount: 700n };
    return { ...body, witnesses: [keyWitness(CHAIN_ID, body, alice.seed)] };
  };

  it('refuses a burn below the genesis minimum (below-minimum) and changes nothing; one at the minimum burns', () => {
    const state = new LedgerState();
    const coin = mint(state, alice.owner, 1000n);
    const before = snapshot(state);
    expectCode(() => applyTransaction(state, burnTo(coin, P2WPKH), { ...context(2), pegoutMinimumSats: 701n }), 'below-minimum');
    expect(snapshot(state)).to.equal(before);
    applyTransaction(state, burnTo(coin, P2WPKH), { ...context(2), pegoutMinimumSats: 700n });
    expect(state.supply()).to.deep.equal({ minted: 1000n, burned: 700n });
  });

  it("refuses a burn paying the federation's escrow or operations wallet (federation-destination), saying which, and changes nothing; another destination burns", () => {
    const { genesis } = testFederation();
    const escrow = sortedMultisig(genesis.members.threshold, genesis.pegKeys);
    const ctx = { ...context(2), refusedPegoutDestinations: refusedPegoutDestinations(genesis) };
    const state = new LedgerState();
    const coin = mint(state, alice.owner, 1000n);
    const before = snapshot(state);
    const owned = [
      { multisig: escrow, what: "the federation's escrow: BTC paid there is no one's deposit and is never minted again" },
      { multisig: opsWalletMultisig(escrow), what: "the federation's operations wallet, which pays for anchors" },
    ];
    for (const { multisig, what } of owned) {
      expect(() => applyTransaction(state, burnTo(coin, multisig.scriptPubKey), ctx))
        .to.throw(ValidationError, `${multisig.address(networks.regtest)} is ${what}; a peg-out pays a Bitcoin address of your own`)
        .with.property('code', 'federation-destination');
    }
    expect(snapshot(state)).to.equal(before);
    expect(applyTransaction(state, burnTo(coin, P2WPKH), ctx).burn?.amount).to.equal(700n);
    expect(state.supply()).to.deep.equal({ minted: 1000n, burned: 700n });
  });

  it('records a fee bump (a settlement naming no burns) only as two inputs into two outputs, settling nothing', () => {
    const state = new LedgerState();
    const escrowChange = { script: new Uint8Array([0, 32, ...new Uint8Array(32).fill(5)]), value: 50_000n };
    const walletChange = { script: new Uint8Array([0, 32, ...new Uint8Array(32).fill(6)]), value: 9_000n };
    const before = snapshot(state);
    expectCode(() => applyTransaction(state, settlementOf([], [escrowChange]), context(3)), 'bad-settlement');
    expectCode(() => applyTransaction(state, settlementOf([], [escrowChange, walletChange], 9), context(3)), 'bad-settlement');
    expectCode(() => applyTransaction(state, settlementOf([], [escrowChange], [9, 10]), context(3)), 'bad-settlement');
    expectCode(() => applyTransaction(state, settlementOf([], [escrowChange, walletChange, walletChange], [9, 10]), context(3)), 'bad-settlement');
    // Spending one coin twice, which Bitcoin refuses: the bump would never confirm.
    expectCode(() => applyTransaction(state, settlementOf([], [escrowChange, walletChange], [9, 9]), context(3)), 'bad-settlement');
    expect(snapshot(state)).to.equal(before);
    applyTransaction(state, settlementOf([], [escrowChange, walletChange], [9, 10]), context(3));
    expect(state.supply()).to.deep.equal({ minted: 0n, burned: 0n });
  });

  it('settles a burn once, paying its destination at most the burned amount, and refuses unknown burns', () => {
    const state = new LedgerState();
    const burns = [1000n, 2000n].map((amount, n) => {
      const coin = mint(state, alice.owner, amount, n + 1);
      const body = { kind: 'pegout' as const, inputs: [coin], outputs: [], destinationScript: P2WPKH, amount };
      const burn = { ...body, witnesses: [keyWitness(CHAIN_ID, body, alice.seed)] };
      applyTransaction(state, burn, context(2));
      return txInfo(burn).id;
    });
    const escrowChange = { script: new Uint8Array([0, 32, ...new Uint8Array(32).fill(5)]), value: 50_000n };
    const settle = settlementOf(burns, [{ script: P2WPKH, value: 900n }, { script: P2WPKH, value: 1900n }, escrowChange]);
    const before = snapshot(state);
    expectCode(() => applyTransaction(state, settlementOf(burns, [{ script: P2WPKH, value: 900n }, { script: P2WPKH, value: 1950n }]), context(3)), 'bad-settlement');
    expectCode(() => applyTransaction(state, settlementOf(burns, [{ script: P2WPKH, value: 1001n }, { script: P2WPKH, value: 2001n }]), context(3)), 'bad-settlement');
    expectCode(() => applyTransaction(state, settlementOf(burns, [{ script: escrowChange.script, value: 900n }, { script: P2WPKH, value: 1900n }]), context(3)), 'bad-settlement');
    expectCode(() => applyTransaction(state, settlementOf(burns, [{ script: P2WPKH, value: 900n }, { script: P2WPKH, value: 1900n }, escrowChange, escrowChange]), context(3)), 'bad-settlement');
    expectCode(() => applyTransaction(state, { ...settle, bitcoinTxid: bitcoinTxid(10) }, context(3)), 'bad-settlement');
    // An escrow coin spent twice counts twice towards the change, and no Bitcoin node accepts the
    // transaction: the burns would be recorded as paid by a payment that never comes.
    expectCode(() => applyTransaction(state, settlementOf(burns, [{ script: P2WPKH, value: 900n }, { script: P2WPKH, value: 1900n }, escrowChange], [9, 9]), context(3)), 'bad-settlement');
    expect(snapshot(state)).to.equal(before);
    applyTransaction(state, settle, context(3));
    const settledAs = (index: number) => state.getBurn(Buffer.from(burns[index]!).toString('hex'))?.settlement;
    expect([settledAs(0), settledAs(1)]).to.deep.equal([0, 1].map((vout) => ({ bitcoinTxid: Buffer.from(settle.bitcoinTxid).toString('hex'), vout, paidSats: [900n, 1900n][vout] })));
    expectCode(() => applyTransaction(state, settlementOf(burns, [{ script: P2WPKH, value: 900n }, { script: P2WPKH, value: 1900n }], 10), context(4)), 'already-settled');
    expectCode(() => applyTransaction(state, settlementOf([bitcoinTxid(1)], [{ script: P2WPKH, value: 900n }]), context(4)), 'unknown-burn');
  });

  it('records anchors of earlier heights only', () => {
    const state = new LedgerState();
    const anchor = anchorRecord(context(6).chainId, 5, bitcoinTxid(1));
    expectCode(() => applyTransaction(state, anchor, context(5)), 'bad-anchor');
    expectCode(() => applyTransaction(state, anchor, { ...context(6), blockHash: () => bitcoinTxid(3) }), 'bad-anchor');
    // The refusal names both hashes, so an auditor sees which record disagrees with which block.
    if (anchor.kind !== 'anchor') throw new Error('not an anchor record');
    expect(() => applyTransaction(state, anchor, { ...context(6), blockHash: () => bitcoinTxid(3) })).to.throw(
      `the anchor record names block hash ${Buffer.from(anchor.blockHash).toString('hex')} at height 5; the chain has ${Buffer.from(bitcoinTxid(3)).toString('hex')} there`,
    );
    expect(applyTransaction(state, anchor, context(6)).anchor?.height).to.equal(5);
    // The record binds its Bitcoin transaction: a txid that is not the transaction's is refused.
    expectCode(() => applyTransaction(state, { ...anchor, bitcoinTxid: bitcoinTxid(2) }, context(6)), 'bad-anchor');
  });
});

describe('ledger: securities', () => {
  const metadata = { name: 'Acme AG share', isin: 'CH0012221716', securityKind: 'share' as const, decimals: 0, restricted: true, reissuable: false };
  const issuance = { kind: 'issuance' as const, issuer: issuer.publicKey, nonce: 1n, metadata, supply: 1000n, recipient: issuer.owner };
  const asset = issuedAssetId(issuer.publicKey, 1n);
  const issue = (state: LedgerState) => applyTransaction(state, { ...issuance, witnesses: [keyWitness(CHAIN_ID, issuance, issuer.seed)] }, context(1));
  const registry = (sequence: bigint, action: 'add' | 'remove', seed = issuer.seed): Transaction => {
    const body = { kind: 'registry' as const, asset, sequence, action, owners: [alice.owner] };
    return { ...body, witnesses: [keyWitness(CHAIN_ID, body, seed)] };
  };

  it('issues once per id, signed by the issuer', () => {
    const state = new LedgerState();
    expectCode(() => applyTransaction(state, { ...issuance, witnesses: [keyWitness(CHAIN_ID, issuance, alice.seed)] }, context(1)), 'bad-signature');
    issue(state);
    expectCode(() => issue(state), 'asset-exists');
  });

  it('takes an issuance or a registry update only signed by the issuer with sighash ALL (sighash-type), which commits to all of it', () => {
    const state = new LedgerState();
    // The issuer's signature with its sighash byte changed: no signer makes SINGLE|ANYONECANPAY
    // for these kinds, so a witness carrying it can only have been altered.
    const partly = (witness: Witness): Witness => ({ ...witness, sighash: SighashType.singleAnyoneCanPay });
    const issuanceSigned = { ...issuance, witnesses: [partly(keyWitness(CHAIN_ID, issuance, issuer.seed))] };
    expectCode(() => applyTransaction(state, issuanceSigned, context(1)), 'sighash-type', /the issuer signs with sighash ALL/);
    expect(state.assets.size).to.equal(0);
    issue(state);
    const body = { kind: 'registry' as const, asset, sequence: 1n, action: 'add' as const, owners: [alice.owner] };
    const update = { ...body, witnesses: [partly(keyWitness(CHAIN_ID, body, issuer.seed))] };
    expectCode(() => applyTransaction(state, update, context(2)), 'sighash-type', /the issuer signs with sighash ALL/);
    expect(state.getAsset(Buffer.from(asset).toString('hex'))).to.include({ sequence: 0n });
    expect(state.getAsset(Buffer.from(asset).toString('hex'))?.allowlist.size).to.equal(1);
  });

  it('delivers a restricted asset only to allowlisted owners; registry updates are sequenced and issuer-signed', () => {
    const state = new LedgerState();
    const created = issue(state).created[0]!;
    const coin = { txid: Buffer.from(created.key.split(':')[0]!, 'hex'), index: 0 };
    const toAlice = signedTransfer([coin], [{ owner: alice.owner, asset, amount: 1000n }], issuer.seed);
    expectCode(() => applyTransaction(state, toAlice, context(2)), 'not-allowlisted');
    expectCode(() => applyTransaction(state, registry(1n, 'add', alice.seed), context(2)), 'bad-signature');
    expectCode(() => applyTransaction(state, registry(2n, 'add'), context(2)), 'registry-sequence');
    applyTransaction(state, registry(1n, 'add'), context(2));
    expectCode(() => applyTransaction(state, registry(1n, 'add'), context(2)), 'registry-sequence');
    applyTransaction(state, toAlice, context(3));
    expect(state.getAsset(Buffer.from(asset).toString('hex'))?.allowlist.size).to.equal(2);
  });

  it('lets a holder removed from the allowlist sell part of a coin with change to itself, and never grow its holding', () => {
    const state = new LedgerState();
    const created = issue(state).created[0]!;
    applyTransaction(state, registry(1n, 'add'), context(2));
    const toAlice = signedTransfer([{ txid: Buffer.from(created.key.split(':')[0]!, 'hex'), index: 0 }], [{ owner: alice.owner, asset, amount: 700n }, { owner: issuer.owner, asset, amount: 300n }], issuer.seed);
    applyTransaction(state, toAlice, context(3));
    const removal = { kind: 'registry' as const, asset, sequence: 2n, action: 'remove' as const, owners: [alice.owner] };
    applyTransaction(state, { ...removal, witnesses: [keyWitness(CHAIN_ID, removal, issuer.seed)] }, context(4));
    const alices = { txid: txInfo(toAlice).id, index: 0 };
    const issuers = { txid: txInfo(toAlice).id, index: 1 };
    // More than she spends of it cannot come back to her, even with the other input's signature.
    const grow: TransferBody = { kind: 'transfer', inputs: [alices, issuers], outputs: [{ owner: alice.owner, asset, amount: 701n }, { owner: issuer.owner, asset, amount: 299n }] };
    const grown = { ...grow, witnesses: [keyWitness(CHAIN_ID, grow, alice.seed, { inputIndex: 0 }), keyWitness(CHAIN_ID, grow, issuer.seed, { inputIndex: 1 })] };
    expect(() => applyTransaction(state, grown, context(5))).to.throw(ValidationError, /not on the allowlist of Acme AG share \(CH0012221716\) [0-9a-f]{64}: an owner off the list gets back at most what it spends of the asset, 700 more here/);
    // Selling 200 to an allowlisted holder with 500 back is change, and allowed.
    const sale = signedTransfer([alices], [{ owner: issuer.owner, asset, amount: 200n }, { owner: alice.owner, asset, amount: 500n }], alice.seed);
    applyTransaction(state, sale, context(5));
    expect(state.holdings.balance(Buffer.from(asset).toString('hex'), Buffer.from(alice.owner).toString('hex'))).to.equal(500n);
  });
});

describe('ledger properties', function () {
  // Each property is a fixed amount of synchronous work (about 13,000 Ed25519 signatures and
  // verifications for the first): mocha cannot interrupt it, and its timeout would only turn a
  // pass into a failure afterwards when a busy machine gave the process a small share of a core.
  this.timeout(0);
  const keys = [alice, bob, issuer];

  it('random transfer sequences conserve every asset and never spend an output twice', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ from: fc.nat(), split: fc.bigInt({ min: 0n, max: 100n }), to: fc.nat(2), replay: fc.boolean() }), { minLength: 1, maxLength: 25 }),
        (steps) => {
          const state = new LedgerState();
          mint(state, alice.owner, 1000n, 1);
          mint(state, bob.owner, 500n, 2);
          const spent = new Set<string>();
          let height = 2;
          for (const step of steps) {
            const coins = [...state.utxos.entries()];
            const [key, utxo] = coins[step.from % coins.length]!;
            const signer = keys.find((k) => Buffer.compare(k.owner, utxo.owner) === 0)!;
            const [txid, index] = key.split(':');
            const input = { txid: Buffer.from(txid!, 'hex'), index: Number(index) };
            const first = (utxo.amount * step.split) / 100n;
            const outputs = [first, utxo.amount - first].filter((a) => a > 0n).map((a) => btcOutput(keys[step.to]!.owner, a));
            applyTransaction(state, signedTransfer([input], outputs, signer.seed), context(++height));
            spent.add(key);
            if (step.replay) {
              const again = signedTransfer([input], [btcOutput(signer.owner, utxo.amount)], signer.seed);
              expect(() => applyTransaction(state, again, context(height))).to.throw(ValidationError);
            }
          }
          let total = 0n;
          for (const [key, utxo] of state.utxos) {
            expect(spent.has(key)).to.equal(false);
            expect(utxo.assetKey).to.equal(BTC_ASSET_KEY);
            total += utxo.amount;
          }
          expect(total).to.equal(1500n);
          expect(state.supply().minted - state.supply().burned).to.equal(total);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a block with any invalid transaction changes nothing; a valid block applies as a whole', () => {
    fc.assert(
      fc.property(fc.nat(5), fc.integer({ min: 1, max: 6 }), (badAt, length) => {
        const state = new LedgerState();
        let coin = mint(state, alice.owner, 100n);
        const txs: Transaction[] = [];
        for (let i = 0; i < length; i++) {
          const tx = signedTransfer([coin], [btcOutput(alice.owner, i === badAt ? 101n : 100n)], alice.seed);
          txs.push(tx);
          coin = { txid: txInfo(tx).id, index: 0 };
        }
        const before = snapshot(state);
        if (badAt < length) {
          expect(() => applyBlock(state, txs, context(2))).to.throw(ValidationError);
          expect(snapshot(state)).to.equal(before);
        } else {
          expect(applyBlock(state, txs, context(2)).txs).to.have.length(length);
          expect([...state.utxos.keys()]).to.deep.equal([`${Buffer.from(coin.txid).toString('hex')}:0`]);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('whether an output is unspent', () => {
  it('a ledger and an overlay over it (and one over that) say an output is unspent exactly when they give it', () => {
    const key = (n: number) => `${'ab'.repeat(32)}:${n}`;
    const output = (amount: bigint) => ({ owner: testKey(1).owner, asset: BTC_ASSET_ID, assetKey: BTC_ASSET_KEY, amount, height: 1 });
    const base = new LedgerState();
    for (const n of [0, 1, 2]) base.putUtxo(key(n), output(BigInt(n + 1)));
    const overlay = new LedgerOverlay(base);
    overlay.deleteUtxo(key(0));
    overlay.putUtxo(key(3), output(4n));
    overlay.deleteUtxo(key(1));
    overlay.putUtxo(key(1), output(5n));
    const above = new LedgerOverlay(overlay);
    above.deleteUtxo(key(3));
    above.putUtxo(key(4), output(6n));
    for (const view of [base, overlay, above]) {
      for (let n = 0; n < 6; n++) expect(view.hasUtxo(key(n)), key(n)).to.equal(view.getUtxo(key(n)) !== undefined);
    }
    expect([0, 1, 2, 3, 4, 5].map((n) => above.hasUtxo(key(n)))).to.deep.equal([false, true, true, false, true, false]);
  });
});
