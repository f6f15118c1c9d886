import type { Logger } from 'pino';
import type { Block } from '../../sidechain/block.ts';
import { decodeUnsignedBitcoinTx, type RecordedBitcoinTx } from '../../sidechain/bitcoin-tx.ts';
import { sameBytes } from '../../sidechain/bytes.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import type { ChainStore } from '../../sidechain/store/chain-store.ts';
import { decodeTransaction } from '../../sidechain/transaction/codec.ts';
import { TxKind, type AnchorBody, type Transaction } from '../../sidechain/transaction/types.ts';
import { anchorScript, encodeAnchorPayload } from '../../watcher/anchor-payload.ts';
import { planWalletSpend } from '../../watcher/cpfp.ts';
import type { SortedMultisig } from '../../watcher/escrow.ts';
import { multisigTxVsize, type FederationCoin } from '../../watcher/federation-psbt.ts';
import { opsWalletMultisig } from '../../watcher/ops-wallet.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import { FeeBumper, opsWalletInput, type FeeBumpOptions, type OpsWalletCoins } from './fee-bump.ts';
import { MAX_FEE_RATE_MULTIPLE, type FeeRateOfBlock } from './fee-rate.ts';
import type { FederationSigner } from './federation-signer.ts';
import { OpsWalletFunding } from './ops-wallet-funding.ts';

export class AnchorError extends ValidationError {}

/** One anchor record of the final chain. */
export interface AnchorRecord {
  /** The block holding the record, and that block's time. */
  recordHeight: number;
  timeMs: bigint;
  anchoredHeight: number;
  blockHash: string;
  bitcoinTxid: string;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const walletKey = (coins: readonly FederationCoin[]) => coins.map((coin) => `${coin.txid}:${coin.vout}`).join(',');

/** The wallet coins the peg-out fee bumps among `transactions` spend. */
function bumpSpends(transactions: readonly Transaction[]): Set<string> {
  const outpoints = new Set<string>();
  for (const tx of transactions) {
    if (tx.kind !== 'settlement') continue;
    const decoded = decodeUnsignedBitcoinTx(tx.bitcoinTx);
    const input = decoded.inputs[opsWalletInput(tx, decoded) ?? -1];
    if (input) outpoints.add(`${input.txid}:${input.vout}`);
  }
  return outpoints;
}

/**
 * Anchoring on one member. Every `intervalBlocks` blocks or `intervalSeconds` seconds, whichever
 * comes first, and only if some block other than anchor records became final since the last
 * anchor, the proposer records an anchor of the tip: one Bitcoin transaction spending one
 * operations-wallet coin into the 44-byte OP_RETURN and change back to the wallet. The record is
 * final before anyone signs, so every anchor on Bitcoin has a record explaining it. The wallet is
 * one chain of coins (each anchor spends the previous one's change), so an anchor waiting too
 * long in the mempool is bumped by the next anchor, a CPFP child that pays for both. The same
 * wallet pays the fee bumps of peg-outs (a bump record spends one of its coins next to the stuck
 * escrow change), so this class keeps the wallet's coins for both.
 */
export class Anchoring implements OpsWalletCoins {
  readonly wallet: SortedMultisig;
  private readonly records: AnchorRecord[] = [];
  private readonly spent = new Set<string>();
  /** The change of the last record that spent from the wallet (an anchor or a peg-out fee bump). */
  private change: FederationCoin | undefined;
  private lastActivityHeight: number;
  private readonly bumper: FeeBumper;
  private readonly funding: OpsWalletFunding;
  /** The Bitcoin tip the funding scan last read up to, undefined before the first scan. */
  private fundingScannedAt: string | undefined;
  /**
   * The wallet's state (planKey) when this member last built an anchor, and whether it could: it
   * asks for a block only for an anchor it has built, and after a failure builds none (nor logs)
   * until the state changes.
   */
  private planned: { key: string; possible: boolean } | undefined;
  /** Whether the wait for a Bitcoin block at the chain limit has been logged, so it is logged once. */
  private waitLogged = false;
  /** Final anchors spending a funding coin this member has not seen yet: their coin is read from the node. */
  private readonly unresolved: { tx: Transaction & AnchorBody; outpoint: string }[] = [];

