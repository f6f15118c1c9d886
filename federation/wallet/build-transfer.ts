import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import type { Outpoint, Output, PegoutBody, Transaction, TransferBody, Witness } from '../../sidechain/transaction/types.ts';
import type { Wallet } from './wallet-file.ts';
import { satsToBtc } from '../../watcher/btc-amount.ts';
import { plural } from '../words.ts';

const BTC_ASSET_HEX = Buffer.from(BTC_ASSET_ID).toString('hex');

export interface SpendableOutput {
  txid: string;
  vout: number;
  asset: string;
  amount: bigint;
}

/** The wallet's outputs of `asset`, oldest first, until they cover `amount`; and the change. */
export function selectCoins(utxos: readonly SpendableOutput[], asset: Uint8Array, amount: bigint): { inputs: Outpoint[]; change: bigint } {
  if (amount <= 0n) throw new ValidationError('bad-amount', `amount must be positive, got ${amount}`);
  const assetHex = Buffer.from(asset).toString('hex');
  const inputs: Outpoint[] = [];
  let total = 0n;
  for (const utxo of utxos) {
    if (utxo.asset !== assetHex) continue;
    inputs.push({ txid: new Uint8Array(Buffer.from(utxo.txid, 'hex')), index: utxo.vout });
    total += utxo.amount;
    if (total >= amount) break;
  }
  if (total < amount) throw shortfall(assetHex, total, amount);
  return { inputs, change: total - amount };
}

/**
 * How a refusal writes a security: the name people know it by and an amount of it (its name and
 * decimals are in the registry, which is the caller's to read). Without them, its id and base units.
 */
export interface SecurityWording {
  name: string;
  units: (amount: bigint) => string;
}

export const securityById = (assetHex: string): SecurityWording => ({ name: `asset ${assetHex}`, units: String });

/**
 * The refusal when all the wallet holds of an asset (`held`) is less than `amount`. Pegged BTC is
 * written in sats and BTC, with the way to bring more in: BTC reaches a wallet only by a peg-in.
 */
export function shortfall(assetHex: string, held: bigint, amount: bigint, security: SecurityWording = securityById(assetHex)): ValidationError {
  if (assetHex === BTC_ASSET_HEX) {
    return new ValidationError(
      'insufficient-funds',
      `the wallet holds ${plural(held, 'sat')} of pegged BTC (${satsToBtc(held)} BTC), not ${plural(amount, 'sat')} (${satsToBtc(amount)} BTC): bring BTC in by a peg-in (\`strongbox pegin-address <the wallet's sbx1… address>\` names the Bitcoin address to pay)`,
    );
  }
  return new ValidationError('insufficient-funds', `the wallet holds ${security.units(held)} of ${security.name}, not ${security.units(amount)}`);
}

function signAll<Body extends TransferBody | PegoutBody>(chainId: Uint8Array, wallet: Wallet, body: Body): Body & { witnesses: Witness[] } {
  return { ...body, witnesses: body.inputs.map((_, inputIndex) => keyWitness(chainId, body, wallet.keys.seed, { inputIndex })) };
}

/**
 * Pays `amount` of `asset` to `recipient` from the wallet's outputs of that asset, oldest first,
 * with change back to the wallet. Exact: inputs = payment + change, to the base unit.
 */
export function buildTransfer(chainId: Uint8Array, wallet: Wallet, utxos: readonly SpendableOutput[], asset: Uint8Array, recipient: Uint8Array, amount: bigint): Transaction & TransferBody {
  const { inputs, change } = selectCoins(utxos, asset, amount);
  const outputs: Output[] = [{ owner: recipient, asset, amount }];
  if (change > 0n) outputs.push({ owner: wallet.owner, asset, amount: change });
  return signAll(chainId, wallet, { kind: 'transfer', inputs, outputs });
}

/** Burns `amount` pegged sats for payment to a Bitcoin output script, with change back to the wallet. */
export function buildPegout(chainId: Uint8Array, wallet: Wallet, utxos: readonly SpendableOutput[], destinationScript: Uint8Array, amount: bigint): Transaction {
  const { inputs, change } = selectCoins(utxos, BTC_ASSET_ID, amount);
  const outputs: Output[] = change > 0n ? [{ owner: wallet.owner, asset: BTC_ASSET_ID, amount: change }] : [];
  return signAll(chainId, wallet, { kind: 'pegout', inputs, outputs, destinationScript, amount });
}
