import type { Transaction as BitcoinTransaction } from 'bitcoinjs-lib';
import { ValidationError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import { sortedMultisig, type SortedMultisig } from '../../watcher/escrow.ts';
import { depositMultisig } from '../../watcher/pegin-tweak.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import { nodeFollows } from '../../watcher/networks.ts';
import { verifyMintOnBitcoin } from '../member/pegin.ts';
import { AuditFailure, type AnchorClaim, type AuditCheck, type MintClaim, type SettlementClaim } from './auditor.ts';
import { checkAnchorTransaction, checkReserves, checkSettlementTransaction, type ReserveOutput, type Reserves } from './bitcoin-rules.ts';

/** getblockchaininfo's `chain` for each network a genesis may name (bitcoind says test or testnet4 for testnets). */
const RESERVE_LOOKUPS_IN_FLIGHT = 16;

export interface AnchorSeen {
  anchoredHeight: number;
  bitcoinTxid: string;
  /** 0 while in the mempool. */
  confirmations: number;
}

/**
 * What the node says of each escrow output (outpoint → the script it must pay): its value while
 * unspent, or null. An output paying anything but the script it should is no reserve.
 */
export async function lookUpReserves(rpc: BitcoinRpc, entries: readonly (readonly [string, Uint8Array])[], options: { includeMempool: boolean }): Promise<ReserveOutput[]> {
  const outputs: ReserveOutput[] = [];
  for (let start = 0; start < entries.length; start += RESERVE_LOOKUPS_IN_FLIGHT) {
    const batch = entries.slice(start, start + RESERVE_LOOKUPS_IN_FLIGHT);
    outputs.push(
      ...(await Promise.all(
        batch.map(async ([outpoint, script]) => {
          const [txid, vout] = outpoint.split(':');
          const out = await rpc.getTxOut(txid!, Number(vout), options.includeMempool);
          const unspentSats = out && out.scriptPubKeyHex === Buffer.from(script).toString('hex') ? out.valueSats : null;
          return { outpoint, unspentSats };
        }),
      )),
    );
  }
  return outputs;
}

/**
 * The Bitcoin edge of the audit: asks the auditor's own node about every claim the chain makes
 * and judges the answers with the shared rules. It remembers the escrow outputs the chain says
 * exist (minted deposits, settlement change) for the proof of reserves at the end.
 */
export class BitcoinChecks {
  private readonly escrow: SortedMultisig;
  /** Outpoint → the script the output must pay while it is in reserve. */
  private readonly reserve = new Map<string, Uint8Array>();
  readonly anchors: AnchorSeen[] = [];
  mints = 0;
  mintedSats = 0n;
  settlements = 0;
  /** Settlements whose payment is still in the node's mempool: paid once it confirms, not before. */
  unconfirmedSettlements = 0;
  settledBurns = 0;

  constructor(
    private readonly rpc: BitcoinRpc,
    private readonly genesis: Genesis,
  ) {
    this.escrow = sortedMultisig(genesis.members.threshold, genesis.pegKeys);
  }

  get nodeUrl(): string {
    return this.rpc.displayUrl;
  }

  /** The node follows the Bitcoin network the genesis names; any other answer would mislead. */
  async checkNetwork(): Promise<void> {
    const { chain } = await this.rpc.getBlockchainInfo();
    const expected = this.genesis.file.bitcoinNetwork;
    if (!nodeFollows(chain, expected)) throw new AuditFailure('bitcoin', undefined, `the Bitcoin node at ${this.rpc.displayUrl} follows ${chain}, the genesis names ${expected}`);
  }

  async checkMint({ height, mint }: MintClaim): Promise<void> {
    await judged('mint', height, () => verifyMintOnBitcoin(this.rpc, this.genesis, this.escrow, mint));
    const outpoint = `${Buffer.from(mint.bitcoinTxid).toString('hex')}:${mint.bitcoinVout}`;
    this.reserve.set(outpoint, depositMultisig(this.escrow, mint.recipient).scriptPubKey);
    this.mints += 1;
    this.mintedSats += mint.amount;
  }

  async checkAnchor(claim: AnchorClaim): Promise<void> {
    const { tx, confirmations } = await this.transaction('anchor', claim.height, claim.bitcoinTxid);
    await judged('anchor', claim.height, () => checkAnchorTransaction(tx, { chainId: this.genesis.chainId, height: claim.anchoredHeight, blockHash: claim.blockHash }));
    this.anchors.push({ anchoredHeight: claim.anchoredHeight, bitcoinTxid: claim.bitcoinTxid, confirmations });
  }

  async checkSettlement(claim: SettlementClaim): Promise<void> {
    const { tx, confirmations } = await this.transaction('settlement', claim.height, claim.bitcoinTxid);
    const change = await judged('settlement', claim.height, () => checkSettlementTransaction(tx, claim.burns, this.escrow.scriptPubKey));
    // What it spends leaves the reserve as the chain records it; whatever did not come back as
    // change or pay a burn then shows as a shortfall, not as a coin missing.
    for (const input of tx.ins) this.reserve.delete(`${Buffer.from(input.hash).reverse().toString('hex')}:${input.index}`);
    for (const { vout } of change) this.reserve.set(`${claim.bitcoinTxid}:${vout}`, this.escrow.scriptPubKey);
    this.settlements += 1;
    if (confirmations === 0) this.unconfirmedSettlements += 1;
    this.settledBurns += claim.burns.length;
  }

  /**
   * Looks up every escrow output in the node's confirmed UTXO set (gettxout without the mempool:
   * bcoin would still report an output a mempool transaction spends, bitcoind would not) and
   * compares the total with the pegged supply outstanding.
   */
  async checkReserves(outstandingSats: bigint, height: number): Promise<Reserves> {
    const outputs = await lookUpReserves(this.rpc, [...this.reserve], { includeMempool: false });
    try {
      return checkReserves(outputs, outstandingSats);
    } catch (error) {
      if (error instanceof ValidationError) throw new AuditFailure('reserves', undefined, `${error.message} (the chain as of height ${height}, the last block served)`);
      throw error;
    }
  }

  private async transaction(check: AuditCheck, height: number, txid: string): Promise<{ tx: BitcoinTransaction; confirmations: number }> {
    const confirmations = await this.rpc.getTransactionConfirmations(txid);
    if (confirmations === null) throw new AuditFailure(check, height, `Bitcoin transaction ${txid} is unknown to the Bitcoin node`);
    return { tx: await this.rpc.getRawTransaction(txid), confirmations };
  }
}

/** Runs a rule and turns its refusal into an AuditFailure at `height`; node failures pass through. */
async function judged<T>(check: AuditCheck, height: number | undefined, rule: () => T | Promise<T>): Promise<T> {
  try {
    return await rule();
  } catch (error) {
    if (error instanceof ValidationError) throw new AuditFailure(check, height, error.message);
    throw error;
  }
}