  private constructor(
    private readonly genesis: Genesis,
    private readonly rpc: BitcoinRpc,
    private readonly signer: FederationSigner,
    bumpOptions: FeeBumpOptions,
    lastActivityHeight: number,
    private readonly log: Logger,
  ) {
    this.wallet = opsWalletMultisig(signer.escrow);
    this.bumper = new FeeBumper(signer, bumpOptions);
    this.funding = new OpsWalletFunding(rpc, this.wallet.scriptPubKey);
    this.lastActivityHeight = lastActivityHeight;
  }

  static async start(genesis: Genesis, rpc: BitcoinRpc, store: ChainStore, signer: FederationSigner, bumpOptions: FeeBumpOptions, log: Logger): Promise<Anchoring> {
    const anchoring = new Anchoring(genesis, rpc, signer, bumpOptions, await store.latestHeightExcept([TxKind.anchor]), log);
    for (const row of await store.transactionsOfKinds([TxKind.anchor, TxKind.settlement])) {
      const tx = decodeTransaction(row.bytes);
      if (tx.kind === 'anchor') anchoring.applyAnchor(tx, row.height, row.timeMs);
      if (tx.kind === 'settlement') anchoring.applyBump(tx);
    }
    return anchoring;
  }

  /** Follows the final chain; called for every block this member applies. */
  blockFinal(block: Block): void {
    for (const tx of block.transactions) {
      if (tx.kind === 'anchor') this.applyAnchor(tx, block.header.height, block.header.timeMs);
      else this.lastActivityHeight = block.header.height;
      if (tx.kind === 'settlement') this.applyBump(tx);
    }
  }

  private applyAnchor(tx: Transaction & AnchorBody, recordHeight: number, timeMs: bigint): void {
    const decoded = decodeUnsignedBitcoinTx(tx.bitcoinTx);
    const { outpoint, coin } = this.applyWalletSpend(decoded, 0);
    this.records.push({ recordHeight, timeMs, anchoredHeight: tx.height, blockHash: hex(tx.blockHash), bitcoinTxid: decoded.txid });
    if (coin) this.watch(tx, coin);
    else this.unresolved.push({ tx, outpoint });
  }

  /** A peg-out fee bump paid by the wallet (Pegout signs it; here only the wallet's coins move). */
  private applyBump(tx: Transaction): void {
    if (tx.kind !== 'settlement') return;
    const decoded = decodeUnsignedBitcoinTx(tx.bitcoinTx);
    const walletInput = opsWalletInput(tx, decoded);
    if (walletInput !== undefined) this.applyWalletSpend(decoded, walletInput);
  }

  /**
   * A final record spends the wallet coin at `inputIndex` and returns change at output 1 (an
   * anchor after its OP_RETURN, a bump after the escrow change); that change is the wallet's coin
   * from now on, and a change it did not spend stays known as a funding coin.
   */
  private applyWalletSpend(decoded: RecordedBitcoinTx, inputIndex: number): { outpoint: string; coin: FederationCoin | undefined } {
    const input = decoded.inputs[inputIndex]!;
    const outpoint = `${input.txid}:${input.vout}`;
    this.spent.add(outpoint);
    const changeOutput = decoded.outputs[1];
    if (this.change) this.funding.remember(this.change);
    this.change = changeOutput && this.funding.remember({ txid: decoded.txid, vout: 1, value: changeOutput.value, wallet: 'ops' });
    return { outpoint, coin: this.funding.known(outpoint) };
  }

