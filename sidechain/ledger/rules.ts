import { BTC_ASSET_KEY, securityName } from '../asset.ts';
import { compareBytes, encodeAddress, ownerFromPayload } from '../address.ts';
import { decodeUnsignedBitcoinTx } from '../bitcoin-tx.ts';
import { checkTransaction } from '../transaction/check.ts';
import { toHex, txInfo, type TxInfo } from '../transaction/ids.ts';
import { inputMessages, sighashMessage } from '../transaction/sighash.ts';
import { verifyWitness } from '../transaction/signing.ts';
import { LIMITS, SighashType, type Transaction, type Witness } from '../transaction/types.ts';
import { LedgerError } from './errors.ts';
import { checkDividend } from './dividend.ts';
import type { LedgerContext, TxEffects, UtxoChange } from './effects.ts';
import type { AssetRecord, LedgerReader, PegSupply } from './state.ts';

function fail(code: string, reason: string): never {
  throw new LedgerError(code, reason);
}

function emptyEffects(info: TxInfo, tx: Transaction, height: number): TxEffects {
  return { txid: info.idHex, kind: tx.kind, height, spent: [], created: [], minted: [], settled: [] };
}

function spendInputs(view: LedgerReader, info: TxInfo): UtxoChange[] {
  return info.inputKeys.map((key) => {
    const utxo = view.getUtxo(key);
    if (!utxo) fail(view.isSpent(key) ? 'double-spend' : 'missing-input', `input ${key} is ${view.isSpent(key) ? 'already spent' : 'not in the UTXO set'}`);
    return { key, utxo };
  });
}

function createOutputs(view: LedgerReader, info: TxInfo, height: number): UtxoChange[] {
  // A transaction that spends an unspent output cannot have been applied before (it would have
  // spent that output then), so only a kind without inputs could create an output twice.
  const mayRepeat = info.inputKeys.length === 0;
  return info.outputs.map((output, index) => {
    const key = info.outputKeys[index]!;
    if (mayRepeat && view.hasUtxo(key)) fail('duplicate-tx', `output ${key} already exists`);
    return { key, utxo: { owner: output.owner, asset: output.asset, assetKey: info.outputAssetKeys[index]!, amount: output.amount, height } };
  });
}

/**
 * The chain and the owners a transaction's input witnesses last verified for. A member validates
 * the same transaction object again and again: re-checking its mempool after each block, building
 * or checking the block that carries it. A witness is a pure function of the owner of the output
 * it spends, the chain id and the (immutable) transaction, so a success for the same chain and
 * owners is a success again; the signature cache would say so too, but only after hashing the
 * signed message and the cache key once more.
 */
const verifiedWitnesses = new WeakMap<Transaction, { chainId: Uint8Array; owners: Uint8Array[] }>();

function witnessesVerifiedFor(tx: Transaction, chainId: Uint8Array, spent: UtxoChange[]): boolean {
  const verified = verifiedWitnesses.get(tx);
  return verified !== undefined && compareBytes(verified.chainId, chainId) === 0 && spent.every(({ utxo }, index) => compareBytes(verified.owners[index]!, utxo.owner) === 0);
}

function verifyInputWitnesses(tx: Transaction, spent: UtxoChange[], ctx: LedgerContext): void {
  const message = witnessesVerifiedFor(tx, ctx.chainId, spent) ? undefined : inputMessages(ctx.chainId, tx);
  spent.forEach(({ key, utxo }, index) => {
    const witness = tx.witnesses[index]!;
    // An expiring partial offer may be included up to and including its expiry height.
    if (witness.expiryHeight !== undefined && ctx.height > witness.expiryHeight) {
      fail('offer-expired', `input ${index} (${key}): the offer was valid through block ${witness.expiryHeight}; this block is ${ctx.height}`);
    }
    if (message) verifyWitness(utxo.owner, witness, message(index, witness), `input ${index} (${key})`);
  });
  if (message) verifiedWitnesses.set(tx, { chainId: ctx.chainId, owners: spent.map(({ utxo }) => utxo.owner) });
}

