import { setTimeout as pause } from 'node:timers/promises';
import type { Transaction as BitcoinTransaction } from 'bitcoinjs-lib';
import { ValidationError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import { toHex } from '../../sidechain/transaction/ids.ts';
import { sortedMultisig, type SortedMultisig } from '../../watcher/escrow.ts';
import { depositMultisig } from '../../watcher/pegin-tweak.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import { nodeFollows } from '../../watcher/networks.ts';
import { verifyMintOnBitcoin } from '../member/pegin.ts';
import { AuditFailure, type AnchorClaim, type AuditCheck, type ClaimedAt, type MintClaim, type SettlementClaim } from './auditor.ts';
import { assessReserves, checkAnchorTransaction, checkEscrowOutflow, checkSettlementTransaction, type Liabilities, type ReserveOutput, type Reserves } from './bitcoin-rules.ts';

/** Requests to the node in flight at once when many outputs or transactions are looked up: enough to hide its latency, few enough not to flood it. */
const LOOKUPS_IN_FLIGHT = 16;

/** `lookUp` of every item, at most LOOKUPS_IN_FLIGHT at a time, answers in the items' order; the first failure stops it. */
async function lookUpAll<T, R>(items: readonly T[], lookUp: (item: T) => Promise<R>): Promise<R[]> {
  const answers: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const lookUpInTurn = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        answers[index] = await lookUp(items[index]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOOKUPS_IN_FLIGHT, items.length) }, lookUpInTurn));
  return answers;
}

/**
 * Members sign and broadcast an anchor's or a settlement's Bitcoin transaction only once its
 * record is final, a moment after the block holding it: a record whose transaction the node does
 * not know yet is given until this long after its block's time (by the auditor's clock, and never
 * more than this long from the moment it is found unknown) before it fails, unless the auditor
 * gives another time (`audit --broadcast-grace`). An older record has had its time and fails at
 * once; the verdict on the record is the same either way.
 */
export const DEFAULT_BROADCAST_GRACE_MS = 10_000;
/** How often the node is asked again for a transaction within its grace. */
const BROADCAST_POLL_MS = 500;

/** The auditor's node's last block: how far its view of Bitcoin reaches. */
export interface BitcoinTip {
  height: number;
  hash: string;
  /** The time its miner wrote into it (Bitcoin allows about two hours of drift). */
  timeMs: bigint;
}

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
  return lookUpAll(entries, async ([outpoint, script]) => {
    const [txid, vout] = outpoint.split(':');
    const out = await rpc.getTxOut(txid!, Number(vout), options.includeMempool);
    const unspentSats = out && out.scriptPubKeyHex === Buffer.from(script).toString('hex') ? out.valueSats : null;
    return { outpoint, unspentSats };
  });
}

/**
 * The Bitcoin edge of the audit: asks the auditor's own node about every claim the chain makes
 * and judges the answers with the shared rules. It remembers the escrow outputs the chain says
 * exist (minted deposits, settlement change) for the proof of reserves at the end.
 */
export class BitcoinChecks {
  private readonly escrow: SortedMultisig;
  /** Outpoint → the script the output must pay while it is in reserve, as the chain records it. */
  private readonly reserve = new Map<string, Uint8Array>();
  /** Settlements not yet in a Bitcoin block when checked: what they took out of the reserve and put back as change. */
  private readonly inMempool: { txid: string; spent: Map<string, Uint8Array>; change: string[] }[] = [];
  readonly anchors: AnchorSeen[] = [];
  mints = 0;
  mintedSats = 0n;
  settlements = 0;
  /** Settlements whose payment is still in the node's mempool: paid once it confirms, not before. */
  unconfirmedSettlements = 0;
  settledBurns = 0;
  /** Records in the newest blocks whose transaction reached the node only while the audit waited for it. */
  awaitedBroadcasts = 0;

  constructor(
    private readonly rpc: BitcoinRpc,
    private readonly genesis: Genesis,
    private readonly broadcastGraceMs = DEFAULT_BROADCAST_GRACE_MS,
  ) {
    this.escrow = sortedMultisig(genesis.members.threshold, genesis.pegKeys);
  }

  get nodeUrl(): string {
    return this.rpc.displayUrl;
  }

  /**
   * The node follows the Bitcoin network the genesis names, and has caught up with it: one still
   * downloading blocks lacks recent deposits, anchors and payments, and shows escrow coins spent
   * since as unspent. Either would mislead.
   */
  async checkNode(): Promise<void> {
    const { chain, blocks, headers, initialBlockDownload } = await this.rpc.getBlockchainInfo();
    const expected = this.genesis.file.bitcoinNetwork;
    if (!nodeFollows(chain, expected)) throw new AuditFailure('bitcoin', undefined, `the Bitcoin node at ${this.rpc.displayUrl} follows ${chain}, the genesis names ${expected}`);
    const syncing = await this.syncingState(blocks, headers, initialBlockDownload);
    if (syncing === undefined) return;
    // Not a verdict on the chain: the audit can only be run once the node has caught up.
    throw new ValidationError(
      'bitcoin-syncing',
      `the Bitcoin node at ${this.rpc.displayUrl} ${syncing}: a node still syncing lacks recent deposits, anchors and payments and counts escrow coins spent since as unspent; audit once it has caught up`,
    );
  }