  /** The ledger checked the record; the members' own checks ran before it became final, so signing needs no further one. */
  private watch(tx: Transaction & AnchorBody, coin: FederationCoin): void {
    this.signer.add({ bitcoinTxid: hex(tx.bitcoinTxid), bitcoinTx: tx.bitcoinTx, coins: [coin], what: 'anchor', check: async () => {} });
  }

  /** The coins of final anchors that spend funding this member never scanned (it started later), read from its node. */
  private async resolve(): Promise<void> {
    while (this.unresolved.length > 0) {
      const { tx, outpoint } = this.unresolved[0]!;
      this.watch(tx, await this.fetch(outpoint));
      this.unresolved.shift();
    }
  }

  known(outpoint: string): FederationCoin | undefined {
    return this.funding.known(outpoint);
  }

  /** A wallet coin a final record spends, read from this member's node when it was never scanned. */
  async fetch(outpoint: string): Promise<FederationCoin> {
    const known = this.funding.known(outpoint);
    if (known) return known;
    const [txid, vout] = outpoint.split(':') as [string, string];
    const output = (await this.rpc.getRawTransaction(txid)).outs[Number(vout)];
    if (!output) throw new AnchorError('anchor-coin', `a final record spends ${outpoint} from the operations wallet, which does not exist`);
    return this.funding.remember({ txid, vout: Number(vout), value: BigInt(output.value), wallet: 'ops' });
  }

  get scriptPubKey(): Uint8Array {
    return this.wallet.scriptPubKey;
  }

  /** The wallet's coins as this member knows them: a bump held for want of a coin is retried once they change. */
  coinsKey(): string {
    return walletKey(this.walletCoins());
  }

  /**
   * What pays a peg-out fee bump: the largest confirmed wallet coin no final record has spent, or
   * else the wallet's change once its transaction is on this member's node (the bump then pays
   * for that transaction too: anchors keep the change unconfirmed while blocks are scarce).
   */
  async coinForBump(): Promise<FederationCoin | undefined> {
    return (await this.funding.spendable(this.spent)) ?? (this.ready() ? this.change : undefined);
  }

  /** A validator's check of the coin a peg-out fee bump spends from the wallet: as for an anchor's. */
  async checkBumpCoin(txid: string, vout: number, where: string): Promise<FederationCoin> {
    return this.unspentCoin(txid, vout, where);
  }

  get last(): AnchorRecord | undefined {
    return this.records.at(-1);
  }

  /** Anchor records, newest first, below `beforeRecordHeight` when given. */
  list(beforeRecordHeight: number | undefined, limit: number): AnchorRecord[] {
    const older = this.records.filter((record) => beforeRecordHeight === undefined || record.recordHeight < beforeRecordHeight);
    return older.slice(-limit).reverse();
  }

  /** Interval passed since the last anchor and something besides anchor records became final. */
  private due(tipHeight: number, nowMs: bigint): boolean {
    const dueAtMs = this.dueAtMs();
    if (dueAtMs === undefined) return false;
    return tipHeight - (this.last?.anchoredHeight ?? 0) >= this.genesis.file.anchor.intervalBlocks || nowMs >= dueAtMs;
  }

  /**
   * When the seconds of the interval since the last anchor end, if something besides anchor
   * records became final since: the member runs its signing step then, so the anchor is proposed
   * as it falls due rather than at the first step after.
   */
  dueAtMs(): bigint | undefined {
    const last = this.last;
    if (this.lastActivityHeight <= (last?.anchoredHeight ?? 0)) return undefined;
    return (last?.timeMs ?? this.genesis.timeMs) + BigInt(this.genesis.file.anchor.intervalSeconds) * 1000n;
  }

  /** The last anchor waits in this member's mempool past the bump delay, its change unspent. */
  private stuck(): boolean {
    const last = this.last;
    return last !== undefined && this.change?.txid === last.bitcoinTxid && this.bumper.isStuck(last.bitcoinTxid);
  }