function verifyIssuerWitness(tx: Transaction, info: TxInfo, issuer: Uint8Array, ctx: LedgerContext): void {
  const owner = new Uint8Array(33);
  owner.set(issuer, 1);
  const witness = tx.witnesses[0] as Witness;
  if (witness.sighash !== SighashType.all) fail('sighash-type', 'the issuer signs with sighash ALL');
  verifyWitness(owner, witness, sighashMessage(ctx.chainId, tx, 0, SighashType.all, info.unsigned), 'issuer');
}

/**
 * The registry record an issuer-signed change (registry update, re-issuance) applies to: the asset
 * exists, the change carries the next registry sequence (so none replays), and the recorded issuer
 * key signed it.
 */
function issuerChange(view: LedgerReader, tx: Transaction & { asset: Uint8Array; sequence: bigint }, info: TxInfo, ctx: LedgerContext): AssetRecord {
  const assetKey = toHex(tx.asset);
  const record = view.getAsset(assetKey);
  if (!record) fail('unknown-asset', `asset ${assetKey} has no registry`);
  if (tx.sequence !== record.sequence + 1n) fail('registry-sequence', `registry update must carry sequence ${record.sequence + 1n}, got ${tx.sequence}`);
  try {
    verifyIssuerWitness(tx, info, record.issuer, ctx);
  } catch (error) {
    if ((error as LedgerError).code !== 'bad-signature') throw error;
    fail('bad-signature', `only the issuer of asset ${assetKey} may re-issue it or change its allowlist: the signature is not by its issuer key`);
  }
  return record;
}

/** The one asset every input and output holds (and the burn burns, if any); undefined when none or several. */
function soleAsset(spent: UtxoChange[], created: UtxoChange[], burned: bigint): string | undefined {
  const assetKey = spent[0]?.utxo.assetKey ?? created[0]?.utxo.assetKey;
  if (assetKey === undefined || (burned > 0n && assetKey !== BTC_ASSET_KEY)) return undefined;
  for (const { utxo } of spent) if (utxo.assetKey !== assetKey) return undefined;
  for (const { utxo } of created) if (utxo.assetKey !== assetKey) return undefined;
  return assetKey;
}

function overflowOf(assetKey: string): never {
  fail('overflow', `outputs of asset ${assetKey} sum above 2^63-1`);
}

function notConserved(assetKey: string, difference: bigint): never {
  fail('value-not-conserved', `asset ${assetKey}: inputs ${difference > 0n ? 'exceed' : 'fall short of'} outputs by ${difference < 0n ? -difference : difference}`);
}

/** Per asset, inputs minus outputs minus the burned amount must be zero; output sums may not overflow. */
function checkConservation(spent: UtxoChange[], created: UtxoChange[], burned: bigint): void {
  // The check runs at admission and again in every block built or checked. A transaction of one
  // asset (nearly every transfer) is summed in two variables, where the map below and its entries
  // were a tenth of the bytes a validation allocated.
  const sole = soleAsset(spent, created, burned);
  if (sole !== undefined) {
    let difference = -burned;
    let produced = 0n;
    for (const { utxo } of spent) difference += utxo.amount;
    for (const { utxo } of created) {
      produced += utxo.amount;
      if (produced > LIMITS.maxAmount) overflowOf(sole);
      difference -= utxo.amount;
    }
    if (difference !== 0n) notConserved(sole, difference);
    return;
  }
  // One map for both sums, in the order assets were first met (the order of the refusals).
  const sums = new Map<string, { balance: bigint; produced: bigint }>();
  const of = (assetKey: string) => {
    let sum = sums.get(assetKey);
    if (!sum) {
      sum = { balance: 0n, produced: 0n };
      sums.set(assetKey, sum);
    }
    return sum;
  };
  for (const { utxo } of spent) of(utxo.assetKey).balance += utxo.amount;
  for (const { utxo } of created) {
    const sum = of(utxo.assetKey);
    sum.produced += utxo.amount;
    if (sum.produced > LIMITS.maxAmount) overflowOf(utxo.assetKey);
    sum.balance -= utxo.amount;
  }
  if (burned > 0n) of(BTC_ASSET_KEY).balance -= burned;
  for (const [asset, { balance: difference }] of sums) {
    if (difference !== 0n) notConserved(asset, difference);
  }
}

