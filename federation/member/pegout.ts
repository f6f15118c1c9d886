import { Psbt, type Network } from 'bitcoinjs-lib';
import type { Logger } from 'pino';
import { decodeBlock, transactionRoot } from '../../sidechain/block.ts';
import { decodeHeader } from '../../sidechain/block-header.ts';
import { decodeCommit, verifyCommit } from '../../sidechain/commit.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import type { BurnRecord, LedgerReader } from '../../sidechain/ledger/index.ts';
import { decodeSettlementTx } from '../../sidechain/settlement.ts';
import { decodeTransaction } from '../../sidechain/transaction/codec.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { TxKind, type Transaction } from '../../sidechain/transaction/types.ts';
import type { ChainStore } from '../../sidechain/store/chain-store.ts';
import type { Block } from '../../sidechain/block.ts';
import { sortedMultisig, type SortedMultisig } from '../../watcher/escrow.ts';
import { bitcoinNetwork } from '../../watcher/networks.ts';
import { memberCoinKey, planSettlement, settlementPsbt, settlementVsize, signSettlementPsbt, verifyPartialSignature, type SpendableEscrowCoin } from '../../watcher/pegout-tx.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import { EscrowCoins } from './escrow-coins.ts';

export class PegoutError extends ValidationError {}

export interface PegoutOptions {
  /** How long a final burn waits for others to join its batch. */
  batchWindowMs: number;
  maxBatch: number;
  /** A proposed fee rate above this multiple of this member's own estimate is refused. */
  maxFeeRateMultiple: bigint;
}

export const DEFAULT_PEGOUT_OPTIONS: PegoutOptions = { batchWindowMs: 2_000, maxBatch: 250, maxFeeRateMultiple: 4n };
const CIRCUIT_BREAKER_WINDOW_MS = 3_600_000n;
/** A settlement stays watched (re-signed, re-broadcast) until this deep in Bitcoin. */
const SETTLED_DEPTH = 6;

interface OpenSettlement {
  bitcoinTxid: string;
  burns: string[];
  bitcoinTx: Uint8Array;
  coins: SpendableEscrowCoin[];
  /** Per input, member index → DER signature with sighash byte. */
  signatures: Map<number, Uint8Array>[];
  ownPsbt?: Uint8Array;
  confirmations: number | null;
}

interface SettlementWindowEntry {
  timeMs: bigint;
  withdrawn: bigint;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const batchKey = (burns: readonly BurnRecord[]) => burns.map((burn) => burn.txid).join(',');

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
  private readonly unsettled = new Map<string, { firstSeenMs: number }>();
  private readonly open = new Map<string, OpenSettlement>();
  private readonly settledRecently: SettlementWindowEntry[] = [];
  private approved = new Set<string>();
  /** The due burns of the last batch the proposer held back, so it neither retries nor logs it until something changes. */
  private held: { key: string; burns: string[]; reason: string } | undefined;
  private sendSignatures: (psbt: Uint8Array) => void = () => {};

  private constructor(
    private readonly genesis: Genesis,
    private readonly rpc: BitcoinRpc,
    private readonly store: ChainStore,
    private readonly keys: { memberIndex: number; pegPrivateKey: Uint8Array; pegPublicKey: Uint8Array },
    private readonly options: PegoutOptions,
    private readonly log: Logger,
  ) {
    this.escrow = sortedMultisig(genesis.members.threshold, genesis.pegKeys);
    this.network = bitcoinNetwork(genesis.file.bitcoinNetwork);
    this.coins = new EscrowCoins(genesis);
  }

  static async start(genesis: Genesis, rpc: BitcoinRpc, store: ChainStore, keys: Pegout['keys'], log: Logger, options = DEFAULT_PEGOUT_OPTIONS): Promise<Pegout> {
    const pegout = new Pegout(genesis, rpc, store, keys, options, log);
    for (const row of await store.transactionsOfKinds([TxKind.pegin, TxKind.pegout, TxKind.settlement])) {
      pegout.applyFinal(decodeTransaction(row.bytes), row.timeMs, 0);
    }
    pegout.approved = await store.approvedBurns();
    return pegout;
  }

