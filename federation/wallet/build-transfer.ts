import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import { encodeTransaction } from '../../sidechain/transaction/codec.ts';
import { inputsOf } from '../../sidechain/transaction/ids.ts';
import { LIMITS, type Outpoint, type Output, type PegoutBody, type Transaction, type TransferBody, type Witness } from '../../sidechain/transaction/types.ts';
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

/** Bytes each input of the wallet adds to a transaction: its outpoint (txid, index) and its key witness signing ALL (sighash, type, signature). */
const WALLET_INPUT_BYTES = 32 + 4 + 1 + 1 + 64;

/**
 * How many inputs of the wallet fit in `template`, the transaction without them (its other inputs
 * with their witnesses, and every output it may have, change included): the chain refuses a
 * transaction of more than LIMITS.maxInputs inputs or LIMITS.maxTxBytes bytes (checkTransaction).
 * The input and witness counts are varints, each a byte longer past 127 (LIMITS.maxInputs < 2^14).
 */
export function inputRoom(template: Transaction): number {
  const bytes = encodeTransaction(template).length + 2;
  return Math.max(0, Math.min(LIMITS.maxInputs - inputsOf(template).length, Math.floor((LIMITS.maxTxBytes - bytes) / WALLET_INPUT_BYTES)));
}

/** Room beside a payment and its change, the shape of most transactions a wallet makes. */
const PAYMENT_ROOM = (() => {
  const output: Output = { owner: new Uint8Array(33), asset: BTC_ASSET_ID, amount: 1n };
  return inputRoom({ kind: 'transfer', inputs: [], outputs: [output, output], witnesses: [] });
})();

const sumOf = (coins: readonly SpendableOutput[]) => coins.reduce((total, coin) => total + coin.amount, 0n);

/** Largest first; stable, so of equal amounts the older comes first. */
const largestFirst = (coins: readonly SpendableOutput[]) => [...coins].sort((a, b) => (a.amount === b.amount ? 0 : a.amount > b.amount ? -1 : 1));

/**
 * At most `room` of `coins` (the wallet's, oldest first) that hold `amount`, in the wallet's order,
 * or undefined when no `room` of them do. Oldest first, the order USER.md states, where that fits:
 * small coins received long ago are spent in turn rather than left behind larger new ones, which
 * is how a wallet comes to hold more coins than a transaction can spend. Where it does not fit,
 * the fewest of the largest coins are taken first that let oldest first pay the rest within
 * `room`: a wallet of many small coins still pays whenever some `room` of them hold the amount.
 */
function coinsThatPay(coins: readonly SpendableOutput[], amount: bigint, room: number): SpendableOutput[] | undefined {
  const largest = largestFirst(coins);
  if (sumOf(largest.slice(0, room)) < amount) return undefined;
  const taken = new Set<SpendableOutput>();
  let takenTotal = 0n;
  // Ends by `big` = the fewest largest coins that hold `amount` on their own, which are at most `room`.
  for (let big = 0; ; big++) {
    if (big > 0) {
      taken.add(largest[big - 1]!);
      takenTotal += largest[big - 1]!.amount;
    }
    const chosen = new Set(taken);
    let total = takenTotal;
    for (const coin of coins) {
      if (total >= amount || chosen.size > room) break;
      if (chosen.has(coin)) continue;
      chosen.add(coin);
      total += coin.amount;
    }
    if (total >= amount && chosen.size <= room) return coins.filter((coin) => chosen.has(coin));
  }
}

/**
 * The refusal when the wallet holds `amount` of an asset only in more coins than a transaction
 * spends (`room`): merging its largest into one, by a payment to itself, is what lets it pay.
 */