/**
 * Restricted securities may only be delivered to owners on the issuer's allowlist, but for change:
 * an owner off the list may be paid back up to what it spends of the asset in the same
 * transaction, so a holder the issuer removed can still sell part of a coin, and its holding can
 * never grow.
 */
function checkAllowlists(view: LedgerReader, spent: readonly UtxoChange[], created: readonly UtxoChange[]): void {
  // Made only for a restricted asset: most transfers pay none, and this runs at admission and in
  // every block built or checked.
  let unlisted: Map<string, bigint> | undefined;
  for (const { key, utxo } of created) {
    if (utxo.assetKey === BTC_ASSET_KEY) continue;
    const record = view.getAsset(utxo.assetKey);
    if (!record?.metadata.restricted) continue;
    const owner = toHex(utxo.owner);
    if (record.allowlist.has(owner)) continue;
    const holding = `${utxo.assetKey}:${owner}`;
    unlisted ??= new Map();
    let returnable = unlisted.get(holding);
    if (returnable === undefined) {
      returnable = spent.reduce((sum, input) => (input.utxo.assetKey === utxo.assetKey && toHex(input.utxo.owner) === owner ? sum + input.utxo.amount : sum), 0n);
    }
    if (utxo.amount > returnable) {
      const spends = returnable > 0n ? `: an owner off the list gets back at most what it spends of the asset, ${returnable} more here` : '';
      fail('not-allowlisted', `output ${key} pays ${encodeAddress(ownerFromPayload(utxo.owner))}, which is not on the allowlist of ${securityName(utxo.assetKey, record.metadata)}${spends}`);
    }
    unlisted.set(holding, returnable - utxo.amount);
  }
}

function addSupply(supply: PegSupply, minted: bigint, burned: bigint): PegSupply {
  const next = { minted: supply.minted + minted, burned: supply.burned + burned };
  if (next.minted - next.burned > LIMITS.maxAmount) fail('overflow', 'pegged supply would exceed 2^63-1');
  if (next.burned > next.minted) fail('value-not-conserved', 'burned more pegged bitcoin than was minted');
  return next;
}

/**
 * Validates `tx` against `view` without changing anything and returns its effects. Throws a
 * TransactionError (stateless rules) or a LedgerError (stateful rules), each with a stable code.
 */