  /** Where this member's signatures go: every other member. */
  onSignatures(send: (psbt: Uint8Array) => void): void {
    this.sendSignatures = send;
  }

  /** Follows the final chain; called for every block this member applies. */
  blockFinal(block: Block): void {
    for (const tx of block.transactions) this.applyFinal(tx, block.header.timeMs, Date.now());
  }

  private applyFinal(tx: Transaction, blockTimeMs: bigint, seenMs: number): void {
    if (tx.kind === 'pegout') this.unsettled.set(txInfo(tx).idHex, { firstSeenMs: seenMs });
    if (tx.kind === 'settlement') {
      const decoded = decodeSettlementTx(tx.bitcoinTx);
      const coins = decoded.inputs.map((input) => this.coins.get(`${input.txid}:${input.vout}`));
      const withdrawnBefore = this.coins.withdrawnSats;
      this.coins.apply(tx);
      this.settledRecently.push({ timeMs: blockTimeMs, withdrawn: this.coins.withdrawnSats - withdrawnBefore });
      for (const burn of tx.burns) this.unsettled.delete(hex(burn));
      if (coins.every((coin) => coin !== undefined)) {
        this.open.set(decoded.txid, { bitcoinTxid: decoded.txid, burns: tx.burns.map(hex), bitcoinTx: tx.bitcoinTx, coins, signatures: coins.map(() => new Map()), confirmations: null });
      } else {
        this.log.error({ bitcoinTxid: decoded.txid }, 'a final settlement spends coins this member does not know as escrow; it will not be signed');
      }
      return;
    }
    this.coins.apply(tx);
  }

  /** The fee rate this member would pay now: its node's estimate, or the genesis fallback. */
  async feeRate(): Promise<bigint> {
    const estimate = await this.rpc.estimateSmartFee(2).catch(() => null);
    return estimate ?? BigInt(this.genesis.file.pegout.fallbackFeeRateSatPerVb);
  }

  policy(feeRate: bigint): Record<string, unknown> {
    return {
      minimumSats: this.genesis.file.pegout.minimumSats,
      feeRateSatPerVb: feeRate.toString(),
      feeRule: 'each withdrawal in a batch pays an equal share of the Bitcoin fee (rounded up); the rest of the burn is paid out',
      circuitBreakerBasisPoints: this.genesis.file.pegout.circuitBreakerBasisPoints,
      batchWindowMs: this.options.batchWindowMs,
      reservesSats: this.coins.totalSats.toString(),
      heldForApproval: this.held?.reason === 'circuit-breaker' ? this.held.burns.filter((txid) => !this.approved.has(txid)) : [],
    };
  }

  /** Burns waiting for a settlement whose batch window has passed. */
  private dueBurns(ledger: LedgerReader, nowMs: number): BurnRecord[] {
    const burns: BurnRecord[] = [];
    let due = false;
    for (const [txid, { firstSeenMs }] of this.unsettled) {
      const burn = ledger.getBurn(txid);
      if (!burn || burn.settledBy) continue;
      if (nowMs - firstSeenMs >= this.options.batchWindowMs) due = true;
      burns.push(burn);
    }
    if (!due) return [];
    return burns.sort((a, b) => a.height - b.height || (a.txid < b.txid ? -1 : 1)).slice(0, this.options.maxBatch);
  }

  hasPendingSettlement(ledger: LedgerReader): boolean {
    const due = this.dueBurns(ledger, Date.now());
    return due.length > 0 && batchKey(due) !== this.held?.key;
  }

