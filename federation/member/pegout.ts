import type { Network } from 'bitcoinjs-lib';
import type { Logger } from 'pino';
import { transactionRoot } from '../../sidechain/block.ts';
import { decodeHeader } from '../../sidechain/block-header.ts';
import { decodeCommit, verifyCommit } from '../../sidechain/commit.ts';
import { sameBytes } from '../../sidechain/bytes.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import type { BurnRecord, LedgerReader } from '../../sidechain/ledger/index.ts';
import { decodeUnsignedBitcoinTx, type RecordedBitcoinTx } from '../../sidechain/bitcoin-tx.ts';
import { decodeTransaction } from '../../sidechain/transaction/codec.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { TxKind, type Transaction } from '../../sidechain/transaction/types.ts';
import type { ChainStore } from '../../sidechain/store/chain-store.ts';
import type { Block } from '../../sidechain/block.ts';
import type { SortedMultisig } from '../../watcher/escrow.ts';
import { WALLET_DUST_SATS } from '../../watcher/cpfp.ts';
import { multisigTxVsize, type FederationCoin } from '../../watcher/federation-psbt.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import { EscrowCoins, type EscrowCoin } from './escrow-coins.ts';
import { FeeBumper, opsWalletInput, PEGOUT_BUMP_INPUTS, PEGOUT_BUMP_WALLET_INPUT, type FeeBumpOptions, type OpsWalletCoins } from './fee-bump.ts';
import { currentFeeRate, MAX_FEE_RATE_MULTIPLE, type FeeRateOfBlock } from './fee-rate.ts';
import { planPayableBatch } from './pegout-batch.ts';
import type { FederationSigner } from './federation-signer.ts';

export class PegoutError extends ValidationError {}

export interface PegoutOptions {
  /** How long a final burn waits for others to join its batch. */
  batchWindowMs: number;
  maxBatch: number;
  /** A proposed fee rate above this multiple of this member's own estimate is refused. */
  maxFeeRateMultiple: bigint;
}

export const DEFAULT_PEGOUT_OPTIONS: PegoutOptions = { batchWindowMs: 2_000, maxBatch: 250, maxFeeRateMultiple: MAX_FEE_RATE_MULTIPLE };
const CIRCUIT_BREAKER_WINDOW_MS = 3_600_000n;

interface OpenSettlement {
  bitcoinTxid: string;
  burns: string[];
  bitcoinTx: Uint8Array;
  coins: FederationCoin[];
}

/** A settlement of the circuit breaker's window: its block time and the burns it paid. */
interface SettlementWindowEntry {
  timeMs: bigint;
  burns: { txid: string; amount: bigint }[];
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const batchKey = (burns: readonly BurnRecord[]) => burns.map((burn) => burn.txid).join(',');
const owedBy = (burns: readonly BurnRecord[]) => burns.reduce((sum, burn) => sum + burn.amount, 0n);
const valueOf = (coins: readonly EscrowCoin[]) => coins.reduce((sum, coin) => sum + coin.value, 0n);
/** A batch and the coins it may spend: a batch held for want of coins is tried again once they change. */
const heldKey = (burns: readonly BurnRecord[], coins: readonly EscrowCoin[]) => `${batchKey(burns)}|${coins.map((coin) => `${coin.txid}:${coin.vout}`).join(',')}`;
const UNSETTLED_ASK_FIRST_PAUSE_MS = 2_000;
const UNSETTLED_ASK_MAX_PAUSE_MS = 60_000;
/** Settled burns are remembered for two breaker windows, so a clock somewhat behind the last block still counts them all. */
const SETTLED_KEPT_MS = 2n * CIRCUIT_BREAKER_WINDOW_MS;

/**
 * The peg-out side of one member. From the final chain it derives the escrow's coins and the
 * unsettled burns; as proposer it batches final burns into one settlement record (the unsigned
 * Bitcoin transaction); as validator it refuses any settlement that does not pay exactly the
 * burns, return exact change to the escrow, keep a sane fee, respect "never more out than in" and
 * the circuit breaker; once a settlement is final it re-checks the burns against its own stored,
 * certified blocks, signs, exchanges signatures with the other members, and broadcasts.
 */
export class Pegout {
  readonly escrow: SortedMultisig;
  readonly network: Network;
  readonly coins: EscrowCoins;
  private readonly unsettled = new Map<string, { firstSeenMs: number; amount: bigint }>();
  private readonly open = new Map<string, OpenSettlement>();
  private readonly settledRecently: SettlementWindowEntry[] = [];
  private readonly bumper: FeeBumper;
  private approved = new Set<string>();
  /**
   * The last batch the proposer could not pay (too few coins, or a fee rate that leaves its burns
   * below dust), with the coins and the fee rate it was tried at: it is neither retried nor logged
   * until one of them changes.
   */
  private held: { key: string; feeRate: bigint } | undefined;
  /** Whether the next batch waits for a Bitcoin block at the chain limit (logged once when it starts to). */
  private waitingForBlock = false;
  /** The burns last logged as waiting at the circuit breaker, so each set is logged once. */
  private loggedWaiting = '';
  /** The due batch this member last asked a block for, until the next block is final. */
  private askedFor: string | undefined;
  /**
   * A due batch that final blocks keep leaving unsettled (a quorum has not approved it at the
   * circuit breaker, say): asked for again only after a pause that doubles each time, so waiting
   * costs a few empty blocks rather than one a second.
   */
  private unsettledAsk: { key: string; failures: number; notBeforeMs: number } | undefined;
  /**
   * The stuck change and the wallet's coins (bumpKey) when this member last built a fee bump, and
   * whether it could: it asks for a block only for a bump it has built, and after a failure builds
   * none (nor logs) until either changes.
   */
  private bumpPlanned: { key: string; possible: boolean } | undefined;
  /** The last batch (heldKey) this member built a settlement for: it asks for a block only for a batch it has built. */
  private batchPlanned: string | undefined;
  /** Final fee bumps whose operations-wallet coin this member must first read from its node. */
  private readonly unresolvedBumps: { settlement: Omit<OpenSettlement, 'coins'>; escrowCoin: FederationCoin; walletOutpoint: string }[] = [];