function tooManyCoins(assetHex: string, coins: readonly SpendableOutput[], amount: bigint, room: number, security: SecurityWording | undefined): ValidationError {
  const best = sumOf(largestFirst(coins).slice(0, room));
  const { name, units } = assetHex === BTC_ASSET_HEX ? { name: 'pegged BTC', units: (sats: bigint) => `${plural(sats, 'sat')} (${satsToBtc(sats)} BTC)` } : (security ?? securityById(assetHex));
  const assetFlag = assetHex === BTC_ASSET_HEX ? '' : ` --asset ${assetHex}`;
  return new ValidationError(
    'too-many-coins',
    `the wallet's ${coins.length} coins of ${name} hold ${units(sumOf(coins))}, but one transaction spends at most ${room} of them, and its ${room} largest hold ${units(best)}, not ${units(amount)}: merge coins first by sending ${best} to the wallet's own address (\`strongbox send --to <the wallet's sbx1… address>${assetFlag} --amount ${best} --file <wallet>\`), then pay again`,
  );
}

/**
 * The wallet's coins of `asset` that pay `amount`, at most `room` of them (by default, as many as
 * fit beside a payment and its change), oldest first where that fits (coinsThatPay); and the
 * change. Refuses naming what the wallet holds when its coins fall short, or when no `room` of
 * them hold the amount. `security` words a security in the refusals, else it is named by its id.
 */
export function selectCoins(utxos: readonly SpendableOutput[], asset: Uint8Array, amount: bigint, options: { room?: number; security?: SecurityWording } = {}): { inputs: Outpoint[]; change: bigint } {
  if (amount <= 0n) throw new ValidationError('bad-amount', `amount must be positive, got ${amount}`);
  const assetHex = Buffer.from(asset).toString('hex');
  const coins = utxos.filter((utxo) => utxo.asset === assetHex);
  const held = sumOf(coins);
  if (held < amount) throw shortfall(assetHex, held, amount, options.security);
  const room = options.room ?? PAYMENT_ROOM;
  const chosen = coinsThatPay(coins, amount, room);
  if (!chosen) throw tooManyCoins(assetHex, coins, amount, room, options.security);
  return { inputs: chosen.map((coin) => ({ txid: new Uint8Array(Buffer.from(coin.txid, 'hex')), index: coin.vout })), change: sumOf(chosen) - amount };
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
 * Pays `amount` of `asset` to `recipient` from the wallet's outputs of that asset (selectCoins, as
 * many as fit beside the payment and its change), with change back to the wallet. Exact: inputs =
 * payment + change, to the base unit.
 */
export function buildTransfer(chainId: Uint8Array, wallet: Wallet, utxos: readonly SpendableOutput[], asset: Uint8Array, recipient: Uint8Array, amount: bigint, security?: SecurityWording): Transaction & TransferBody {
  const payment: Output = { owner: recipient, asset, amount };
  const changeTo = (change: bigint): Output[] => (change > 0n ? [{ owner: wallet.owner, asset, amount: change }] : []);
  const room = inputRoom({ kind: 'transfer', inputs: [], outputs: [payment, ...changeTo(1n)], witnesses: [] });
  const { inputs, change } = selectCoins(utxos, asset, amount, { room, security });
  return signAll(chainId, wallet, { kind: 'transfer', inputs, outputs: [payment, ...changeTo(change)] });
}

/** Burns `amount` pegged sats for payment to a Bitcoin output script, with change back to the wallet. */
export function buildPegout(chainId: Uint8Array, wallet: Wallet, utxos: readonly SpendableOutput[], destinationScript: Uint8Array, amount: bigint): Transaction {
  const changeTo = (change: bigint): Output[] => (change > 0n ? [{ owner: wallet.owner, asset: BTC_ASSET_ID, amount: change }] : []);
  const room = inputRoom({ kind: 'pegout', inputs: [], outputs: changeTo(1n), destinationScript, amount, witnesses: [] });
  const { inputs, change } = selectCoins(utxos, BTC_ASSET_ID, amount, { room });
  return signAll(chainId, wallet, { kind: 'pegout', inputs, outputs: changeTo(change), destinationScript, amount });
}