  /** The last anchor's change is unspent and its transaction is watched here without a confirmation. */
  private lastUnconfirmed(): boolean {
    const last = this.last;
    const status = last && this.signer.status(last.bitcoinTxid);
    return status !== undefined && this.change?.txid === last!.bitcoinTxid && !((status.confirmations ?? 0) > 0);
  }

  /**
   * Only for an anchor this member has built itself at the wallet's present state (prepare): a
   * member that wakes consensus for an anchor it cannot build makes an empty block, and so does
   * every other member in turn as it finds the same as proposer.
   */
  hasPendingAnchor(tipHeight: number): boolean {
    return this.wanted(tipHeight) && this.planned?.key === this.planKey() && this.planned.possible;
  }

  /** An anchor is due (or the last one stuck) and there is a coin that might pay it. */
  private wanted(tipHeight: number): boolean {
    return this.walletCoins().length > 0 && this.walletKnown() && this.ready() && (this.due(tipHeight, BigInt(Date.now())) || this.stuck());
  }

  /** An anchor is wanted that this member has not yet tried to build at the wallet's present state: prepare would build it. */
  awaitsPlan(tipHeight: number): boolean {
    return this.wanted(tipHeight) && this.planned?.key !== this.planKey();
  }

  /** What an anchor's plan depends on: the wallet's coins, and whether the next anchor bumps a stuck one (at a fee ceiling). */
  private planKey(): string {
    return `${walletKey(this.walletCoins())}|${this.stuck() ? 'bump' : 'new'}`;
  }

  /**
   * Builds the anchor hasPendingAnchor would ask a block for, without proposing it, unless this
   * member has built one at the wallet's present state: run on every member's signing step, so
   * that each finds for itself whether it can be built before any of them wakes consensus for it.
   */
  async prepare(tip: { height: number; hash: Uint8Array }, feeRateOfBlock: FeeRateOfBlock): Promise<void> {
    if (this.awaitsPlan(tip.height)) await this.pendingAnchor(tip, BigInt(Date.now()), [], feeRateOfBlock);
  }

  /**
   * Whether the wallet's coins are known: the chain has handed the wallet on (an anchor's change),
   * or the funding scan has reached the tip once. Before that a coin found part-way through a
   * starting member's scan is not yet the wallet, and "empty" may only mean "not read yet".
   */
  private walletKnown(): boolean {
    return this.change !== undefined || this.funding.scanned;
  }

  /**
   * A new anchor may spend the wallet's change, so the record that made it must have reached this
   * member's node first, and the chain of unconfirmed wallet transactions it would extend must be
   * shorter than Bitcoin nodes relay: an anchor beyond it would be recorded on the chain and then
   * refused by every node until a block confirms its ancestors.
   */
  private ready(): boolean {
    const status = this.change && this.signer.status(this.change.txid);
    if (status !== undefined && status.confirmations === null) return false;
    if (!this.change || this.signer.relayable(this.change.txid)) {
      this.waitLogged = false;
      return true;
    }
    if (!this.waitLogged) this.log.warn({ unconfirmed: this.signer.unconfirmedAncestorCount(this.change.txid) }, 'anchoring waits for a Bitcoin block: as many anchors wait unconfirmed as Bitcoin nodes accept in one chain');
    this.waitLogged = true;
    return false;
  }

  /**
   * The coin the next anchor spends, and the fee rate it pays: the last anchor's change while it
   * can pay, else the largest funding coin. An empty wallet pays no anchor at any fee rate, so it
   * asks the node none: a proposal would wait for that answer on every build while an anchor is due.
   */
  private async nextSpend(feeRateOfBlock: FeeRateOfBlock): Promise<{ coin: FederationCoin; feeRate: bigint } | undefined> {
    if (this.walletCoins().length === 0) return undefined;
    const feeRate = await feeRateOfBlock();
    const enough = multisigTxVsize(this.signer.escrow, 1, [anchorScript(new Uint8Array(44)), this.wallet.scriptPubKey]) * Number(feeRate) * 4;
    const coin = this.change && this.change.value >= BigInt(enough) ? this.change : ((await this.funding.spendable(this.spent)) ?? this.change);
    return coin && { coin, feeRate };
  }