  /** The settlement record the proposer puts in its next block, if burns are due and the breaker allows. */
  async pendingSettlement(ledger: LedgerReader, blockTimeMs: bigint): Promise<Transaction[]> {
    const burns = this.dueBurns(ledger, Date.now());
    if (burns.length === 0 || batchKey(burns) === this.held?.key) return [];
    try {
      const plan = planSettlement(this.escrow, this.coins.list(), burns.map((burn) => ({ script: burn.destinationScript, amount: burn.amount })), await this.feeRate());
      const settlement: Transaction = {
        kind: 'settlement',
        burns: burns.map((burn) => new Uint8Array(Buffer.from(burn.txid, 'hex'))),
        bitcoinTxid: new Uint8Array(Buffer.from(plan.txid, 'hex')),
        bitcoinTx: plan.bitcoinTx,
        witnesses: [],
      };
      this.checkCircuitBreaker(burns, blockTimeMs, this.coins);
      return [settlement];
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      this.log.warn({ burns: burns.length, reason: error.message }, 'peg-out batch held');
      this.held = { key: batchKey(burns), burns: burns.map((burn) => burn.txid), reason: error.code };
      return [];
    }
  }

  private checkCircuitBreaker(burns: readonly BurnRecord[], blockTimeMs: bigint, coins: EscrowCoins): void {
    const batch = burns.reduce((sum, burn) => sum + burn.amount, 0n);
    const since = blockTimeMs - CIRCUIT_BREAKER_WINDOW_MS;
    const recent = this.settledRecently.filter((entry) => entry.timeMs > since).reduce((sum, entry) => sum + entry.withdrawn, 0n);
    const limit = (coins.totalSats * BigInt(this.genesis.file.pegout.circuitBreakerBasisPoints)) / 10_000n;
    if (recent + batch <= limit) return;
    const waiting = burns.filter((burn) => !this.approved.has(burn.txid));
    if (waiting.length === 0) return;
    throw new PegoutError(
      'circuit-breaker',
      `peg-outs of ${recent + batch} sats within an hour exceed ${limit} sats (${this.genesis.file.pegout.circuitBreakerBasisPoints} bp of the reserves); waiting for operator approval of ${waiting.map((burn) => burn.txid).join(', ')}`,
    );
  }

  /**
   * Reads the operator's approvals (`strongbox pegout approve` writes them into this member's own
   * database); a held batch is reconsidered once a new approval arrives.
   */
  async refreshApprovals(): Promise<void> {
    const approved = await this.store.approvedBurns();
    if ([...approved].some((txid) => !this.approved.has(txid))) this.held = undefined;
    this.approved = approved;
  }

  /**
   * This member's own check of every settlement in a proposed block, beyond the ledger's: it
   * spends only escrow coins, returns exactly Σ inputs − Σ burns to the escrow, pays a fee rate
   * between 1 sat/vB and a multiple of this member's own estimate, never pays out more than was
   * deposited, and stays under the circuit breaker unless approved here.
   */
  async verifySettlements(transactions: readonly Transaction[], ledger: LedgerReader, blockTimeMs: bigint): Promise<void> {
    const coins = this.coins.copy();
    for (const tx of transactions) {
      if (tx.kind !== 'settlement') {
        if (tx.kind === 'pegin') coins.apply(tx);
        continue;
      }
      const decoded = decodeSettlementTx(tx.bitcoinTx);
      const where = `settlement ${decoded.txid}`;
      const burns = tx.burns.map((txid) => {
        const burn = ledger.getBurn(hex(txid));
        if (!burn || burn.settledBy) throw new PegoutError('pegout-burn', `${where}: burn ${hex(txid)} is not a final, unsettled burn on this member's chain`);
        return burn;
      });
      let inputs = 0n;
      for (const input of decoded.inputs) {
        const coin = coins.get(`${input.txid}:${input.vout}`);
        if (!coin) throw new PegoutError('pegout-coin', `${where}: input ${input.txid}:${input.vout} is not an unspent escrow coin`);
        inputs += coin.value;
      }
      const owed = burns.reduce((sum, burn) => sum + burn.amount, 0n);
      const change = decoded.outputs[burns.length];
      if (change && Buffer.compare(Buffer.from(change.script), Buffer.from(this.escrow.scriptPubKey)) !== 0) throw new PegoutError('pegout-change', `${where}: the change does not return to the escrow`);
      if ((change?.value ?? 0n) !== inputs - owed) throw new PegoutError('pegout-change', `${where}: change is ${change?.value ?? 0n} sats, must be exactly ${inputs - owed}`);
      const fee = burns.reduce((sum, burn, index) => sum + burn.amount - decoded.outputs[index]!.value, 0n);
      const vsize = BigInt(settlementVsize(this.escrow, decoded.inputs.length, decoded.outputs.map((output) => output.script)));
      const maxRate = (await this.feeRate()) * this.options.maxFeeRateMultiple;
      if (fee < vsize || fee > vsize * maxRate) throw new PegoutError('pegout-fee', `${where}: fee ${fee} sats for ${vsize} vB is outside 1..${maxRate} sat/vB`);
      if (coins.withdrawnSats + owed > coins.depositedSats) {
        throw new PegoutError('pegout-reserves', `${where}: would pay out ${coins.withdrawnSats + owed} sats in all against ${coins.depositedSats} deposited`);
      }
      this.checkCircuitBreaker(burns, blockTimeMs, coins);
      coins.apply(tx);
    }
  }