  private constructor(
    private readonly genesis: Genesis,
    private readonly rpc: BitcoinRpc,
    private readonly store: ChainStore,
    private readonly signer: FederationSigner,
    private readonly opsWallet: OpsWalletCoins,
    private readonly options: PegoutOptions,
    bumpOptions: FeeBumpOptions,
    private readonly log: Logger,
  ) {
    this.escrow = signer.escrow;
    this.network = signer.network;
    this.coins = new EscrowCoins(genesis);
    this.bumper = new FeeBumper(signer, bumpOptions);
  }

  static async start(
    genesis: Genesis,
    rpc: BitcoinRpc,
    store: ChainStore,
    signer: FederationSigner,
    opsWallet: OpsWalletCoins,
    bumpOptions: FeeBumpOptions,
    log: Logger,
    options = DEFAULT_PEGOUT_OPTIONS,
  ): Promise<Pegout> {
    const pegout = new Pegout(genesis, rpc, store, signer, opsWallet, options, bumpOptions, log);
    for (const row of await store.transactionsOfKinds([TxKind.pegin, TxKind.pegout, TxKind.settlement])) {
      pegout.applyFinal(decodeTransaction(row.bytes), row.timeMs, 0);
    }
    pegout.approved = await store.approvedBurns();
    return pegout;
  }

  /** Follows the final chain; called for every block this member applies. */
  blockFinal(block: Block): void {
    const now = Date.now();
    for (const tx of block.transactions) this.applyFinal(tx, block.header.timeMs, now);
    if (!block.transactions.some((tx) => tx.kind === 'settlement')) this.askedInVain(now);
    this.askedFor = undefined;
  }

  private applyFinal(tx: Transaction, blockTimeMs: bigint, seenMs: number): void {
    if (tx.kind === 'pegout') this.unsettled.set(txInfo(tx).idHex, { firstSeenMs: seenMs, amount: tx.amount });
    if (tx.kind === 'settlement') {
      const decoded = decodeUnsignedBitcoinTx(tx.bitcoinTx);
      const walletInput = opsWalletInput(tx, decoded);
      const outpoints = decoded.inputs.map((input) => `${input.txid}:${input.vout}`);
      const coins = outpoints.map((outpoint, index) => (index === walletInput ? this.opsWallet.known(outpoint) : this.coins.get(outpoint)));
      this.coins.apply(tx);
      // Every burn a final settlement pays is a final burn this member has followed (replayed at start).
      const burns = tx.burns.map((burn) => ({ txid: hex(burn), amount: this.unsettled.get(hex(burn))!.amount }));
      this.settledRecently.push({ timeMs: blockTimeMs, burns });
      this.forgetSettledBefore(blockTimeMs - SETTLED_KEPT_MS);
      for (const burn of burns) this.unsettled.delete(burn.txid);
      const settlement = { bitcoinTxid: decoded.txid, burns: tx.burns.map(hex), bitcoinTx: tx.bitcoinTx };
      const escrowCoin = coins[0];
      if (coins.every((coin) => coin !== undefined)) this.watch({ ...settlement, coins });
      else if (walletInput !== undefined && escrowCoin) this.unresolvedBumps.push({ settlement, escrowCoin, walletOutpoint: outpoints[walletInput]! });
      else this.log.error({ bitcoinTxid: decoded.txid }, 'a final settlement spends coins this member does not know as escrow; it will not be signed');
      return;
    }
    this.coins.apply(tx);
  }