  /**
   * The anchor record the proposer puts in its next block at `tip`, if one is due or the last one
   * is stuck, and its coin is not spent by one of `others` (a fee bump in the same block).
   */
  async pendingAnchor(tip: { height: number; hash: Uint8Array }, blockTimeMs: bigint, others: readonly Transaction[], feeRateOfBlock: FeeRateOfBlock): Promise<Transaction[]> {
    if (!this.ready()) return [];
    const stuck = this.stuck();
    if (!stuck && !this.due(tip.height, blockTimeMs)) return [];
    if (!this.walletKnown()) return [];
    const spend = await this.nextSpend(feeRateOfBlock);
    if (spend && bumpSpends(others).has(`${spend.coin.txid}:${spend.coin.vout}`)) return [];
    const leading = [{ script: anchorScript(encodeAnchorPayload(this.genesis.chainId, tip.height, tip.hash)), value: 0n }];
    const key = this.planKey();
    try {
      if (!spend) throw new AnchorError('ops-wallet-empty', `the operations wallet ${this.wallet.address(this.signer.network)} has no coin; fund it with strongbox anchor fund`);
      const { coin, feeRate } = spend;
      const plan =
        stuck && coin === this.change
          ? this.bumper.planChild([coin], leading, this.wallet.scriptPubKey, feeRate, MAX_FEE_RATE_MULTIPLE * feeRate)
          : planWalletSpend(this.signer.escrow, [coin], leading, this.wallet.scriptPubKey, feeRate, this.signer.unconfirmedAncestry(coin.txid));
      this.planned = { key, possible: true };
      if (stuck) this.log.warn({ stuck: this.last?.bitcoinTxid, child: plan.txid, fee: plan.fee }, 'anchor waits in the mempool; the next anchor bumps it');
      return [{ kind: 'anchor', height: tip.height, blockHash: tip.hash, bitcoinTxid: new Uint8Array(Buffer.from(plan.txid, 'hex')), bitcoinTx: plan.bitcoinTx, witnesses: [] }];
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      if (this.planned?.key !== key || this.planned.possible) this.log.error({ reason: error.message }, 'anchor not possible');
      this.planned = { key, possible: false };
      return [];
    }
  }

  /**
   * This member's check of the anchor records in a proposed block at `height`: at most one, due
   * (or bumping a stuck anchor), its Bitcoin transaction spending one operations-wallet coin into
   * exactly the payload for the recorded height and hash and change back to the wallet, at a fee
   * within this member's bounds.
   */
  async verifyAnchors(transactions: readonly Transaction[], height: number, blockTimeMs: bigint, feeRateOfBlock: FeeRateOfBlock): Promise<void> {
    const anchors = transactions.filter((tx): tx is Transaction & AnchorBody => tx.kind === 'anchor');
    if (anchors.length === 0) return;
    if (anchors.length > 1) throw new AnchorError('anchor-count', `a block holds at most one anchor record, this one ${anchors.length}`);
    const tx = anchors[0]!;
    const decoded = decodeUnsignedBitcoinTx(tx.bitcoinTx);
    const where = `anchor ${decoded.txid}`;
    const coin = await this.inputCoin(decoded, where);
    if (bumpSpends(transactions).has(`${coin.txid}:${coin.vout}`)) throw new AnchorError('anchor-coin', `${where}: a fee bump in the same block spends ${coin.txid}:${coin.vout}`);
    const bumping = coin === this.change && this.lastUnconfirmed();
    if (!bumping && !this.due(height - 1, blockTimeMs)) throw new AnchorError('anchor-not-due', `${where}: no anchor is due at height ${height} and the last one is not waiting for a block`);
    const [payload, change] = decoded.outputs;
    if (decoded.outputs.length !== 2 || !payload || !change) throw new AnchorError('anchor-shape', `${where}: an anchor has the OP_RETURN and the change, it has ${decoded.outputs.length} outputs`);
    if (payload.value !== 0n || !sameBytes(payload.script, anchorScript(encodeAnchorPayload(this.genesis.chainId, tx.height, tx.blockHash)))) {
      throw new AnchorError('anchor-payload', `${where}: output 0 is not the 44-byte anchor of height ${tx.height} and its block hash`);
    }
    if (!sameBytes(change.script, this.wallet.scriptPubKey)) throw new AnchorError('anchor-change', `${where}: the change does not return to the operations wallet`);
    const vsize = multisigTxVsize(this.signer.escrow, 1, [payload.script, change.script]);
    this.bumper.checkChild([coin], coin.value - change.value, vsize, MAX_FEE_RATE_MULTIPLE * (await feeRateOfBlock()), where);
  }