  /**
   * Before signing, the burns are re-read from this member's own stored blocks, each block's
   * certificate and transaction root re-verified: a record altered in the store, or a ledger
   * that disagrees with it, stops the signature.
   */
  private async checkBurnsAgainstStore(settlement: OpenSettlement): Promise<void> {
    const decoded = decodeSettlementTx(settlement.bitcoinTx);
    for (const [index, burnTxid] of settlement.burns.entries()) {
      const located = await this.store.transaction(new Uint8Array(Buffer.from(burnTxid, 'hex')));
      const stored = located && (await this.store.blockAt(located.height));
      if (!located || !stored) throw new PegoutError('pegout-burn', `burn ${burnTxid} is not in this member's stored chain`);
      const header = decodeHeader(stored.header);
      verifyCommit(header, decodeCommit(stored.commit), this.genesis);
      const transactions = stored.transactions.map(decodeTransaction);
      if (Buffer.compare(Buffer.from(transactionRoot(transactions)), Buffer.from(header.txRoot)) !== 0) {
        throw new PegoutError('pegout-store', `block ${located.height} in this member's store does not match its certified transaction root`);
      }
      const burn = transactions.find((tx) => txInfo(tx).idHex === burnTxid);
      const payment = decoded.outputs[index]!;
      if (burn?.kind !== 'pegout' || Buffer.compare(Buffer.from(burn.destinationScript), Buffer.from(payment.script)) !== 0 || payment.value > burn.amount) {
        throw new PegoutError('pegout-burn', `output ${index} of ${settlement.bitcoinTxid} does not match burn ${burnTxid} as certified`);
      }
    }
    if (this.coins.withdrawnSats > this.coins.depositedSats) throw new PegoutError('pegout-reserves', 'the chain pays out more than was deposited; refusing to sign');
  }

  private async signOwn(settlement: OpenSettlement): Promise<Uint8Array> {
    if (settlement.ownPsbt) return settlement.ownPsbt;
    await this.checkBurnsAgainstStore(settlement);
    const psbt = settlementPsbt(this.escrow, this.network, settlement.bitcoinTx, settlement.coins);
    signSettlementPsbt(psbt, settlement.coins, this.keys.pegPrivateKey);
    settlement.ownPsbt = psbt.toBuffer();
    this.takeSignatures(settlement, this.keys.memberIndex, psbt);
    this.log.info({ bitcoinTxid: settlement.bitcoinTxid, burns: settlement.burns.length }, 'signed peg-out');
    return settlement.ownPsbt;
  }