  /** Signed and broadcast by this member from now on, and a candidate for a fee bump while it waits. */
  private watch(settlement: OpenSettlement): void {
    this.open.set(settlement.bitcoinTxid, settlement);
    this.signer.add({ ...settlement, what: settlement.burns.length === 0 ? 'fee bump' : 'peg-out', check: () => this.checkBurnsAgainstStore(settlement) });
  }

  /** Reads the operations-wallet coins of final fee bumps this member did not know (it started later) from its node. */
  async poll(): Promise<void> {
    if (this.held && (await this.feeRate()) !== this.held.feeRate) this.held = undefined;
    while (this.unresolvedBumps.length > 0) {
      const { settlement, escrowCoin, walletOutpoint } = this.unresolvedBumps[0]!;
      this.watch({ ...settlement, coins: [escrowCoin, await this.opsWallet.fetch(walletOutpoint)] });
      this.unresolvedBumps.shift();
    }
  }

  /** The fee rate this member would pay now: its node's estimate, or the genesis fallback. */
  feeRate(): Promise<bigint> {
    return currentFeeRate(this.rpc, this.genesis);
  }

  policy(feeRate: bigint, ledger: LedgerReader): Record<string, unknown> {
    return {
      minimumSats: this.genesis.file.pegout.minimumSats,
      feeRateSatPerVb: feeRate.toString(),
      feeRule: 'each withdrawal in a batch pays an equal share of the Bitcoin fee (rounded up); the rest of the burn is paid out',
      circuitBreakerBasisPoints: this.genesis.file.pegout.circuitBreakerBasisPoints,
      batchWindowMs: this.options.batchWindowMs,
      reservesSats: this.coins.totalSats.toString(),
      heldForApproval: this.heldForApproval(ledger),
    };
  }

  /** Whether this member's operator approved the burn (`strongbox pegout approve`); other members' approvals are theirs to tell. */
  approvedHere(txid: string): boolean {
    return this.approved.has(txid);
  }

  /** Unsettled burns this member would not pay now without its operator's approval: beyond the circuit breaker. */
  heldForApproval(ledger: LedgerReader): string[] {
    return this.splitAtBreaker(this.unsettledBurns(ledger), BigInt(Date.now()), this.coins).waiting.map((burn) => burn.txid);
  }

  /** Final burns no settlement has paid yet, oldest first. */
  private unsettledBurns(ledger: LedgerReader): BurnRecord[] {
    const burns: BurnRecord[] = [];
    for (const txid of this.unsettled.keys()) {
      const burn = ledger.getBurn(txid);
      if (burn && !burn.settlement) burns.push(burn);
    }
    return burns.sort((a, b) => a.height - b.height || (a.txid < b.txid ? -1 : 1));
  }

  /**
   * The burns the next settlement pays, and the escrow coins it may spend: once the oldest
   * unsettled burn has waited out the batch window, those the circuit breaker lets through, oldest
   * first, at most `maxBatch`.
   */
  private nextBatch(ledger: LedgerReader, nowMs: number, blockTimeMs: bigint): { burns: BurnRecord[]; coins: EscrowCoin[] } {
    const dueAtMs = this.dueAtMs();
    if (dueAtMs === undefined || BigInt(nowMs) < dueAtMs) return { burns: [], coins: [] };
    const burns = this.unsettledBurns(ledger);
    const { next, waiting } = this.breakerBatch(burns, blockTimeMs);
    this.logWaiting(waiting, blockTimeMs);
    const coins = this.relayableCoins();
    return this.relayableCoinsPay(next, coins) ? { burns: next, coins } : { burns: [], coins: [] };
  }

  /**
   * When the next batch falls due: the batch window's end for the oldest final burn no settlement
   * has paid (past once due, also while the batch is held for other reasons).
   */
  dueAtMs(): bigint | undefined {
    let firstSeenMs: number | undefined;
    for (const burn of this.unsettled.values()) firstSeenMs = Math.min(burn.firstSeenMs, firstSeenMs ?? burn.firstSeenMs);
    return firstSeenMs === undefined ? undefined : BigInt(firstSeenMs + this.options.batchWindowMs);
  }