  /** The one coin an anchor spends. */
  private async inputCoin(decoded: RecordedBitcoinTx, where: string): Promise<FederationCoin> {
    if (decoded.inputs.length !== 1) throw new AnchorError('anchor-shape', `${where}: an anchor spends one coin, it spends ${decoded.inputs.length}`);
    const { txid, vout } = decoded.inputs[0]!;
    return this.unspentCoin(txid, vout, where);
  }

  /** The wallet's change, or an unspent, confirmed output paying the wallet on this member's node. */
  private async unspentCoin(txid: string, vout: number, where: string): Promise<FederationCoin> {
    if (this.change && this.change.txid === txid && this.change.vout === vout) return this.change;
    return this.confirmedCoin(txid, vout, where);
  }

  /** An output paying the wallet that no final record has spent, confirmed and unspent on this member's node. */
  private async confirmedCoin(txid: string, vout: number, where: string): Promise<FederationCoin> {
    if (this.spent.has(`${txid}:${vout}`)) throw new AnchorError('anchor-coin', `${where}: ${txid}:${vout} was already spent from the operations wallet`);
    const out = await this.rpc.getTxOut(txid, vout, false);
    if (!out || out.confirmations < 1 || out.scriptPubKeyHex !== hex(this.wallet.scriptPubKey)) {
      throw new AnchorError('anchor-coin', `${where}: ${txid}:${vout} is not a confirmed, unspent operations-wallet coin on this member's Bitcoin node`);
    }
    return this.funding.remember({ txid, vout, value: out.valueSats, wallet: 'ops' });
  }

  /**
   * Keeps the funding scan going; called on the member's signing step, the only place the scan
   * runs. Proposals and fee bumps take the coins it has found: a starting member's first scan
   * reads up to a week of blocks over RPC, which inside a proposal held up the member's
   * consensus for seconds (13 s on a loaded regtest machine) whenever an anchor fell due.
   *
   * `bitcoinTip` is the best block hash the member's peg-in follower last saw: the scan asks the
   * node again only once that changed, as a coin sent to the wallet arrives only with a block.
   */
  async poll(bitcoinTip: string): Promise<void> {
    await this.resolve();
    if (bitcoinTip === this.fundingScannedAt) return;
    await this.funding.poll();
    this.fundingScannedAt = bitcoinTip;
  }

  /**
   * The wallet's coins: the chain's change and the confirmed funding no final record spent. Asked
   * on every news of work, so it leaves the wallet's address (a script encoding) to walletView.
   */
  private walletCoins(): FederationCoin[] {
    return [...(this.change ? [this.change] : []), ...this.funding.unspent(this.spent).filter((coin) => coin.txid !== this.change?.txid)];
  }

  /** The wallet as published: descriptor, address, and what the chain and the scan know it holds. */
  walletView(): { descriptor: string; address: string; balanceSats: bigint; coins: FederationCoin[] } {
    const coins = this.walletCoins();
    return { descriptor: this.wallet.descriptor, address: this.wallet.address(this.signer.network), balanceSats: coins.reduce((sum, coin) => sum + coin.value, 0n), coins };
  }
}