export function validateTransaction(view: LedgerReader, tx: Transaction, ctx: LedgerContext): TxEffects {
  checkTransaction(tx);
  const info = txInfo(tx);
  const effects = emptyEffects(info, tx, ctx.height);
  switch (tx.kind) {
    case 'transfer':
    case 'pegout': {
      effects.spent = spendInputs(view, info);
      effects.created = createOutputs(view, info, ctx.height);
      const burned = tx.kind === 'pegout' ? tx.amount : 0n;
      checkConservation(effects.spent, effects.created, burned);
      checkAllowlists(view, effects.spent, effects.created);
      verifyInputWitnesses(tx, effects.spent, ctx);
      if (tx.kind === 'pegout') {
        if (ctx.pegoutMinimumSats !== undefined && tx.amount < ctx.pegoutMinimumSats) fail('below-minimum', `a peg-out of ${tx.amount} sats is below the minimum of ${ctx.pegoutMinimumSats}`);
        const refused = ctx.refusedPegoutDestinations?.get(toHex(tx.destinationScript));
        if (refused !== undefined) fail('federation-destination', refused);
        effects.supply = addSupply(view.supply(), 0n, tx.amount);
        effects.burn = { txid: info.idHex, destinationScript: tx.destinationScript, amount: tx.amount, height: ctx.height };
      }
      return effects;
    }
    case 'pegin': {
      const outpoint = `${toHex(tx.bitcoinTxid)}:${tx.bitcoinVout}`;
      if (view.isMinted(outpoint)) fail('already-minted', `Bitcoin outpoint ${outpoint} was already minted`);
      effects.minted = [{ outpoint, bitcoinTxid: tx.bitcoinTxid, bitcoinVout: tx.bitcoinVout, amount: tx.amount }];
      effects.supply = addSupply(view.supply(), tx.amount, 0n);
      effects.created = createOutputs(view, info, ctx.height);
      return effects;
    }
    case 'issuance': {
      const assetKey = info.outputAssetKeys[0]!;
      if (view.getAsset(assetKey)) fail('asset-exists', `asset ${assetKey} was already issued`);
      verifyIssuerWitness(tx, info, tx.issuer, ctx);
      effects.created = createOutputs(view, info, ctx.height);
      effects.asset = {
        id: info.outputs[0]!.asset,
        issuer: tx.issuer,
        metadata: tx.metadata,
        height: ctx.height,
        supply: tx.supply,
        // The first holder of a restricted asset is admitted with it, or it could never move.
        allowlist: new Set(tx.metadata.restricted ? [toHex(tx.recipient)] : []),
        sequence: 0n,
      };
      return effects;
    }
    case 'registry': {
      const record = issuerChange(view, tx, info, ctx);
      const allowlist = new Set(record.allowlist);
      for (const owner of tx.owners) {
        if (tx.action === 'add') allowlist.add(toHex(owner));
        else allowlist.delete(toHex(owner));
      }
      effects.asset = { ...record, allowlist, sequence: tx.sequence };
      return effects;
    }
    case 'anchor': {
      if (tx.height >= ctx.height) fail('bad-anchor', `an anchor at height ${ctx.height} can only record an earlier height, not ${tx.height}`);
      const known = ctx.blockHash?.(tx.height);
      if (known && compareBytes(known, tx.blockHash) !== 0) {
        fail('bad-anchor', `the anchor record names block hash ${toHex(tx.blockHash)} at height ${tx.height}; the chain has ${toHex(known)} there`);
      }
      effects.anchor = { height: tx.height, blockHash: tx.blockHash, bitcoinTxid: tx.bitcoinTxid };
      return effects;
    }
    case 'settlement': {
      const bitcoinTxid = toHex(tx.bitcoinTxid);
      const payments = decodeUnsignedBitcoinTx(tx.bitcoinTx).outputs;
      let feeShare: bigint | undefined;
      effects.settled = tx.burns.map((burnTxid, index) => {
        const burn = view.getBurn(toHex(burnTxid));
        if (!burn) fail('unknown-burn', `no burn ${toHex(burnTxid)}`);
        if (burn.settlement) fail('already-settled', `burn ${burn.txid} was already settled by ${burn.settlement.bitcoinTxid}`);
        const payment = payments[index]!;
        if (compareBytes(payment.script, burn.destinationScript) !== 0) fail('bad-settlement', `output ${index} does not pay the destination of burn ${burn.txid}`);
        if (payment.value <= 0n || payment.value > burn.amount) fail('bad-settlement', `output ${index} pays ${payment.value}, burn ${burn.txid} allows 1..${burn.amount}`);
        // Every withdrawal in a batch carries the same share of the Bitcoin fee.
        feeShare ??= burn.amount - payment.value;
        if (burn.amount - payment.value !== feeShare) fail('bad-settlement', `output ${index} carries a fee share of ${burn.amount - payment.value}, the batch's is ${feeShare}`);
        return { ...burn, settlement: { bitcoinTxid, vout: index, paidSats: payment.value } };
      });
      return effects;
    }
    case 'reissuance': {
      const record = issuerChange(view, tx, info, ctx);
      if (!record.metadata.reissuable) fail('not-reissuable', `asset ${toHex(tx.asset)} was issued without re-issuance: its supply is fixed`);
      const supply = record.supply + tx.amount;
      if (supply > LIMITS.maxAmount) fail('overflow', `the supply of asset ${toHex(tx.asset)} would exceed 2^63-1`);
      effects.created = createOutputs(view, info, ctx.height);
      checkAllowlists(view, [], effects.created);
      effects.asset = { ...record, supply, sequence: tx.sequence };
      return effects;
    }
    case 'dividend': {
      const assetKey = toHex(tx.asset);
      const record = view.getAsset(assetKey);
      if (!record) fail('unknown-asset', `asset ${assetKey} has no registry: dividends are paid on issued securities`);
      effects.spent = spendInputs(view, info);
      effects.created = createOutputs(view, info, ctx.height);
      checkDividend(view, tx, record, effects.spent, ctx.height);
      checkConservation(effects.spent, effects.created, 0n);
      verifyInputWitnesses(tx, effects.spent, ctx);
      return effects;
    }
  }
}