  /** The burns the circuit breaker lets through, oldest first, at most `maxBatch`, and those it holds. */
  private breakerBatch(burns: readonly BurnRecord[], blockTimeMs: bigint): { next: BurnRecord[]; waiting: BurnRecord[] } {
    const { batch, waiting } = this.splitAtBreaker(burns, blockTimeMs, this.coins);
    return { next: batch.slice(0, this.options.maxBatch), waiting };
  }

  /**
   * Escrow coins a settlement may spend now: those not at the end of a chain of unconfirmed
   * transactions as long as Bitcoin nodes relay. Each settlement spends the change of the one
   * before, so without Bitcoin blocks the chain grows with every batch.
   */
  private relayableCoins(): EscrowCoin[] {
    return this.coins.list().filter((coin) => this.signer.relayable(coin.txid));
  }

  /** Whether the relayable coins pay the burns; if not, the batch waits for a Bitcoin block (logged once). */
  private relayableCoinsPay(burns: readonly BurnRecord[], coins: readonly EscrowCoin[]): boolean {
    const owed = owedBy(burns);
    const relayable = valueOf(coins);
    if (burns.length === 0 || relayable >= owed) {
      this.waitingForBlock = false;
      return true;
    }
    if (!this.waitingForBlock) this.log.warn({ burns: burns.length, owedSats: owed, relayableSats: relayable }, 'peg-outs wait for a Bitcoin block: the escrow coins that would pay them end chains of unconfirmed settlements as long as Bitcoin nodes accept');
    this.waitingForBlock = true;
    return false;
  }

  /** Whether the burns due wait for a Bitcoin block: the escrow coins that would pay them end chains of unconfirmed settlements as long as nodes relay. */
  get waitsForBitcoinBlock(): boolean {
    return this.waitingForBlock;
  }

  private logWaiting(waiting: readonly BurnRecord[], blockTimeMs: bigint): void {
    const key = batchKey(waiting);
    if (key === this.loggedWaiting) return;
    this.loggedWaiting = key;
    if (waiting.length > 0) this.log.warn({ burns: waiting.map((burn) => burn.txid), limitSats: this.breakerLimit(this.coins), unapprovedLastHourSats: this.unapprovedRecently(blockTimeMs) }, 'peg-outs held by the circuit breaker until this member\'s operator approves them');
  }

  /**
   * Only for a settlement or fee bump this member has built itself as things are (prepare): a
   * member that wakes consensus for one it cannot build makes an empty block, and so does every
   * other member in turn as it finds the same as proposer.
   */
  hasPendingSettlement(ledger: LedgerReader): boolean {
    const now = Date.now();
    const { burns: due, coins } = this.nextBatch(ledger, now, BigInt(now));
    const key = heldKey(due, coins);
    if (due.length > 0 && key === this.batchPlanned && this.asksBlockFor(key, now)) return true;
    const stuck = this.stuckChange();
    return stuck !== undefined && this.bumpPlanned?.key === this.bumpKey(stuck) && this.bumpPlanned.possible;
  }

  /**
   * Builds the settlement or fee bump hasPendingSettlement would ask a block for, without proposing
   * it, unless this member has built it as things are: run on every member's signing step, so that
   * each finds for itself whether it can be built before any of them wakes consensus for it.
   */
  async prepare(ledger: LedgerReader, feeRateOfBlock: FeeRateOfBlock): Promise<void> {
    const now = Date.now();
    const { burns, coins } = this.nextBatch(ledger, now, BigInt(now));
    const key = heldKey(burns, coins);
    if (burns.length > 0 && key !== this.batchPlanned && key !== this.held?.key) {
      await this.planSettlement(burns, coins, feeRateOfBlock);
      return;
    }
    const stuck = this.stuckChange();
    if (stuck !== undefined && this.bumpPlanned?.key !== this.bumpKey(stuck)) await this.planBump(feeRateOfBlock);
  }

  private asksBlockFor(key: string, nowMs: number): boolean {
    if (key === this.held?.key) return false;
    if (this.unsettledAsk?.key === key && nowMs < this.unsettledAsk.notBeforeMs) return false;
    this.askedFor = key;
    return true;
  }

  /** A final block without a settlement, after this member asked for one: the batch waits longer before it asks again. */
  private askedInVain(nowMs: number): void {
    if (this.askedFor === undefined) return;
    const failures = this.unsettledAsk?.key === this.askedFor ? this.unsettledAsk.failures + 1 : 1;
    const pauseMs = Math.min(UNSETTLED_ASK_MAX_PAUSE_MS, UNSETTLED_ASK_FIRST_PAUSE_MS * 2 ** (failures - 1));
    this.unsettledAsk = { key: this.askedFor, failures, notBeforeMs: nowMs + pauseMs };
  }

