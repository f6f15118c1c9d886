import * as bitcoin from 'bitcoinjs-lib';
import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import type { PegoutBody, Transaction } from '../../sidechain/transaction/types.ts';
import type { Faucet } from '../../regtest/faucet.ts';
import type { SortedMultisig } from '../../watcher/escrow.ts';
import { depositMultisig } from '../../watcher/pegin-tweak.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import { coinPaying, unsignedBytes, type BitcoinCoin } from './bitcoin-spends.ts';
import type { TestWallet } from './transactions.ts';

/**
 * Records of the peg as members write them, for histories signed in memory whose Bitcoin side is
 * real: a deposit to the escrow, its mint, a burn, and the settlement that pays it.
 */

/** The faucet's payment of `sats` to `owner`'s deposit address of the escrow (unconfirmed). */
export async function escrowDeposit(rpc: BitcoinRpc, faucet: Faucet, escrow: SortedMultisig, owner: Uint8Array, sats: bigint): Promise<BitcoinCoin> {
  const script = depositMultisig(escrow, owner).scriptPubKey;
  return coinPaying(rpc, await faucet.fund(bitcoin.address.fromOutputScript(script, bitcoin.networks.regtest), sats), script);
}

/** The mint of `amount` (the deposit less the genesis's peg-in fee) to `recipient`. */
export function mintRecord(deposit: BitcoinCoin, recipient: Uint8Array, amount: bigint): Transaction {
  return { kind: 'pegin', bitcoinTxid: new Uint8Array(Buffer.from(deposit.txid, 'hex')), bitcoinVout: deposit.vout, amount, recipient, witnesses: [] };
}

/** A burn of 200,000 sats of `owner`'s minted coin (output 0 of `mint`) to `destinationScript`, `change` (if any) back to the owner. */
export function burnRecord(chainId: Uint8Array, owner: TestWallet, mint: Transaction, change: bigint, destinationScript: Uint8Array): Transaction {
  const body: PegoutBody = {
    kind: 'pegout',
    inputs: [{ txid: txId(mint), index: 0 }],
    outputs: change > 0n ? [{ owner: owner.owner, asset: BTC_ASSET_ID, amount: change }] : [],
    destinationScript,
    amount: 200_000n,
  };
  return { ...body, witnesses: [keyWitness(chainId, body, owner.keys.seed)] };
}

/** The settlement record of `burns` whose Bitcoin transaction is `payout`, held without its witnesses. */
export function settlementRecord(burns: readonly Transaction[], payout: bitcoin.Transaction): Transaction {
  return { kind: 'settlement', burns: burns.map((burn) => txId(burn)), bitcoinTxid: new Uint8Array(Buffer.from(payout.getId(), 'hex')), bitcoinTx: unsignedBytes(payout), witnesses: [] };
}