  /**
   * How the node shows it is behind, if it does. bitcoind says so itself (headers past its blocks,
   * or initial block download), and its word is taken. bcoin says neither and knows no header
   * past its blocks: only the heights its peers said they had show it behind. That is a peer's
   * word, so it is asked only of a node that does not say: a peer claiming a height it does not
   * have could make the audit refuse (never pass), and bitcoind takes anyone's connection.
   */
  private async syncingState(blocks: number, headers: number, initialBlockDownload: boolean | undefined): Promise<string | undefined> {
    if (headers > blocks) return `has blocks up to ${blocks} of the ${headers} headers it knows`;
    if (initialBlockDownload) return `says it is in its initial block download, as bitcoind does while its last block (${blocks}) is more than a day old`;
    if (initialBlockDownload === false) return undefined;
    const peerHeight = Math.max(-1, ...(await this.rpc.getPeerStartingHeights()));
    if (peerHeight > blocks) return `has blocks up to ${blocks}, and a peer it is connected to had ${peerHeight} when it connected`;
    return undefined;
  }

  /** The node's last block, as it stands now. */
  async tip(): Promise<BitcoinTip> {
    const { blocks, bestBlockHash } = await this.rpc.getBlockchainInfo();
    return { height: blocks, hash: bestBlockHash, timeMs: await this.rpc.getBlockTimeMs(bestBlockHash) };
  }

  async checkMint(claim: MintClaim): Promise<void> {
    const { mint } = claim;
    try {
      await verifyMintOnBitcoin(this.rpc, this.genesis, this.escrow, mint);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const missing = error.code === 'pegin-unconfirmed' || (error.code === 'pegin-unknown' && (await this.rpc.getTransactionConfirmations(toHex(mint.bitcoinTxid))) === null);
      throw missing ? await this.unseen('mint', claim, error.message) : new AuditFailure('mint', claim.height, error.message);
    }
    const outpoint = `${toHex(mint.bitcoinTxid)}:${mint.bitcoinVout}`;
    this.reserve.set(outpoint, depositMultisig(this.escrow, mint.recipient).scriptPubKey);
    this.mints += 1;
    this.mintedSats += mint.amount;
  }

  async checkAnchor(claim: AnchorClaim): Promise<void> {
    const { tx, confirmations } = await this.transaction('anchor', claim, claim.bitcoinTxid);
    await judged('anchor', claim.height, () => checkAnchorTransaction(tx, { chainId: this.genesis.chainId, height: claim.anchoredHeight, blockHash: claim.blockHash }));
    this.anchors.push({ anchoredHeight: claim.anchoredHeight, bitcoinTxid: claim.bitcoinTxid, confirmations });
  }

  async checkSettlement(claim: SettlementClaim): Promise<void> {
    const { tx, confirmations } = await this.transaction('settlement', claim, claim.bitcoinTxid);
    const change = await judged('settlement', claim.height, () => checkSettlementTransaction(tx, claim.burns, this.escrow.scriptPubKey));
    // What it spends leaves the reserve as the chain records it; whatever did not come back as
    // change or pay a burn then shows as a shortfall, not as a coin missing.
    const spent = new Map<string, Uint8Array>();
    const escrowInputs: { parent: string; vout: number }[] = [];
    for (const input of tx.ins) {
      const parent = Buffer.from(input.hash).reverse().toString('hex');
      const outpoint = `${parent}:${input.index}`;
      const script = this.reserve.get(outpoint);
      if (!script) continue;
      spent.set(outpoint, script);
      this.reserve.delete(outpoint);
      escrowInputs.push({ parent, vout: input.index });
    }
    // An input names its coin, not its value: that is read from the transaction that made the coin, once however many of its coins are spent.
    const parentIds = [...new Set(escrowInputs.map(({ parent }) => parent))];
    const parents = new Map((await lookUpAll(parentIds, (txid) => this.rpc.getRawTransaction(txid))).map((parentTx, index) => [parentIds[index]!, parentTx]));
    const escrowSpentSats = escrowInputs.reduce((sum, { parent, vout }) => sum + parents.get(parent)!.outs[vout]!.value, 0n);
    await judged('settlement', claim.height, () => checkEscrowOutflow(claim.bitcoinTxid, escrowSpentSats, change.reduce((sum, { value }) => sum + value, 0n), claim.burns));
    const changeOutpoints = change.map(({ vout }) => `${claim.bitcoinTxid}:${vout}`);
    for (const outpoint of changeOutpoints) this.reserve.set(outpoint, this.escrow.scriptPubKey);
    if (confirmations === 0) this.inMempool.push({ txid: claim.bitcoinTxid, spent, change: changeOutpoints });
    this.settlements += 1;
    this.settledBurns += claim.burns.length;
  }