  /**
   * The escrow change of the newest settlement that has waited in the mempool past the bump
   * delay while its change is still unspent on the chain: what a fee bump spends.
   */
  private stuckChange(): FederationCoin | undefined {
    for (const settlement of [...this.open.values()].reverse()) {
      // Deep in Bitcoin, the signer no longer watches it: neither bumped nor shown any more.
      if (!this.signer.status(settlement.bitcoinTxid)) {
        this.open.delete(settlement.bitcoinTxid);
        continue;
      }
      // Its change is the output after its payments (as EscrowCoins keeps it), read by outpoint:
      // every build and every news of work asks, and the escrow may hold thousands of deposits.
      const change = this.coins.get(`${settlement.bitcoinTxid}:${settlement.burns.length}`);
      if (change) return this.bumper.isStuck(settlement.bitcoinTxid) ? change : undefined;
    }
    return undefined;
  }

  /** A bump held for want of a coin, or for a chain too long to relay, is retried once the wallet's coins or the chain change. */
  private bumpKey(change: FederationCoin): string {
    return `${change.txid}:${change.vout}|${this.opsWallet.coinsKey()}|${this.signer.unconfirmedAncestorCount(change.txid)}`;
  }

  /**
   * A fee bump as a settlement naming no burns: child pays for parent, spending the stuck
   * settlement's escrow change back to the escrow in full, and an operations-wallet coin that pays
   * a fee lifting the whole package to the bump rate, its change back to the wallet. The
   * settlement itself, and so every burn it pays, stays exactly as recorded; the reserves pay nothing.
   */
  private async planBump(feeRateOfBlock: FeeRateOfBlock): Promise<{ record: Transaction; stuck: string; child: string; fee: bigint } | undefined> {
    const change = this.stuckChange();
    if (!change) return undefined;
    const key = this.bumpKey(change);
    if (this.bumpPlanned?.key === key && !this.bumpPlanned.possible) return undefined;
    try {
      const paying = await this.opsWallet.coinForBump();
      if (!paying) throw new PegoutError('ops-wallet-empty', 'the operations wallet has no coin to pay a fee bump; fund it with strongbox anchor fund');
      if (!this.signer.relayable(change.txid, paying.txid)) throw new PegoutError('unconfirmed-chain', 'the stuck peg-out and the operations-wallet coin that would pay its bump have as many unconfirmed ancestors as Bitcoin nodes accept; the bump waits for a Bitcoin block');
      const feeRate = await feeRateOfBlock();
      const returned = [{ script: this.escrow.scriptPubKey, value: change.value }];
      const plan = this.bumper.planChild([change, paying], returned, this.opsWallet.scriptPubKey, feeRate, this.options.maxFeeRateMultiple * feeRate);
      this.bumpPlanned = { key, possible: true };
      return { record: { kind: 'settlement', burns: [], bitcoinTxid: new Uint8Array(Buffer.from(plan.txid, 'hex')), bitcoinTx: plan.bitcoinTx, witnesses: [] }, stuck: change.txid, child: plan.txid, fee: plan.fee };
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      this.bumpPlanned = { key, possible: false };
      this.log.warn({ stuck: change.txid, reason: error.message }, 'peg-out fee bump not possible');
      return undefined;
    }
  }

  private async pendingBump(feeRateOfBlock: FeeRateOfBlock): Promise<Transaction[]> {
    const bump = await this.planBump(feeRateOfBlock);
    if (!bump) return [];
    this.log.warn({ stuck: bump.stuck, child: bump.child, fee: bump.fee }, 'peg-out waits in the mempool; proposing a fee bump');
    return [bump.record];
  }

  /**
   * The settlement record the proposer puts in its next block, if burns are due and the breaker
   * allows, or else a fee bump. Burns Bitcoin cannot carry now wait on their own (logged once per
   * batch, coins and fee rate); the others are paid.
   */
  async pendingSettlement(ledger: LedgerReader, blockTimeMs: bigint, feeRateOfBlock: FeeRateOfBlock): Promise<Transaction[]> {
    const { burns, coins } = this.nextBatch(ledger, Date.now(), blockTimeMs);
    if (burns.length === 0 || heldKey(burns, coins) === this.held?.key) return this.pendingBump(feeRateOfBlock);
    return this.planSettlement(burns, coins, feeRateOfBlock);
  }