  /** Keeps the signatures in `psbt` that member `from` made with its own (tweaked) key and that verify. */
  private takeSignatures(settlement: OpenSettlement, from: number, psbt: Psbt): void {
    const pegKey = this.genesis.pegKeys[from];
    if (!pegKey) return;
    settlement.coins.forEach((coin, index) => {
      const expected = memberCoinKey(pegKey, coin);
      const signature = psbt.data.inputs[index]?.partialSig?.find((entry) => Buffer.compare(Buffer.from(entry.pubkey), Buffer.from(expected)) === 0);
      if (!signature) return;
      const check = settlementPsbt(this.escrow, this.network, settlement.bitcoinTx, settlement.coins);
      check.updateInput(index, { partialSig: [signature] });
      if (verifyPartialSignature(check, index, expected)) settlement.signatures[index]!.set(from, signature.signature);
    });
  }

  /** Signatures from another member: only those over a settlement final here, by that member's key. */
  receiveSignatures(from: number, bytes: Uint8Array): void {
    let psbt: Psbt;
    try {
      psbt = Psbt.fromBuffer(Buffer.from(bytes), { network: this.network });
    } catch {
      throw new PegoutError('bad-psbt', `member ${from} sent a PSBT that does not parse`);
    }
    const txid = decodeSettlementTx(psbt.data.getTransaction()).txid;
    const settlement = this.open.get(txid);
    if (!settlement) return;
    this.takeSignatures(settlement, from, psbt);
  }

  /** The PSBT with every signature collected so far: what any BIP-174 tool can finalize. */
  combinedPsbt(settlement: OpenSettlement): Psbt {
    const psbt = settlementPsbt(this.escrow, this.network, settlement.bitcoinTx, settlement.coins);
    settlement.signatures.forEach((signatures, index) => {
      const partialSig = [...signatures.entries()]
        .sort(([a], [b]) => a - b)
        .slice(0, this.genesis.members.threshold)
        .map(([member, signature]) => ({ pubkey: memberCoinKey(this.genesis.pegKeys[member]!, settlement.coins[index]!), signature }));
      if (partialSig.length > 0) psbt.updateInput(index, { partialSig });
    });
    return psbt;
  }

  /**
   * One step for every settlement not yet deep in Bitcoin: sign it (once) and share the
   * signatures; with k signatures on every input, finalize and broadcast to this member's node.
   * Re-running after a crash only re-sends the same signatures and the same transaction.
   */
  async tick(): Promise<void> {
    await this.refreshApprovals();
    for (const settlement of this.open.values()) {
      settlement.confirmations = await this.rpc.getTransactionConfirmations(settlement.bitcoinTxid);
      if (settlement.confirmations !== null && settlement.confirmations >= SETTLED_DEPTH) {
        this.open.delete(settlement.bitcoinTxid);
        continue;
      }
      if (settlement.confirmations !== null) continue;
      try {
        this.sendSignatures(await this.signOwn(settlement));
      } catch (error) {
        this.log.error({ bitcoinTxid: settlement.bitcoinTxid, err: error }, 'refusing to sign a peg-out');
        continue;
      }
      if (settlement.signatures.every((signatures) => signatures.size >= this.genesis.members.threshold)) {
        const psbt = this.combinedPsbt(settlement);
        psbt.finalizeAllInputs();
        const txHex = psbt.extractTransaction().toHex();
        await this.rpc.sendRawTransaction(txHex);
        this.log.info({ bitcoinTxid: settlement.bitcoinTxid, burns: settlement.burns.length }, 'peg-out broadcast');
      }
    }
  }

  settlementView(bitcoinTxid: string): { bitcoinTxid: string; burns: string[]; psbt: string; signers: number[][] } | undefined {
    const settlement = this.open.get(bitcoinTxid);
    if (!settlement) return undefined;
    return {
      bitcoinTxid,
      burns: settlement.burns,
      psbt: this.combinedPsbt(settlement).toBase64(),
      signers: settlement.signatures.map((signatures) => [...signatures.keys()].sort((a, b) => a - b)),
    };
  }
}