  /**
   * The escrow outputs to look up in the confirmed UTXO set: the chain's reserve, except that a
   * settlement still in the mempool is judged as Bitcoin's blocks stand, by the coins it spends
   * (unspent there) rather than its change (not in a block yet). Their confirmations are read
   * again: one confirmed since it was checked stands as the chain records it.
   */
  private async confirmedReserve(): Promise<Map<string, Uint8Array>> {
    const waiting = [];
    for (const settlement of this.inMempool) if (((await this.rpc.getTransactionConfirmations(settlement.txid)) ?? 0) === 0) waiting.push(settlement);
    this.unconfirmedSettlements = waiting.length;
    const unconfirmedChange = new Set(waiting.flatMap((settlement) => settlement.change));
    const reserve = new Map(this.reserve);
    for (const settlement of waiting) {
      for (const outpoint of settlement.change) reserve.delete(outpoint);
      // A coin that is itself the change of a settlement still waiting is in no block either.
      for (const [outpoint, script] of settlement.spent) if (!unconfirmedChange.has(outpoint)) reserve.set(outpoint, script);
    }
    return reserve;
  }

  /**
   * Looks up every escrow output in the node's confirmed UTXO set (gettxout without the mempool:
   * bcoin would still report an output a mempool transaction spends, bitcoind would not) and
   * compares the total with what the escrow owes.
   */
  async checkReserves(liabilities: Liabilities, height: number): Promise<Reserves> {
    const outputs = await lookUpReserves(this.rpc, [...(await this.confirmedReserve())], { includeMempool: false });
    const { reserves, shortfall } = assessReserves(outputs, liabilities);
    if (shortfall !== null) throw new AuditFailure('reserves', undefined, `${shortfall} (the chain as of height ${height}, the last block served)`);
    return reserves;
  }

  private async transaction(check: AuditCheck, claim: ClaimedAt, txid: string): Promise<{ tx: BitcoinTransaction; confirmations: number }> {
    const confirmations = await this.confirmationsWithinGrace(claim, txid);
    if (confirmations === null) throw await this.unseen(check, claim, `Bitcoin transaction ${txid} is unknown to the Bitcoin node`);
    return { tx: await this.rpc.getRawTransaction(txid), confirmations };
  }

  /** The transaction's confirmations, asked again until the record's grace ends while the node does not know it (null then). */
  private async confirmationsWithinGrace(claim: ClaimedAt, txid: string): Promise<number | null> {
    let confirmations = await this.rpc.getTransactionConfirmations(txid);
    // A block dated after the auditor's clock starts its grace now: a federation clock ahead cannot stretch the wait.
    const graceEndsMs = Math.min(Number(claim.timeMs), Date.now()) + this.broadcastGraceMs;
    let waited = false;
    while (confirmations === null && Date.now() < graceEndsMs) {
      await pause(Math.min(BROADCAST_POLL_MS, graceEndsMs - Date.now()));
      waited = true;
      confirmations = await this.rpc.getTransactionConfirmations(txid);
    }
    if (waited && confirmations !== null) this.awaitedBroadcasts += 1;
    return confirmations;
  }

  /**
   * A claim the node cannot confirm (a transaction it does not know, a deposit not deep enough) is
   * not verified, so it fails the audit. Whether a node behind could explain it is told by its last
   * block against the block holding the claim: a node that restarted, or started after a
   * transaction was relayed, lacks it until a block brings it, and one still catching up lacks
   * everything after its tip. A node with a block from after the claim is not behind it.
   */
  private async unseen(check: AuditCheck, claim: ClaimedAt, detail: string): Promise<AuditFailure> {
    const tip = await this.tip();
    const iso = (ms: bigint) => new Date(Number(ms)).toISOString();
    const behind = tip.timeMs < claim.timeMs;
    const when = `the Bitcoin node's last block, ${tip.height}, is dated ${iso(tip.timeMs)}, ${behind ? 'before' : 'after'} block ${claim.height} of the chain (${iso(claim.timeMs)})`;
    return new AuditFailure(
      check,
      claim.height,
      behind
        ? `${detail}; ${when}: a node behind Bitcoin, or one that missed the transaction while it was unconfirmed, cannot show it yet; audit again once the node has a later block`
        : `${detail}; ${when}: the node is not behind the record, so Bitcoin as it has it does not bear the record out`,
    );
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