  /** The settlement of the batch due, or none when the batch is held (and then held until its coins or the fee rate change). */
  private async planSettlement(burns: BurnRecord[], coins: EscrowCoin[], feeRateOfBlock: FeeRateOfBlock): Promise<Transaction[]> {
    const key = heldKey(burns, coins);
    const feeRate = await feeRateOfBlock();
    let batch: ReturnType<typeof planPayableBatch>;
    try {
      batch = planPayableBatch(this.escrow, coins, burns, feeRate);
    } catch (error) {
      // Any other refusal holds the batch as before: the proposer still proposes its block.
      if (!(error instanceof ValidationError)) throw error;
      this.log.warn({ burns: burns.length, reason: error.message }, 'peg-out batch held');
      this.held = { key, feeRate };
      return [];
    }
    const { burns: paid, plan, waiting } = batch;
    if (waiting.size > 0) {
      this.log.warn({ burns: Object.fromEntries(waiting), paid: paid.length }, paid.length > 0 ? 'peg-outs left out of the batch' : 'peg-out batch held');
    }
    if (!plan) {
      this.held = { key, feeRate };
      return [];
    }
    this.batchPlanned = key;
    const settlement: Transaction = {
      kind: 'settlement',
      burns: paid.map((burn) => new Uint8Array(Buffer.from(burn.txid, 'hex'))),
      bitcoinTxid: new Uint8Array(Buffer.from(plan.txid, 'hex')),
      bitcoinTx: plan.bitcoinTx,
      witnesses: [],
    };
    return [settlement];
  }

  /**
   * Why each due burn that the next settlement would leave out waits: its fee share leaves it
   * below dust, or the coins cannot pay it. Burns held at the circuit breaker or for a Bitcoin
   * block are not named here: the burn's own status says so.
   */
  async waitingReasons(ledger: LedgerReader): Promise<ReadonlyMap<string, string>> {
    const { next } = this.breakerBatch(this.unsettledBurns(ledger), BigInt(Date.now()));
    const coins = this.relayableCoins();
    // Burns the relayable coins do not cover wait for a Bitcoin block, which their status says.
    if (next.length === 0 || valueOf(coins) < owedBy(next)) return new Map();
    const feeRate = await this.feeRate();
    try {
      return planPayableBatch(this.escrow, coins, next, feeRate).waiting;
    } catch (error) {
      // The proposer holds such a batch whole and logs why; a burn's status is no place to fail.
      if (!(error instanceof ValidationError)) throw error;
      return new Map();
    }
  }

  /** The circuit breaker's share of the reserves: what this member pays out in an hour without its operator's approval. */
  private breakerLimit(coins: EscrowCoins): bigint {
    return (coins.totalSats * BigInt(this.genesis.file.pegout.circuitBreakerBasisPoints)) / 10_000n;
  }

  /**
   * Settlements older than the breaker's window need not be kept: block times only grow, and the
   * window is asked about at block times or the clock, which stay within a window of the last block.
   */
  private forgetSettledBefore(timeMs: bigint): void {
    const keep = this.settledRecently.findIndex((entry) => entry.timeMs >= timeMs);
    this.settledRecently.splice(0, keep === -1 ? this.settledRecently.length : keep);
  }

  /** Burns settled in the hour before `timeMs` (block time) that this member's operator did not approve. */
  private unapprovedRecently(timeMs: bigint): bigint {
    const since = timeMs - CIRCUIT_BREAKER_WINDOW_MS;
    let sum = 0n;
    for (const entry of this.settledRecently) {
      if (entry.timeMs <= since) continue;
      for (const burn of entry.burns) if (!this.approved.has(burn.txid)) sum += burn.amount;
    }
    return sum;
  }

  /**
   * The circuit breaker, as this member applies it: burns its operator approved always pass; the
   * others pass in order while they and the last hour's unapproved peg-outs stay within the share
   * of the reserves. One that does not fit waits, without holding up smaller ones after it.
   */
  private splitAtBreaker(burns: readonly BurnRecord[], timeMs: bigint, coins: EscrowCoins): { batch: BurnRecord[]; waiting: BurnRecord[] } {
    const limit = this.breakerLimit(coins);
    let counted = this.unapprovedRecently(timeMs);
    const batch: BurnRecord[] = [];
    const waiting: BurnRecord[] = [];
    for (const burn of burns) {
      if (this.approved.has(burn.txid)) batch.push(burn);
      else if (counted + burn.amount <= limit) {
        counted += burn.amount;
        batch.push(burn);
      } else waiting.push(burn);
    }
    return { batch, waiting };
  }

