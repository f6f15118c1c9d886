import type { Logger } from 'pino';
import { blockHash, decodeHeader, encodeHeader, HEADER_LENGTH, type BlockHeader } from '../../sidechain/block-header.ts';
import { Writer } from '../../sidechain/encoding/index.ts';
import { checkBlockAgainstParent, decodeBlock, encodeBlock, transactionRoot, type Block } from '../../sidechain/block.ts';
import { BlockHashes } from '../../sidechain/block-hashes.ts';
import { sameBytes, toHex } from '../../sidechain/bytes.ts';
import { decodeCommit, encodeCommit, verifyCommit, type CommitCertificate } from '../../sidechain/commit.ts';
import { ConfigError, StrongboxError, ValidationError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import { applyBlock, executeBlock, executeBlockWhile, LedgerState, type BlockEffects, type LedgerContext, type LedgerOverlay } from '../../sidechain/ledger/index.ts';
import { decodeLedger, encodeLedgerPieces, encodeLedgerSteps, freezeLedger, ledgerDigest, type FrozenLedger, type SnapshotPoint } from '../../sidechain/ledger/snapshot.ts';
import { Mempool } from '../../sidechain/mempool.ts';
import { decodeTransaction } from '../../sidechain/transaction/codec.ts';
import { LIMITS, type Transaction } from '../../sidechain/transaction/types.ts';
import type { ChainStore, StoredBlock, StoredSnapshot, StoredSpender } from '../../sidechain/store/chain-store.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { refusedPegoutDestinations } from '../../watcher/federation-scripts.ts';
import { blockRecord, spendersOf } from './block-record.ts';
import { takeDecodedAhead } from './decoded-blocks.ts';
import { RecentFinalBlocks, type FinalBlockParts } from './recent-final-blocks.ts';
import { warmTransactionSignatures } from './signature-warmup.ts';
import { throwIfStopRequested } from './stop-request.ts';

export interface ChainTip {
  height: number;
  hash: Uint8Array;
  timeMs: bigint;
}

export interface ChainOptions {
  maxBlockTransactions: number;
  maxBlockBytes: number;
  maxBlockInputs: number;
  maxBlockOutputs: number;
  mempoolMaxCount: number;
  mempoolMaxBytes: number;
  mempoolMaxOutputs: number;
  /** How far ahead of this member's clock a proposed block's time may be. */
  maxClockDriftMs: number;
  /**
   * How long a proposer may spend running pending transactions into its block; past it the block
   * ends with those already run (one user transaction at least, so a backlog always moves).
   */
  maxBlockBuildMs: number;
  /** A snapshot of the ledger is written after every final block whose height is a multiple of this, and at a clean stop. */
  snapshotIntervalBlocks: number;
  now(): bigint;
}

/** How a start may build its ledger. */
export interface ChainStartOptions {
  /** Told which snapshot the ledger was loaded from, why one was ignored, and what a verifying replay found. */
  log?: Logger;
  /** Replays every block from the genesis, and checks the newest snapshot against the ledger so rebuilt. */
  replayFromGenesis?: boolean;
}

/** How the ledger was built at start, as the log says it. */
export interface ChainStartReport {
  /** The snapshot loaded, or undefined after a replay from the genesis. */
  snapshotHeight?: number;
  /** Snapshots found unfit, newest first, each with the reason. */
  ignored: { height: number; reason: string }[];
  /** A replay from the genesis compared with the newest snapshot at or below the tip. */
  verified?: { height: number; agreed: boolean };
}

/**
 * A block's inputs and outputs bound what every member must do to decide it: verify a signature
 * and delete a row per input, insert a row and a UTXO record per output, all before the round
 * times out (federation/consensus/config.ts). 10,000 of each is what 5,000 two-in, two-out
 * transfers need, so the bounds take nothing from ordinary blocks; without them 4 MiB of
 * 1,000-output transactions made blocks of 57,000 outputs that five members sharing two cores
 * took minutes to decide. The mempool holds two full blocks' worth of outputs, the one being
 * decided and the next: after each block it goes over everything still pending, so a deeper
 * pool costs every block more work and its peak more memory (docs/DECISIONS.md).
 */
export const DEFAULT_CHAIN_OPTIONS: Omit<ChainOptions, 'now'> = {
  maxBlockTransactions: 5_000,
  maxBlockBytes: 4 * 1024 * 1024,
  maxBlockInputs: 10_000,
  maxBlockOutputs: 10_000,
  mempoolMaxCount: 100_000,
  mempoolMaxBytes: 64 * 1024 * 1024,
  mempoolMaxOutputs: 20_000,
  maxClockDriftMs: 10_000,
  // A quarter of the default propose timeout (federation/consensus/config.ts): the block must still
  // be sent, and run by every member, before the others' timeouts fire.
  maxBlockBuildMs: 250,
  // At 1,000,000 UTXOs a snapshot is 82 MB and 3-4 s of encoding in steps (PERFORMANCE.md), and
  // 10,000 one-transfer blocks replay in about 2 s: what a start costs at most beyond the load.
  snapshotIntervalBlocks: 10_000,
};

/** Snapshots kept: the newest, and the one before it should the newest be found damaged. */
const KEPT_SNAPSHOTS = 2;

/** Final blocks kept for reads as they become final: a waiting client asks for the newest one or two. */
const RECENT_FINAL_BLOCKS = 16;

/** The start-up replay reads stored blocks this many at a time, and no more bytes of transactions than this past the first. */
const REPLAY_RANGE = { blocks: 100, bytes: 16 * 1024 * 1024 };

/** Every valid transaction must fit in a block, or the first too large would stall the mempool's FIFO for good. */
export function checkChainOptions(options: ChainOptions): void {
  const atLeast: [keyof ChainOptions, number][] = [
    ['maxBlockTransactions', 1],
    ['maxBlockBytes', LIMITS.maxTxBytes],
    ['maxBlockInputs', LIMITS.maxInputs],
    ['maxBlockOutputs', LIMITS.maxOutputs],
    ['maxBlockBuildMs', 0],
    ['snapshotIntervalBlocks', 1],
  ];
  for (const [field, least] of atLeast) {
    const value = options[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < least) throw new ConfigError(field, `must be an integer of at least ${least}, got ${String(value)}`);
  }
}

/** A block executed against the tip: its changes wait in an overlay until it is final. */
interface Checked {
  block: Block;
  effects: BlockEffects;
  view: LedgerOverlay;
}

/**
 * One member's view of the chain: the ledger in memory, the mempool, and the store. It builds
 * proposals, checks other members' proposals by executing every transaction, and applies final
 * blocks: first durably to the store, then to memory, so a crash between the two replays the
 * block from the store at the next start.
 */
export class Chain {
  private readonly checked = new Map<string, Checked>();
  /** Consensus and catch-up both append blocks; one at a time. */
  private appending: Promise<unknown> = Promise.resolve();
  private readonly hashes: BlockHashes;
  private readonly finalListeners: ((block: Block) => void)[] = [];
  private readonly recent = new RecentFinalBlocks(RECENT_FINAL_BLOCKS);
  /** A snapshot being encoded and written; one at a time. */
  private snapshotting: Promise<void> | undefined;
  /** The height of the newest snapshot known to hold this ledger: loaded, found to agree, or written. */
  private snapshotHeight: number | undefined;

  private constructor(
    readonly genesis: Genesis,
    private readonly store: ChainStore,
    readonly ledger: LedgerState,
    readonly mempool: Mempool,
    private tipState: ChainTip,
    hashes: BlockHashes,
    private readonly options: ChainOptions,
    readonly started: ChainStartReport,
    private readonly log: Logger | undefined,
  ) {
    this.hashes = hashes;
    this.snapshotHeight = started.snapshotHeight ?? (started.verified?.agreed ? started.verified.height : undefined);
  }

  /**
   * Builds the ledger from the newest stored snapshot fit to start from, then replays the stored
   * final blocks above it in order; from the genesis when none is fit, or when asked to.
   */
  static async open(genesis: Genesis, store: ChainStore, options: ChainOptions, stopRequested?: AbortSignal, start: ChainStartOptions = {}): Promise<Chain> {
    checkChainOptions(options);
    const { log } = start;
    const tipHeight = await store.tipHeight();
    const snapshots = (await store.ledgerSnapshots()).filter((snapshot) => snapshot.height <= tipHeight);
    const started: ChainStartReport = { ignored: [] };
    const loaded = start.replayFromGenesis ? undefined : await loadNewestSnapshot(genesis, store, snapshots, tipHeight, started, log);
    const ledger = loaded?.ledger ?? new LedgerState();
    const hashes = loaded?.hashes ?? new BlockHashes(genesis.chainId);
    const from = loaded?.tip ?? { height: 0, hash: genesis.chainId, timeMs: genesis.timeMs };
    const newest = snapshots[0];
    const checkpoint = start.replayFromGenesis && newest ? snapshotCheck(newest, started, log) : undefined;
    const tip = await replayStoredBlocks(genesis, store, ledger, hashes, stopRequested, from, tipHeight, checkpoint);
    // A snapshot of another ledger than the replayed one is never loaded later, nor kept as the older of two.
    if (started.verified?.agreed === false) await store.deleteLedgerSnapshot(started.verified.height);
    const mempool = new Mempool(ledger, contextFor(genesis, tip.height + 1, hashes), {
      maxCount: options.mempoolMaxCount,
      maxBytes: options.mempoolMaxBytes,
      maxOutputs: options.mempoolMaxOutputs,
    });
    return new Chain(genesis, store, ledger, mempool, tip, hashes, options, started, log);
  }

  /**
   * Writes a snapshot of the ledger at the tip unless one known to hold it is there, once the
   * blocks being appended are: at a clean stop, so that the next start replays nothing. A failure
   * is logged.
   */
  async snapshotAtTip(): Promise<void> {
    await this.idle();
    const { height, hash } = this.tipState;
    if (height > 0 && height !== this.snapshotHeight) await this.writeSnapshot({ height, blockHash: hash });
  }

  /** Resolves once no block is being appended and no snapshot written. */
  async idle(): Promise<void> {
    for (;;) {
      const appending = this.appending;
      await appending;
      await this.snapshotting;
      if (appending === this.appending && this.snapshotting === undefined) return;
    }
  }

  /** Starts writing a snapshot of the ledger as it is now, at a height boundary, unless one is being written. */
  private snapshotTip(): void {
    if (this.snapshotting) return;
    const { height, hash } = this.tipState;
    this.snapshotting = this.writeSnapshot({ height, blockHash: hash }).finally(() => (this.snapshotting = undefined));
  }

  /**
   * Copies the ledger at `point`, the tip, before its first await (so at the height boundary the
   * caller is at), then encodes and stores the copy in steps; never rejects: a block has been
   * applied whatever becomes of its snapshot.
   */
  private async writeSnapshot(point: SnapshotPoint): Promise<void> {
    const started = performance.now();
    try {
      const frozen = freezeLedger(this.ledger, point);
      const { pieces, digest } = encodeLedgerSteps(frozen);
      await this.store.saveLedgerSnapshot(frozen.point, pieces, digest, KEPT_SNAPSHOTS);
      this.snapshotHeight = Math.max(this.snapshotHeight ?? 0, point.height);
      this.log?.info({ height: point.height, utxos: frozen.utxos.size, ms: Math.round(performance.now() - started) }, 'ledger snapshot written');
    } catch (error) {
      this.log?.warn({ err: error, height: point.height }, 'ledger snapshot not written: the next start loads an older one and replays the blocks above it');
    }
  }

  /** Called with every block this member applies as final, after the ledger has it. */
  onFinalBlock(listener: (block: Block) => void): void {
    this.finalListeners.push(listener);
  }

  get tip(): ChainTip {
    return this.tipState;
  }

  hashAt(height: number): Uint8Array | undefined {
    return this.hashes.at(height);
  }

  private context(height: number): LedgerContext {
    return contextFor(this.genesis, height, this.hashes);
  }

  /** Admits a user's transaction to the mempool after full validation; throws and changes nothing otherwise. */
  submit(tx: Transaction): string {
    return this.mempool.add(tx);
  }

  /** A proposed or final block's bytes decoded, the transactions this member holds pending taken as they were admitted. */
  decodeBlock(bytes: Uint8Array): Block {
    return decodeBlock(bytes, (witnessId) => this.mempool.withWitnessId(witnessId));
  }

  hasPendingWork(): boolean {
    return this.mempool.count > 0;
  }

  /**
   * A block on top of the tip, already executed against the ledger: the federation's own
   * transactions (mints) first, then pending user transactions, as many as the block's limits and
   * `maxBlockBuildMs` allow. Under load the build took seconds, and a proposal sent after the
   * others' propose timeout loses its round; the transactions left out go in the next block.
   */
  buildBlock(height: number, proposer: number, federationTransactions: readonly Transaction[] = []): { hash: Uint8Array; bytes: Uint8Array } {
    if (height !== this.tipState.height + 1) throw new ValidationError('wrong-height', `cannot build block ${height} on tip ${this.tipState.height}`);
    const { maxBlockTransactions, maxBlockBytes, maxBlockInputs, maxBlockOutputs, maxBlockBuildMs } = this.options;
    const limits = { transactions: maxBlockTransactions, bytes: maxBlockBytes, inputs: maxBlockInputs, outputs: maxBlockOutputs };
    const candidates = [...federationTransactions, ...this.mempool.select(limits, federationTransactions)];
    const started = performance.now();
    const withinTime = (executed: number) => executed <= federationTransactions.length || performance.now() - started < maxBlockBuildMs;
    const { effects, view } = executeBlockWhile(this.ledger, candidates, this.context(height), withinTime);
    const transactions = candidates.slice(0, effects.txs.length);
    const now = this.options.now();
    const header: BlockHeader = {
      version: 1,
      chainId: this.genesis.chainId,
      height,
      previousHash: this.tipState.hash,
      timeMs: now > this.tipState.timeMs ? now : this.tipState.timeMs + 1n,
      txRoot: transactionRoot(transactions),
      txCount: transactions.length,
      proposer,
      memberSetHash: this.genesis.memberSetHash,
    };
    const block = { header, transactions };
    const hash = blockHash(header);
    this.checked.set(Buffer.from(hash).toString('hex'), { block, effects, view });
    return { hash, bytes: encodeBlock(block) };
  }

  /**
   * Checks a proposed block, decoded from its bytes once by the caller, as a whole: hash, link to
   * the tip, time, and the execution of every transaction against this member's own ledger.
   * Throws the first problem found.
   */
  checkBlock(height: number, hash: Uint8Array, block: Block): void {
    if (!this.checked.has(Buffer.from(hash).toString('hex'))) this.check(height, hash, block, { voting: true });
  }

  private check(height: number, hash: Uint8Array, block: Block, { voting }: { voting: boolean }): void {
    // A proposal consensus still holds for a height catch-up has stored meanwhile: no fault of its proposer.
    if (height <= this.tipState.height) throw new ValidationError('already-final', `block ${height} is already final here (the chain's tip is ${this.tipState.height}): catch-up stored it while the proposal was being decided`);
    if (!sameBytes(blockHash(block.header), hash)) throw new ValidationError('bad-block', 'the block does not hash to the proposed hash');
    if (block.header.height !== height) throw new ValidationError('bad-block', `block for height ${block.header.height} proposed at ${height}`);
    checkBlockAgainstParent(block, parentOf(this.genesis, this.tipState));
    // A rule of voting, not of the chain (PROTOCOL.md, Part II §4): a block k members certified is
    // final whatever this member's clock reads, and a member whose clock is slow follows the chain
    // at once rather than refuse its peers' blocks until its clock catches up.
    const limit = this.options.now() + BigInt(this.options.maxClockDriftMs);
    if (voting && block.header.timeMs > limit) throw new ValidationError('bad-block', `block time ${block.header.timeMs} is ahead of this member's clock by more than ${this.options.maxClockDriftMs} ms`);
    const { effects, view } = executeBlock(this.ledger, block.transactions, this.context(height));
    this.checked.set(Buffer.from(hash).toString('hex'), { block, effects, view });
  }

  /** Stores a final block, then applies it in memory; the certificate is checked first. */
  commitBlock(hash: Uint8Array, bytes: Uint8Array, certificate: CommitCertificate): Promise<Block> {
    const run = this.appending.then(() => this.appendBlock(hash, bytes, certificate));
    this.appending = run.catch(() => undefined);
    return run;
  }

  private async appendBlock(hash: Uint8Array, bytes: Uint8Array, certificate: CommitCertificate): Promise<Block> {
    const height = this.tipState.height + 1;
    const key = Buffer.from(hash).toString('hex');
    try {
      verifyCommit(this.genesis.chainId, height, hash, certificate, this.genesis.members);
    } catch (error) {
      // Consensus and catch-up both append, one after the other. A block the other stored first is
      // checked here as the next height's, where its signatures fail: that would read as a member's
      // forged signature in the log, though nothing is wrong.
      const stored = this.finalHeightOf(hash, bytes);
      if (stored !== undefined) {
        throw new ValidationError('already-final', `block ${stored} (${key}) is already final here, below the next height ${height}: consensus and catch-up both append final blocks, and the other stored it first`);
      }
      throw error;
    }
    if (!this.checked.has(key)) {
      // A block not seen as a proposal (caught up, or decided while this member was busy) carries
      // signatures no mempool has verified: they are verified on every core first, unless a
      // catch-up's warm-up already started them while fetching ahead. Appends are serialised,
      // so the tip cannot move while that runs.
      let block = takeDecodedAhead(bytes);
      if (!block) {
        block = this.decodeBlock(bytes);
        await warmTransactionSignatures(this.ledger, block.transactions, this.genesis.chainId);
      }
      if (!this.checked.has(key)) this.check(height, hash, block, { voting: false });
    }
    const { block, effects, view } = this.checked.get(key)!;
    const record = blockRecord({ height, hash, header: encodeHeader(block.header), commit: encodeCommit(certificate), timeMs: block.header.timeMs }, block.transactions, effects);
    await this.store.saveBlock(record).catch(async (error: unknown) => {
      // A member killed while its store ran the statement may restart, load the tip below, and
      // only then see that statement commit: the store already holds this very block, whose rows
      // are the ones computed here (the same block on the same chain). Anything else is refused.
      if (!(await this.storeHolds(height, hash))) throw error;
    });
    // The overlay was executed against this very tip (checked entries are dropped whenever the
    // tip moves), so committing it is applying the block without validating it a second time.
    view.commit(this.ledger);
    this.hashes.push(hash);
    this.tipState = { height, hash, timeMs: block.header.timeMs };
    // Executing the block computed every id (txInfo keeps it with the transaction).
    this.recent.add(height, { hash, header: record.header, commit: record.commit, txids: block.transactions.map((tx) => txInfo(tx).idHex) });
    this.checked.clear();
    this.mempool.blockApplied(block.transactions, this.ledger, this.context(height + 1));
    for (const listener of this.finalListeners) listener(block);
    if (height % this.options.snapshotIntervalBlocks === 0) this.snapshotTip();
    return block;
  }

  /** The height at which this very block is already final here, read from its header; undefined when it is not. */
  private finalHeightOf(hash: Uint8Array, bytes: Uint8Array): number | undefined {
    let height: number;
    try {
      height = decodeHeader(bytes.subarray(0, HEADER_LENGTH)).height;
    } catch {
      return undefined;
    }
    const final = height >= 1 && height <= this.tipState.height ? this.hashes.at(height) : undefined;
    return final && sameBytes(final, hash) ? height : undefined;
  }

  private async storeHolds(height: number, hash: Uint8Array): Promise<boolean> {
    const stored = await this.store.blockAt(height).catch(() => null);
    return stored !== null && sameBytes(stored.hash, hash);
  }

  /** A final block fetched from a peer during catch-up: the same checks as any other. */
  async applyFinalBlock(bytes: Uint8Array, commitBytes: Uint8Array): Promise<Block> {
    // The hash is the header's alone; the body is decoded once, when the block is checked.
    const header = decodeHeader(bytes.subarray(0, HEADER_LENGTH));
    return this.commitBlock(blockHash(header), bytes, decodeCommit(commitBytes));
  }

  /** One of the newest final blocks, as the store holds it; undefined for older ones and those above the tip. */
  recentFinalBlock(height: number): FinalBlockParts | undefined {
    return this.recent.at(height);
  }

  async finalBlockAt(height: number): Promise<{ block: Uint8Array; commit: Uint8Array } | null> {
    const stored = await this.store.blockAt(height);
    return stored && servedBlock(stored);
  }

  /** Consecutive final blocks from `from`, as ChainStore.blocksFrom bounds them; empty past the tip. */
  async finalBlocksFrom(from: number, maxBlocks: number, maxBytes: number): Promise<{ height: number; block: Uint8Array; commit: Uint8Array }[]> {
    return (await this.store.blocksFrom(from, maxBlocks, maxBytes)).map((stored) => ({ height: stored.height, ...servedBlock(stored) }));
  }
}

/** A stored block's canonical bytes: its rows are the block's own parts, so nothing is re-encoded. */
function servedBlock(stored: { header: Uint8Array; commit: Uint8Array; transactions: Uint8Array[] }): { block: Uint8Array; commit: Uint8Array } {
  const writer = new Writer().bytes(stored.header).varint(stored.transactions.length);
  for (const tx of stored.transactions) writer.varBytes(tx);
  return { block: writer.finish(), commit: stored.commit };
}

/** A member's store does not hold the chain it should: the member must not start on it. */
export class StoredChainError extends StrongboxError {
  constructor(message: string) {
    super('stored-chain', message);
  }
}

/**
 * A store damaged or changed behind the member's back. Nothing in it is trusted, and nothing in it
 * is needed either: the blocks are the other members' too.
 */
function damagedStore(reason: string): StoredChainError {
  return new StoredChainError(
    `${reason}: the database was changed or damaged; restore a backup, or start the member on an empty database and it fetches and checks every block from its peers (OPERATOR.md, "Backups")`,
  );
}

/** What a block at the next height must link to. */
function parentOf(genesis: Genesis, tip: ChainTip) {
  return { chainId: genesis.chainId, height: tip.height, hash: tip.hash, timeMs: tip.timeMs, memberSetHash: genesis.memberSetHash, memberCount: genesis.members.keys.length };
}

/**
 * The checks of a block that need no ledger and no signature, made again on a stored block
 * before it is replayed: a store changed or damaged behind the member's back (a header, a hash or
 * a transaction that is not the one decided) stops the start instead of building a ledger that
 * differs from the other members'.
 */
function checkStoredBlock(genesis: Genesis, tip: ChainTip, stored: StoredBlock, transactions: Transaction[]): BlockHeader {
  const header = decodeHeader(stored.header);
  if (!sameBytes(blockHash(header), stored.hash)) throw damagedStore(`the store's block ${stored.height} does not hash to the hash stored with it`);
  // Not damage but a setting: the database of another chain, or a genesis file of another chain.
  if (!sameBytes(header.chainId, genesis.chainId)) {
    throw new StoredChainError(
      `the member's database holds blocks of chain ${Buffer.from(header.chainId).toString('hex')}, not of this genesis's chain ${Buffer.from(genesis.chainId).toString('hex')}: the config names another chain's database (databaseUrl, DATABASE_URL or dataDir) or another chain's genesis (genesisFile)`,
    );
  }
  try {
    checkBlockAgainstParent({ header, transactions }, parentOf(genesis, tip));
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw damagedStore(`the store's block ${stored.height} is not the chain's: ${error.message}`);
  }
  return header;
}

/** Stored blocks read back, their transactions decoded once. */
interface ReplayRange {
  blocks: { stored: StoredBlock; transactions: Transaction[] }[];
  /** Signatures of the range's transfers, verifying on the thread pool. */
  warmed: Promise<void>;
}

/**
 * Applies every stored block to `ledger` in order and returns the tip. The store is read a range
 * at a time, and the signatures of the next range are verified on the thread pool while this one
 * is applied, so a restart uses every core; applying still verifies every witness through the
 * one synchronous path, which finds them in the signature cache.
 */
async function replayStoredBlocks(
  genesis: Genesis,
  store: ChainStore,
  ledger: LedgerState,
  hashes: BlockHashes,
  stopRequested: AbortSignal | undefined,
  from: ChainTip,
  tipHeight: number,
  checkpoint?: { height: number; reached(frozen: FrozenLedger): void },
): Promise<ChainTip> {
  // Blocks stored before the store kept spenders (migration 007) get them as they are replayed.
  const spendersIndexedThrough = await store.spendersIndexedThrough();
  // Owners of outputs created by ranges read but not applied yet, which the next range may spend.
  const createdOwners = new Map<string, Uint8Array>();
  const read = async (from: number): Promise<ReplayRange> => {
    const stored = from > tipHeight ? [] : await store.blocksFrom(from, REPLAY_RANGE.blocks, REPLAY_RANGE.bytes);
    const blocks = stored.map((one) => ({ stored: one, transactions: one.transactions.map(decodeTransaction) }));
    // The warm-up decides nothing, so a failure of it only leaves the signatures to applying.
    const warmed = warmTransactionSignatures(ledger, blocks.flatMap((block) => block.transactions), genesis.chainId, createdOwners).catch(() => undefined);
    return { blocks, warmed };
  };
  let tip = from;
  let range = await read(from.height + 1);
  while (range.blocks.length > 0) {
    // Replay only reads the store, but for the spenders of old blocks, each range saved at once.
    throwIfStopRequested(stopRequested);
    // The next range is read and its warm-up started before this one is applied, so the pool verifies it meanwhile.
    const [next] = await Promise.all([read(range.blocks.at(-1)!.stored.height + 1), range.warmed]);
    const unindexedSpenders: (StoredSpender & { height: number })[] = [];
    for (const { stored, transactions } of range.blocks) {
      const height = tip.height + 1;
      if (stored.height !== height) break;
      const header = checkStoredBlock(genesis, tip, stored, transactions);
      applyBlock(ledger, transactions, contextFor(genesis, height, hashes));
      hashes.push(stored.hash);
      tip = { height, hash: stored.hash, timeMs: header.timeMs };
      if (height === checkpoint?.height) checkpoint.reached(freezeLedger(ledger, { height, blockHash: stored.hash }));
      for (const tx of transactions) for (const key of txInfo(tx).outputKeys) createdOwners.delete(key);
      if (height > spendersIndexedThrough) unindexedSpenders.push(...spendersOf(transactions).map((spender) => ({ ...spender, height })));
    }
    if (unindexedSpenders.length > 0) await store.saveSpenders(unindexedSpenders);
    if (tip.height < range.blocks.at(-1)!.stored.height) break;
    range = next;
  }
  if (tip.height < tipHeight) throw damagedStore(`the store has no block ${tip.height + 1} below its tip ${tipHeight}`);
  return tip;
}

/** The first of `snapshots` (newest first) fit to start from, loaded; each unfit one logged and reported with its reason. */
async function loadNewestSnapshot(genesis: Genesis, store: ChainStore, snapshots: StoredSnapshot[], tipHeight: number, started: ChainStartReport, log: Logger | undefined) {
  for (const snapshot of snapshots) {
    const found = await loadSnapshot(genesis, store, snapshot);
    if (typeof found !== 'string') {
      started.snapshotHeight = snapshot.height;
      log?.info({ height: snapshot.height, blocksAbove: tipHeight - snapshot.height }, 'ledger loaded from its snapshot; replaying the blocks above it');
      return found;
    }
    started.ignored.push({ height: snapshot.height, reason: found });
    log?.warn({ height: snapshot.height, reason: found }, 'ledger snapshot ignored');
  }
  return undefined;
}

/** What a replay from the genesis does at the height of `snapshot`: compares the ledger it reached there with it, and reports and logs whether they agree. */
function snapshotCheck(snapshot: StoredSnapshot, started: ChainStartReport, log: Logger | undefined): { height: number; reached(frozen: FrozenLedger): void } {
  return {
    height: snapshot.height,
    reached: (frozen) => {
      const agreed = sameBytes(frozen.point.blockHash, snapshot.blockHash) && sameBytes(ledgerDigest(encodeLedgerPieces(frozen)), snapshot.digest);
      started.verified = { height: snapshot.height, agreed };
      if (agreed) log?.info({ height: snapshot.height }, 'the ledger replayed from the genesis has the digest of the snapshot at its height');
      else log?.error({ height: snapshot.height }, "the ledger replayed from the genesis differs from the snapshot at its height, which is deleted: the snapshot was damaged, or this member's software differs from the one that wrote it");
    },
  };
}

/**
 * The ledger as a stored snapshot holds it, with the tip it is the state at and the hashes of the
 * blocks through that tip read from the store; or why the snapshot is not fit to start from. The
 * blocks below it were checked when they were applied, and `--replay` checks them all again.
 */
async function loadSnapshot(genesis: Genesis, store: ChainStore, snapshot: StoredSnapshot): Promise<{ ledger: LedgerState; tip: ChainTip; hashes: BlockHashes } | string> {
  const { height } = snapshot;
  const stored = await store.blockAt(height);
  if (!stored) return `the store has no block ${height}`;
  const header = decodeHeader(stored.header);
  if (!sameBytes(blockHash(header), stored.hash) || !sameBytes(header.chainId, genesis.chainId)) return `the store's block ${height} is not this chain's: the replay says why`;
  if (!sameBytes(stored.hash, snapshot.blockHash)) return `it is of block ${toHex(snapshot.blockHash)}, the store holds ${toHex(stored.hash)} at height ${height}: a store restored to an older point, or another chain's snapshot`;
  const bytes = await store.ledgerSnapshotBytes(height);
  if (bytes.length !== snapshot.size || !sameBytes(ledgerDigest(bytes), snapshot.digest)) return `its ${bytes.length} bytes do not hash to its digest ${toHex(snapshot.digest)}: the row is damaged`;
  let decoded: ReturnType<typeof decodeLedger>;
  try {
    decoded = decodeLedger(bytes);
  } catch (error) {
    return `its bytes do not decode: ${(error as Error).message}`;
  }
  if (decoded.point.height !== height || !sameBytes(decoded.point.blockHash, snapshot.blockHash)) return `its bytes are the ledger at block ${decoded.point.height}, not at the block its row names`;
  const hashes = new BlockHashes(genesis.chainId);
  for await (const page of store.blockHashes(height)) {
    for (const block of page) {
      if (block.height !== hashes.tipHeight + 1) return `the store has no block ${hashes.tipHeight + 1} below it`;
      hashes.push(block.hash);
    }
  }
  if (hashes.tipHeight !== height) return `the store has no block ${hashes.tipHeight + 1} below it`;
  return { ledger: decoded.ledger, tip: { height, hash: stored.hash, timeMs: header.timeMs }, hashes };
}

/** The ledger context of a block at `height`, from the genesis and the hashes of the blocks below it. */
export function contextFor(genesis: Genesis, height: number, hashes: BlockHashes): LedgerContext {
  return {
    chainId: genesis.chainId,
    height,
    blockHash: (h) => hashes.at(h),
    pegoutMinimumSats: BigInt(genesis.file.pegout.minimumSats),
    refusedPegoutDestinations: refusedPegoutDestinations(genesis),
  };
}