  private checkCircuitBreaker(burns: readonly BurnRecord[], blockTimeMs: bigint, coins: EscrowCoins): void {
    const { waiting } = this.splitAtBreaker(burns, blockTimeMs, coins);
    if (waiting.length === 0) return;
    throw new PegoutError(
      'circuit-breaker',
      `peg-outs this member's operator has not approved would exceed ${this.breakerLimit(coins)} sats (${this.genesis.file.pegout.circuitBreakerBasisPoints} bp of the reserves) within an hour; waiting for operator approval of ${waiting.map((burn) => burn.txid).join(', ')}`,
    );
  }

  /**
   * Reads the operator's approvals (`strongbox pegout approve` writes them into this member's own
   * database); a held batch is reconsidered once a new approval arrives. An approval counts only
   * for a final burn no settlement has paid yet, so with none the database is not asked: a member
   * with no withdrawal waiting asked it every second for nothing. Says whether a new approval arrived.
   */
  async refreshApprovals(): Promise<boolean> {
    if (this.unsettled.size === 0) return false;
    const approved = await this.store.approvedBurns();
    const arrived = [...approved].some((txid) => !this.approved.has(txid));
    if (arrived) this.held = undefined;
    this.approved = approved;
    return arrived;
  }

  /**
   * This member's own check of every settlement in a proposed block, beyond the ledger's: it
   * spends only escrow coins, returns exactly Σ inputs − Σ burns to the escrow, pays a fee rate
   * between 1 sat/vB and a multiple of this member's own estimate, never pays out more than was
   * deposited, and stays under the circuit breaker unless approved here.
   */
  async verifySettlements(transactions: readonly Transaction[], ledger: LedgerReader, blockTimeMs: bigint, feeRateOfBlock: FeeRateOfBlock): Promise<void> {
    const coins = this.coins.copy();
    const walletSpent = new Set<string>();
    for (const tx of transactions) {
      if (tx.kind !== 'settlement') {
        if (tx.kind === 'pegin') coins.apply(tx);
        continue;
      }
      const decoded = decodeUnsignedBitcoinTx(tx.bitcoinTx);
      const where = `settlement ${decoded.txid}`;
      if (tx.burns.length === 0) {
        await this.verifyBump(decoded, coins, walletSpent, where, feeRateOfBlock);
        coins.apply(tx);
        continue;
      }
      const burns = tx.burns.map((txid) => {
        const burn = ledger.getBurn(hex(txid));
        if (!burn || burn.settlement) throw new PegoutError('pegout-burn', `${where}: burn ${hex(txid)} is not a final, unsettled burn on this member's chain`);
        return burn;
      });
      let inputs = 0n;
      for (const input of decoded.inputs) {
        const coin = coins.get(`${input.txid}:${input.vout}`);
        if (!coin) throw new PegoutError('pegout-coin', `${where}: input ${input.txid}:${input.vout} is not an unspent escrow coin`);
        inputs += coin.value;
      }
      const owed = owedBy(burns);
      const change = decoded.outputs[burns.length];
      if (change && !sameBytes(change.script, this.escrow.scriptPubKey)) throw new PegoutError('pegout-change', `${where}: the change does not return to the escrow`);
      if ((change?.value ?? 0n) !== inputs - owed) throw new PegoutError('pegout-change', `${where}: change is ${change?.value ?? 0n} sats, must be exactly ${inputs - owed}`);
      const fee = burns.reduce((sum, burn, index) => sum + burn.amount - decoded.outputs[index]!.value, 0n);
      const vsize = BigInt(multisigTxVsize(this.escrow, decoded.inputs.length, decoded.outputs.map((output) => output.script)));
      const maxRate = (await feeRateOfBlock()) * this.options.maxFeeRateMultiple;
      if (fee < vsize || fee > vsize * maxRate) throw new PegoutError('pegout-fee', `${where}: fee ${fee} sats for ${vsize} vB is outside 1..${maxRate} sat/vB`);
      if (coins.withdrawnSats + owed > coins.depositedSats) {
        throw new PegoutError('pegout-reserves', `${where}: would pay out ${coins.withdrawnSats + owed} sats in all against ${coins.depositedSats} deposited`);
      }
      this.checkCircuitBreaker(burns, blockTimeMs, coins);
      coins.apply(tx);
    }
  }

  /**
   * A fee bump spends the escrow change of a settlement still waiting for a block and returns it
   * to the escrow in full, next to one operations-wallet coin (its change, or a confirmed one) no
   * record has spent, nor another bump of this block, whose change returns to the wallet; its fee
   * is within this member's bounds for the package. The reserves are exactly what they were.
   */
  private async verifyBump(decoded: RecordedBitcoinTx, coins: EscrowCoins, walletSpent: Set<string>, where: string, feeRateOfBlock: FeeRateOfBlock): Promise<void> {
    if (decoded.inputs.length !== PEGOUT_BUMP_INPUTS || decoded.outputs.length !== 2) {
      throw new PegoutError('pegout-bump', `${where}: a fee bump spends the escrow change and an operations-wallet coin into two outputs, not ${decoded.inputs.length} into ${decoded.outputs.length}`);
    }
    const input = decoded.inputs[0]!;
    const walletInput = decoded.inputs[PEGOUT_BUMP_WALLET_INPUT]!;
    const coin = coins.get(`${input.txid}:${input.vout}`);
    if (!coin || coin.recipient || !this.open.has(input.txid)) throw new PegoutError('pegout-bump', `${where}: a fee bump spends the escrow change of a recorded settlement, not ${input.txid}:${input.vout}`);
    const returned = decoded.outputs[0]!;
    const walletChange = decoded.outputs[1]!;
    if (!sameBytes(returned.script, this.escrow.scriptPubKey) || returned.value !== coin.value) {
      throw new PegoutError('pegout-change', `${where}: output 0 must return the ${coin.value} sats of escrow change to the escrow`);
    }
    const walletOutpoint = `${walletInput.txid}:${walletInput.vout}`;
    if (walletSpent.has(walletOutpoint)) throw new PegoutError('pegout-bump', `${where}: another fee bump of this block spends ${walletOutpoint}`);
    const paying = await this.opsWallet.checkBumpCoin(walletInput.txid, walletInput.vout, where);
    if (!sameBytes(walletChange.script, this.opsWallet.scriptPubKey) || walletChange.value < WALLET_DUST_SATS) {
      throw new PegoutError('pegout-change', `${where}: output 1 must return at least ${WALLET_DUST_SATS} sats to the operations wallet`);
    }
    const fee = coin.value + paying.value - returned.value - walletChange.value;
    const vsize = multisigTxVsize(this.escrow, PEGOUT_BUMP_INPUTS, [returned.script, walletChange.script]);
    this.bumper.checkChild([coin, paying], fee, vsize, this.options.maxFeeRateMultiple * (await feeRateOfBlock()), where);
    walletSpent.add(walletOutpoint);
  }

  /**
   * Before signing, the burns are re-read from this member's own stored blocks, each block's
   * certificate and transaction root re-verified: a record altered in the store, or a ledger
   * that disagrees with it, stops the signature.
   */
  private async checkBurnsAgainstStore(settlement: OpenSettlement): Promise<void> {
    const decoded = decodeUnsignedBitcoinTx(settlement.bitcoinTx);
    for (const [index, burnTxid] of settlement.burns.entries()) {
      const located = await this.store.transaction(new Uint8Array(Buffer.from(burnTxid, 'hex')));
      const stored = located && (await this.store.blockAt(located.height));
      if (!located || !stored) throw new PegoutError('pegout-burn', `burn ${burnTxid} is not in this member's stored chain`);
      const header = decodeHeader(stored.header);
      verifyCommit(header, decodeCommit(stored.commit), this.genesis);
      const transactions = stored.transactions.map(decodeTransaction);
      if (!sameBytes(transactionRoot(transactions), header.txRoot)) {
        throw new PegoutError('pegout-store', `block ${located.height} in this member's store does not match its certified transaction root`);
      }
      const burn = transactions.find((tx) => txInfo(tx).idHex === burnTxid);
      const payment = decoded.outputs[index]!;
      if (burn?.kind !== 'pegout' || !sameBytes(burn.destinationScript, payment.script) || payment.value > burn.amount) {
        throw new PegoutError('pegout-burn', `output ${index} of ${settlement.bitcoinTxid} does not match burn ${burnTxid} as certified`);
      }
    }
    if (this.coins.withdrawnSats > this.coins.depositedSats) throw new PegoutError('pegout-reserves', 'the chain pays out more than was deposited; refusing to sign');
  }

  settlementView(bitcoinTxid: string): { bitcoinTxid: string; burns: string[]; psbt: string; signers: number[][] } | undefined {
    const settlement = this.open.get(bitcoinTxid);
    const psbt = this.signer.combinedPsbt(bitcoinTxid);
    const signers = this.signer.signers(bitcoinTxid);
    if (!settlement || !psbt || !signers) return undefined;
    return { bitcoinTxid, burns: settlement.burns, psbt: psbt.toBase64(), signers };
  }
}
