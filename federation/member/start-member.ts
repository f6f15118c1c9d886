import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from 'pino';
import { ConfigError, ValidationError } from '../../sidechain/errors.ts';
import { decodeTransaction, encodeTransaction } from '../../sidechain/transaction/codec.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import type { ChainStore } from '../../sidechain/store/chain-store.ts';
import { DEFAULT_TIMEOUTS, decodeWalRecord, durableStateFromWal, encodeEvidence, encodeMessage, encodeWalRecord, restoreFromWal, type ConsensusConfig } from '../consensus/index.ts';
import type { MemberConfig } from '../config.ts';
import { readKeyFile } from '../key-file.ts';
import { readGenesisFile } from '../genesis-file.ts';
import { asDatabaseSettingError, migratedChainStore, openMemberDatabase } from '../postgres/member-database.ts';
import { claimMemberDatabase, type DatabaseClaim } from '../postgres/database-claim.ts';
import { KeyInUseCheck } from './key-in-use.ts';
import { assertPeersOfGenesis } from './peer-list.ts';
import { rerecordForgottenVotes } from './forgotten-votes.ts';
import { throwIfStopRequested } from './stop-request.ts';
import { assertDatabaseOfThisMember } from './member-identity.ts';
import { BitcoinNodeHealth } from './bitcoin-node-health.ts';
import { DatabaseHealth } from './database-health.ts';
import { createApiApp } from '../api/app.ts';
import { withOpenApiRoute } from '../api/openapi.ts';
import { MAX_WAITING_REQUESTS, memberRoutes } from '../api/member-routes.ts';
import { closeApi, listenApi } from '../api/serve.ts';
import { outputRoutes } from '../api/output-routes.ts';
import { registryRoutes } from '../api/registry-routes.ts';
import { RegistryAuthenticator } from '../roles/authorize.ts';
import { CredentialStore } from '../roles/credential-store.ts';
import { pegoutRoutes } from '../api/pegout-routes.ts';
import { listRoutes } from '../api/list-routes.ts';
import { anchorRoutes } from '../api/anchor-routes.ts';
import { mountExplorer } from '../explorer/explorer.ts';
import { ChainQueries } from '../../sidechain/store/chain-queries.ts';
import { createMonitoring } from './monitoring.ts';
import { createMemberMetrics } from '../observability/metrics.ts';
import { IntervalLog } from '../observability/interval-log.ts';
import { errorFields } from '../observability/logger.ts';
import { startPeerTransport, type PeerTransport } from '../transport/peer-transport.ts';
import { PeerLinkWarnings } from './peer-link-warnings.ts';
import { PeerLinkFailures } from './peer-link-failures.ts';
import { Chain, DEFAULT_CHAIN_OPTIONS } from './chain.ts';
import { ConsensusDriver } from './consensus-driver.ts';
import { HeightWaiters } from './height-waiters.ts';
import { catchUp, catchUpWanted } from './catch-up.ts';
import { assertCanListen, listenFailure } from './listen-check.ts';
import { Pegin } from './pegin.ts';
import { DEFAULT_PEGOUT_OPTIONS, Pegout, type PegoutOptions } from './pegout.ts';
import { PeriodicTask } from './periodic-task.ts';
import { DueStep } from './due-step.ts';
import { Anchoring } from './anchoring.ts';
import { prepareBitcoinRecords, proposedBitcoinRecords, verifyBitcoinRecords } from './block-bitcoin-records.ts';
import { BitcoinRecords } from './bitcoin-records.ts';
import { FederationSigner } from './federation-signer.ts';
import { admitRelayedBatch, decodeTransactionBatch, sendPendingOnLinkUp, TransactionRelay } from './transaction-relay.ts';
import { ORPHAN_LIMITS, ORPHAN_LOOKUP_TXIDS, OrphanTransactions } from './orphan-transactions.ts';
import { PeginStore } from './pegin-store.ts';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { nodeFollows } from '../../watcher/networks.ts';
import { RpcError } from '../../watcher/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import { MAX_BLOCK_BYTES } from '../../sidechain/block.ts';
import { decodeHeader } from '../../sidechain/block-header.ts';
import { endPool } from '../postgres/end-pool.ts';
import { logPoolErrors } from '../postgres/pool-errors.ts';

/**
 * First byte of every peer payload: what follows. Type 3 carries signatures of any
 * federation-signed Bitcoin transaction; type 2, one transaction a frame, is no longer sent:
 * transactions travel in batches (type 4).
 */
const PeerPayload = { Consensus: 1, FederationSignatures: 3, Transactions: 4 } as const;
/**
 * How often a member asks its Bitcoin node for the tip: a new block's deposits wait for this before
 * they can be minted, and an unchanged tip costs one cheap RPC (getbestblockhash) and nothing else.
 */
const BITCOIN_POLL_MS = 200;
/** Refused peer payloads are logged once per peer in this interval, then as a count. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;
/** A step retried every second or so logs the same failure once a minute, with the count. */
const RETRY_LOG_INTERVAL_MS = 60_000;
/** How long a stop waits for a Bitcoin-following or signing step in progress to end. */
const STEP_END_WAIT_MS = 3_000;
const BEHIND_SYNC_INTERVAL_MS = 1_000;
/**
 * Waits before each fetch of a block a quorum decided without this member. Its signers store it
 * moments after their precommits leave, so the first fetch may come too early; after these,
 * consensus asks again at its next regossip.
 */
const DECIDED_FETCH_DELAYS_MS = [0, 50, 200, 500];

export interface RunningMember {
  apiUrl: string;
  peerPort: number;
  chain: Chain;
  /** Settles with the reason the member must stop by itself: another process took its database, or its embedded server exited. */
  mustStop: Promise<Error>;
  stop(): Promise<void>;
}

function tagged(tag: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out[0] = tag;
  out.set(payload, 1);
  return out;
}

/** This member's peg-out options: the defaults, with the batch window its config gives. */
const pegoutOptionsOf = (config: MemberConfig): PegoutOptions => ({ ...DEFAULT_PEGOUT_OPTIONS, batchWindowMs: config.pegoutBatchWindowMs });

interface OpenedState {
  store: ChainStore;
  chain: Chain;
  peginStore: PeginStore;
  rpc: BitcoinRpc;
  pegin: Pegin;
  signer: FederationSigner;
  anchoring: Anchoring;
  pegout: Pegout;
  bitcoinRecords: BitcoinRecords;
}

/** The member's database, migrated and known to be this member's, and its Bitcoin node, known to follow the genesis's network. */
async function openStore(config: MemberConfig, genesis: Genesis, pool: pg.Pool, stopRequested: AbortSignal | undefined): Promise<{ rpc: BitcoinRpc; store: ChainStore }> {
  const rpc = new BitcoinRpc(config.bitcoin.rpcUrl);
  // Asked first on every start, not only when a new database needs Bitcoin: a member restarted
  // with a mistyped node would otherwise run blind to deposits and payments, retrying forever.
  // The node may take the connection and stay silent (a node paused, or still loading): a stop
  // ends the wait at once rather than after the RPC timeout, and says what the start waited on.
  const { chain: followed } = await rpc.getBlockchainInfo(stopRequested).catch((error: unknown) => {
    throwIfStopRequested(stopRequested, `its Bitcoin node at ${rpc.displayUrl}`);
    throw error;
  });
  if (!nodeFollows(followed, genesis.file.bitcoinNetwork)) {
    throw new ConfigError('bitcoin.rpcUrl', `the Bitcoin node at ${rpc.displayUrl} follows ${followed}, the genesis names ${genesis.file.bitcoinNetwork}`);
  }
  const store = await migratedChainStore(pool, stopRequested);
  await assertDatabaseOfThisMember(store, genesis, config.memberIndex);
  return { rpc, store };
}

/** How a start builds the member's ledger: `replayFromGenesis` replays every block and checks the newest snapshot against the result (`member start --replay`). */
export interface MemberStartOptions {
  replayFromGenesis?: boolean;
}

/** The member's state read from its database; nothing runs yet, and nothing is written. */
async function openState(config: MemberConfig, genesis: Genesis, pegPrivateKey: Uint8Array, pool: pg.Pool, { rpc, store }: { rpc: BitcoinRpc; store: ChainStore }, log: Logger, stopRequested: AbortSignal, start: MemberStartOptions): Promise<OpenedState> {
  const options = { ...DEFAULT_CHAIN_OPTIONS, snapshotIntervalBlocks: config.snapshotIntervalBlocks, now: () => BigInt(Date.now()) };
  const chain = await Chain.open(genesis, store, options, stopRequested, { log, replayFromGenesis: start.replayFromGenesis });
  throwIfStopRequested(stopRequested);
  const peginStore = new PeginStore(pool);
  const pegin = await Pegin.start(genesis, rpc, peginStore, log);
  // Peg-outs, their fee bumps and anchors are all federation-signed Bitcoin transactions: one signer.
  const signer = new FederationSigner(genesis, rpc, { memberIndex: config.memberIndex, pegPrivateKey }, log);
  const bumpOptions = { afterMs: config.feeBumpAfterSeconds * 1000 };
  // The operations wallet pays anchors and peg-out fee bumps; Anchoring keeps its coins.
  const anchoring = await Anchoring.start(genesis, rpc, store, signer, bumpOptions, log);
  const pegout = await Pegout.start(genesis, rpc, store, signer, anchoring, bumpOptions, log, pegoutOptionsOf(config));
  const bitcoinRecords = await BitcoinRecords.load(store);
  return { store, chain, peginStore, rpc, pegin, signer, anchoring, pegout, bitcoinRecords };
}

/**
 * One federation member: its database, its ledger, consensus with the other members, and its
 * API. Starting checks that the keys belong to the genesis seat named by the config. A stop asked
 * before it has started ends the start at its next safe point with StoppedWhileStartingError,
 * once what it opened is closed, last opened first.
 */
export async function startMember(config: MemberConfig, log: Logger, stopRequested?: AbortSignal, start: MemberStartOptions = {}): Promise<RunningMember> {
  const keys = readKeyFile(config.keyFile);
  const genesis = readGenesisFile(config.genesisFile);
  const seat = genesis.file.members[config.memberIndex];
  if (!seat) throw new ConfigError('memberIndex', `genesis has ${genesis.file.members.length} members, no index ${config.memberIndex}`);
  const blockKey = Buffer.from(keys.blockPublicKey).toString('hex');
  if (seat.blockKey !== blockKey) {
    const owner = genesis.file.members.findIndex((member) => member.blockKey === blockKey);
    const check = owner >= 0 ? `it is member ${owner}'s (${genesis.file.members[owner]!.name}): check memberIndex and keyFile` : 'it is no member\'s in this genesis: check keyFile and genesisFile';
    throw new ConfigError('keyFile', `the block key in ${config.keyFile} is not the key of member ${config.memberIndex} in the genesis; ${check}`);
  }
  assertPeersOfGenesis(config, genesis);

  await assertCanListen('api', config.api);
  await assertCanListen('peer', config.peer);
  throwIfStopRequested(stopRequested);

  const database = await openMemberDatabase(config, stopRequested);
  let claim: DatabaseClaim;
  try {
    // Before anything reads the consensus log: a second process on it would sign from it too.
    claim = await claimMemberDatabase(database.url, config.memberIndex, config.databaseClaimWaitMs, stopRequested);
  } catch (error) {
    await database.stop();
    throw asDatabaseSettingError(error);
  }
  const pool = new pg.Pool({ connectionString: database.url, max: 10 });
  logPoolErrors(pool, log);
  const closeDatabase = async () => {
    await endPool(pool);
    await claim.release();
    await database.stop();
  };
  let opened: OpenedState;
  let keyCheck: KeyInUseCheck;
  try {
    const checked = await openStore(config, genesis, pool, stopRequested);
    // Asked once the database is known to be this member's, so that one started on another's is
    // named as such, and answered while the chain loads.
    keyCheck = new KeyInUseCheck(config, genesis, stopRequested);
    opened = await keyCheck.beside(() => openState(config, genesis, keys.pegPrivateKey, pool, checked, log, keyCheck.signal, start));
  } catch (error) {
    // Nothing else runs yet: stop the database (an embedded server is a process of its own), so
    // the process can exit with the reason.
    await closeDatabase();
    throw error instanceof RpcError ? new ConfigError('bitcoin.rpcUrl', error.message) : error;
  }
  const { store, chain, peginStore, rpc, pegin, signer, anchoring, pegout, bitcoinRecords } = opened;
  /** The federation signing step (peg-outs, fee bumps, anchors); started once the member has caught up. */
  let signing: PeriodicTask | undefined;
  /** The next anchor and the next peg-out batch are proposed as they fall due: the step that finds them due wakes consensus. */
  const dueStep = new DueStep([anchoring, pegout], () => signing?.runSoon());
  const heightWaiters = new HeightWaiters(chain.tip.height, MAX_WAITING_REQUESTS);
  chain.onFinalBlock((block) => {
    heightWaiters.advanced(chain.tip.height);
    pegout.blockFinal(block);
    anchoring.blockFinal(block);
    bitcoinRecords.blockFinal(block);
    dueStep.arm();
    void pegin.watchMinted(block.transactions).catch((error: unknown) => log.warn({ err: error }, 'watching a minted deposit address failed'));
    // A final settlement or anchor record is signed at once, not at the next step; an anchor this
    // block made due (intervalBlocks) is built at once, so that it is asked for without waiting a step.
    if (block.transactions.some((tx) => tx.kind === 'settlement' || tx.kind === 'anchor') || anchoring.awaitsPlan(chain.tip.height)) signing?.runSoon();
  });
  const metrics = createMemberMetrics();
  const bitcoinNode = new BitcoinNodeHealth();
  const databaseHealth = new DatabaseHealth(pool);
  metrics.height.set(chain.tip.height);
  log.info({ height: chain.tip.height, chainId: Buffer.from(genesis.chainId).toString('hex') }, 'chain loaded');

  const consensusConfig: ConsensusConfig = {
    chainId: genesis.chainId,
    members: genesis.members.keys,
    threshold: genesis.members.threshold,
    memberIndex: config.memberIndex,
    seed: keys.blockSeed,
    timeouts: DEFAULT_TIMEOUTS,
    maxValueBytes: MAX_BLOCK_BYTES,
  };
  const walAt = async (height: number) => (await store.walRecords(height)).map(decodeWalRecord);
  const machineAt = async (height: number) => restoreFromWal(consensusConfig, height, await walAt(height));

  let driver: ConsensusDriver | undefined;
  let syncing: Promise<void> | undefined;
  const syncWithPeers = () => {
    syncing ??= (async () => {
      // A start ends its catch-up on a refused key as on a stop.
      const applied = await catchUp(chain, config.peers, log, keyCheck.signal);
      if (applied > 0) {
        log.info({ applied, height: chain.tip.height }, 'caught up with peers');
        metrics.height.set(chain.tip.height);
        await driver?.advance();
      }
    })().finally(() => {
      syncing = undefined;
    });
  };

  // A message from a height ahead may come from one hostile member as easily as from a quorum
  // that moved on: it sends this member to its peers' APIs at most once a second, not once a message.
  let behindSyncMs = 0;
  const syncWhenBehind = () => {
    if (Date.now() - behindSyncMs < BEHIND_SYNC_INTERVAL_MS) return;
    behindSyncMs = Date.now();
    syncWithPeers();
  };

  // k signatures say the height is decided: no rate limit, unlike a message from a height ahead.
  let fetchingDecided: Promise<void> | undefined;
  const fetchDecided = (height: number) => {
    fetchingDecided ??= (async () => {
      for (const delayMs of DECIDED_FETCH_DELAYS_MS) {
        if (delayMs > 0) await sleep(delayMs);
        if (chain.tip.height >= height) return;
        syncWithPeers();
        await syncing;
      }
    })()
      .catch((error: unknown) => log.error({ err: error, height }, 'fetching a decided block failed'))
      .finally(() => {
        fetchingDecided = undefined;
      });
  };

  /** Admits one transaction, decoded; `transactionsAdmitted` follows once for all a request or relayed batch admitted. */
  const admitDecoded = (tx: Transaction): string => {
    const txid = chain.submit(tx);
    monitoring.transactionPending(txid);
    return txid;
  };
  const admitTransaction = (bytes: Uint8Array): string => admitDecoded(decodeTransaction(bytes));
  // Once a request or relayed batch, not once each of its transactions: a relayed batch set the
  // gauge, counted an outcome under a label and woke consensus for each, and the labels and
  // counts were garbage for the collector every time (docs/PERFORMANCE.md).
  const transactionsAdmitted = () => {
    metrics.mempoolSize.set(chain.mempool.count);
    driver?.notifyWork();
  };

  // Relayed transactions refused for an output this member lacks: it may not have applied the block
  // creating it yet (catching up, or still storing a block its peers have), or a final block spent
  // it. Retried after each block, and once the store says which of the transactions creating those
  // outputs are final already.
  const orphans = new OrphanTransactions(ORPHAN_LIMITS, (outcome, count) => metrics.orphansLeft.inc({ outcome }, count));
  const spendable = (key: string) => chain.mempool.hasOutput(key);
  const retryOrphans = (final: Iterable<string>) => {
    const admitted = orphans.retry(final, spendable, admitTransaction, (error) => log.error({ err: error }, 'an orphan transaction failed'));
    metrics.mempoolOrphans.set(orphans.count);
    if (admitted > 0) transactionsAdmitted();
  };
  let lookingUpOrphans = false;
  /**
   * Asks the store which of the transactions the new orphans name (their own and those creating
   * the outputs they lack) are final already, a batch at a time, one lookup at a time: an orphan
   * spending an output a final block spent leaves at once, refused, instead of at its expiry. Only
   * heights at or below the tip count: the store holds a block a moment before the ledger has it,
   * and the block's own retry covers those.
   */
  const lookUpOrphans = async () => {
    if (lookingUpOrphans) return;
    lookingUpOrphans = true;
    try {
      for (let txids = orphans.toLookUp(ORPHAN_LOOKUP_TXIDS); txids.length > 0; txids = orphans.toLookUp(ORPHAN_LOOKUP_TXIDS)) {
        const heights = await store.finalHeights(txids);
        const tip = chain.tip.height;
        retryOrphans([...heights].filter(([, height]) => height <= tip).map(([txid]) => txid));
      }
    } catch (error) {
      // Those not looked up wait for the blocks creating what they spend, or their expiry, as before.
      log.warn({ err: error }, 'looking up the transactions orphans spend from failed');
    } finally {
      lookingUpOrphans = false;
    }
  };
  const keepOrphan = (tx: Transaction, bytes: Uint8Array): boolean => {
    const { idHex, inputKeys, outputKeys } = txInfo(tx);
    // One whose outputs the ledger holds is final: a block took it before it came.
    if (outputKeys.some((key) => chain.ledger.hasUtxo(key))) return false;
    const kept = orphans.keep(idHex, bytes, inputKeys, spendable);
    metrics.mempoolOrphans.set(orphans.count);
    return kept;
  };
  chain.onFinalBlock((block) => {
    if (orphans.count === 0) return;
    retryOrphans(block.transactions.map((tx) => txInfo(tx).idHex));
  });

  const queries = new ChainQueries(pool);
  // Before the transport: its connection events are the first news of each peer.
  const monitoring = createMonitoring({
    genesis,
    memberIndex: config.memberIndex,
    ledger: chain.ledger,
    tipHeight: () => chain.tip.height,
    queries,
    peginStore,
    isCoinbase: (txid) => pegin.isCoinbase(txid),
    connectedPeers: () => transport.connectedPeers(),
    bitcoin: () => ({ height: pegin.bitcoinHeight, mintingHalted: pegin.halted, nodeError: bitcoinNode.error }),
    anchors: () => ({ lastRecordedMs: anchoring.last?.timeMs ?? null, opsWalletSats: anchoring.walletView().balanceSats }),
    escrowSats: () => pegout.coins.totalSats,
    metrics,
  });
  try {
    throwIfStopRequested(stopRequested);
    // Caught up, and before the machine is read from the log: the log of a restored database may
    // lack what this member signed at the height still being decided. Asked while the key question
    // is out, written to the log only once the key has passed.
    await keyCheck.beside(() => rerecordForgottenVotes(config, genesis, consensusConfig, {
      nextHeight: () => chain.tip.height + 1,
      walRecords: walAt,
      rerecord: async (height, records) => {
        await keyCheck.passed();
        for (const record of records) await store.appendWal(height, encodeWalRecord(record));
      },
      isBlockOf: (height, value) => {
        try {
          chain.checkBlock(height, value.hash, chain.decodeBlock(value.bytes));
          return true;
        } catch (error) {
          log.warn({ height, ...errorFields(error) }, "a block the other members hold as this member's proposal is not the one it signed");
          return false;
        }
      },
      catchUp: async () => {
        syncWithPeers();
        await syncing;
      },
    }, log, keyCheck.signal));
    // Before the first link to a peer: until then the links the peers report are another process's.
    await keyCheck.passed();
    throwIfStopRequested(stopRequested);
  } catch (error) {
    await closeDatabase();
    throw error;
  }

  const peerUrls = new Map(config.peers.map((peer) => [peer.memberIndex, peer.url]));
  const peerLinkWarnings = new PeerLinkWarnings(log, REFUSAL_LOG_INTERVAL_MS);
  // The transport dials the members of higher index; those of lower index dial this one.
  const otherMembers = genesis.file.members.map((_, index) => index).filter((index) => index !== config.memberIndex);
  const peerLinkFailures = new PeerLinkFailures(otherMembers.map((index) => ({ memberIndex: index, url: index > config.memberIndex ? peerUrls.get(index) : undefined })), Date.now());
  let transport: PeerTransport;
  const peerRateLimit = { framesPerSecond: config.peer.rateLimitFramesPerSecond, bytesPerSecond: config.peer.rateLimitBytesPerSecond };
  // The relay sent each transaction only to the peers linked when it came: one linking now, after
  // a restart or a cut, lacks what is pending here, and its turns as proposer would go without it.
  const linkGenerations = new Map<number, number>();
  const sendPendingTo = (peer: number) => {
    const generation = (linkGenerations.get(peer) ?? 0) + 1;
    linkGenerations.set(peer, generation);
    const linkedAt = chain.mempool.pendingTransactions();
    function* stillPending() {
      for (const tx of linkedAt) if (chain.mempool.has(txInfo(tx).idHex)) yield encodeTransaction(tx);
    }
    void sendPendingOnLinkUp(stillPending(), {
      send: (batch) => transport.send(peer, tagged(PeerPayload.Transactions, batch)),
      linked: () => linkGenerations.get(peer) === generation && transport.connectedPeers().includes(peer),
      limit: peerRateLimit,
      pause: (ms) => sleep(ms, undefined, { ref: false }),
    }).then(({ transactions, batches }) => {
      if (transactions > 0) log.info({ peer, transactions, batches }, 'sent a linked peer the transactions pending here');
    }, (error: unknown) => log.error({ err: error, peer }, 'sending a linked peer the transactions pending here failed'));
  };
  try {
    transport = await startPeerTransport({
      chainId: genesis.chainId,
      memberIndex: config.memberIndex,
      seed: keys.blockSeed,
      members: genesis.members.keys.map((publicKey, index) => ({ publicKey, url: peerUrls.get(index) })),
      host: config.peer.host,
      port: config.peer.port,
      maxMessageBytes: MAX_BLOCK_BYTES + 1024,
      peerRateLimit,
      onEvent: (event) => {
        peerLinkWarnings.observe(event);
        peerLinkFailures.observe(event, Date.now());
        if (event.type === 'drop') metrics.peerMessagesDropped.inc({ reason: event.reason });
        else if (event.type === 'connected') {
          monitoring.heardFrom(event.peer);
          // Once a link, not once a dial: a member that is down adds no line while it stays down.
          log.info({ peer: event.peer }, 'peer linked');
          sendPendingTo(event.peer);
        } else if (event.type === 'disconnected') log.info({ peer: event.peer }, 'peer link closed; /status peersDown says why while it stays down');
        else if (event.type === 'silent') log.warn({ peer: event.peer }, 'peer answered no ping: its link is closed and dialled again');
      },
    });
  } catch (error) {
    // Taken since the check at start-up: nothing else runs yet but the database.
    await closeDatabase();
    throw listenFailure('peer', config.peer, error);
  }
  const transactionRelay = new TransactionRelay((batch) => transport.broadcast(tagged(PeerPayload.Transactions, batch)));
  const signatureRefusals = new IntervalLog(log, 'refused federation signatures', REFUSAL_LOG_INTERVAL_MS);
  transport.onMessage((from, payload) => {
    monitoring.heardFrom(from);
    metrics.peerFramesReceived.inc({ member: String(from) });
    const body = payload.subarray(1);
    if (payload[0] === PeerPayload.Consensus) driver?.onPeerMessage(body, from);
    else if (payload[0] === PeerPayload.FederationSignatures) {
      try {
        if (signer.receiveSignatures(from, body)) signing?.runSoon();
      } catch (error) {
        if (error instanceof ValidationError) signatureRefusals.occurred(String(from), { from }, error.message);
        else log.error({ err: error, from }, 'federation signatures failed');
      }
    } else if (payload[0] === PeerPayload.Transactions) {
      let batch: Uint8Array[];
      try {
        batch = decodeTransactionBatch(body);
      } catch {
        metrics.peerMessagesDropped.inc({ reason: 'malformed-transactions' });
        return;
      }
      const { admitted, orphaned, refused } = admitRelayedBatch(batch, decodeTransaction, admitDecoded, (error) => log.error({ err: error }, 'relayed transaction failed'), keepOrphan);
      if (admitted > 0) {
        metrics.relayedTransactions.inc({ outcome: 'admitted' }, admitted);
        transactionsAdmitted();
      }
      if (orphaned > 0) {
        metrics.relayedTransactions.inc({ outcome: 'orphaned' }, orphaned);
        void lookUpOrphans();
      }
      if (refused > 0) metrics.relayedTransactions.inc({ outcome: 'refused' }, refused);
    } else metrics.peerMessagesDropped.inc({ reason: 'unknown-payload' });
  });

  const bitcoinSide = { rpc, genesis, pegout, anchoring };
  driver = new ConsensusDriver(
    await machineAt(chain.tip.height + 1),
    {
      buildProposal: async (height) => {
        const recorded = await proposedBitcoinRecords(bitcoinSide, chain.ledger, chain.tip);
        return chain.buildBlock(height, config.memberIndex, [...(await pegin.mintsToPropose(chain.ledger)), ...recorded]);
      },
      validate: async (height, value) => {
        try {
          const block = chain.decodeBlock(value.bytes);
          await pegin.verifyMints(block.transactions);
          chain.checkBlock(height, value.hash, block);
          await verifyBitcoinRecords(bitcoinSide, block, height, chain.ledger);
          return true;
        } catch (error) {
          log.warn({ height, ...errorFields(error) }, 'refused a proposed block');
          return false;
        }
      },
      commit: async (height, value, certificate) => {
        const block = await chain.commitBlock(value.hash, value.bytes, certificate);
        metrics.height.set(height);
        metrics.mempoolSize.set(chain.mempool.count);
        monitoring.blockFinal(block.transactions.map((tx) => txInfo(tx).idHex), chain.mempool);
        log.info({ height, txs: block.transactions.length, round: certificate.round }, 'block final');
      },
      nextHeight: () => chain.tip.height + 1,
      finalHash: (height) => chain.hashAt(height),
      hasPendingWork: () => chain.hasPendingWork() || pegin.hasPendingMints(chain.ledger) || pegout.hasPendingSettlement(chain.ledger) || anchoring.hasPendingAnchor(chain.tip.height),
    },
    {
      appendWal: (height, record) => store.appendWal(height, encodeWalRecord(record)),
      recordEvidence: async (evidence) => {
        // Both signed messages are kept: together they prove the member signed twice.
        await store.recordEvidence({ kind: evidence.kind, memberIndex: evidence.first.memberIndex, height: evidence.first.height, bytes: encodeEvidence(evidence) });
        log.warn({ kind: evidence.kind, member: evidence.first.memberIndex, height: evidence.first.height }, 'equivocation evidence stored');
      },
    },
    {
      broadcast: (payload) => {
        // Frames reach each peer in the order sent: transactions this member admitted go first, so
        // no peer hears of a height from it before holding what it was woken for, and a proposer
        // woken by that message does not propose the block without them.
        transactionRelay.flush();
        transport.broadcast(tagged(PeerPayload.Consensus, payload));
      },
    },
    {
      regossipMs: DEFAULT_TIMEOUTS.proposeMs,
      maxValueBytes: MAX_BLOCK_BYTES,
      onBehind: syncWhenBehind,
      fetchDecided,
      onDrop: (reason) => metrics.peerMessagesDropped.inc({ reason }),
      signedLate: (height, member) => {
        // The recent final blocks span more heights than a late precommit is counted for.
        const block = chain.recentFinalBlock(height);
        if (block) monitoring.signedLate(member, height, decodeHeader(block.header).timeMs);
      },
      restore: () => machineAt(chain.tip.height + 1),
      logged: async (height) => durableStateFromWal(height, await walAt(height)),
      restoreRetryMs: 1_000,
    },
    log,
  );

  pegin.onConfirmedDepositsChanged(() => driver?.notifyWork());
  signer.onSignatures((psbt) => transport.broadcast(tagged(PeerPayload.FederationSignatures, psbt)));
  driver.start();
  // The tick is the catch-up of a member that heard of no height ahead: an idle member asks its
  // peers their tips, and for blocks only once one announces more. Its questions wait for every
  // peer, a silent one's until the request times out, so they run outside `syncing`: a catch-up
  // for a height known to be missing never waits behind them. One in flight asks every peer already.
  const syncTimer = setInterval(() => {
    if (syncing) return;
    void catchUpWanted(chain, config.peers, keyCheck.signal).then((wanted) => wanted && syncWithPeers());
  }, config.catchUpIntervalMs);
  const signingFailures = new IntervalLog(log, 'federation signing step failed; retrying', RETRY_LOG_INTERVAL_MS);
  const bitcoinFailures = new IntervalLog(log, 'following Bitcoin failed; retrying', RETRY_LOG_INTERVAL_MS);
  signing = new PeriodicTask(
    async () => {
      // Each member builds the records it would ask a block for before it asks: one it cannot
      // build (an operations wallet that cannot pay) must not wake consensus for an empty block.
      await prepareBitcoinRecords(bitcoinSide, chain.ledger, chain.tip);
      if (pegout.hasPendingSettlement(chain.ledger) || anchoring.hasPendingAnchor(chain.tip.height)) driver?.notifyWork();
      // A batch this member's operator has just approved is asked for in this step, not the next.
      if (await pegout.refreshApprovals()) {
        await prepareBitcoinRecords(bitcoinSide, chain.ledger, chain.tip);
        if (pegout.hasPendingSettlement(chain.ledger)) driver?.notifyWork();
      }
      await anchoring.poll(pegin.bitcoinTip);
      await pegout.poll();
      await signer.tick();
    },
    1_000,
    (error) => signingFailures.failed(error),
  );
  const bitcoinFollowing = new PeriodicTask(
    async () => {
      await pegin.poll();
      bitcoinNode.answered();
    },
    BITCOIN_POLL_MS,
    (error) => {
      bitcoinNode.failed(error);
      bitcoinFailures.failed(error);
    },
  );

  // The OpenAPI document is built from this very table, so it lists every route the server serves.
  const routes = withOpenApiRoute({ title: 'Strongbox member API', version: '1' }, [
    ...memberRoutes({
      memberIndex: config.memberIndex,
      chain,
      store,
      pegin,
      registrationLimitPerMinute: config.api.registrationLimitPerMinute,
      heightReached: (height, timeoutMs) => heightWaiters.reached(height, timeoutMs),
      submitTransaction: (bytes) => {
        try {
          const txid = admitTransaction(bytes);
          transactionRelay.add(bytes);
          transactionsAdmitted();
          return txid;
        } catch (error) {
          monitoring.transactionRefused(error);
          throw error;
        }
      },
      orphanWaitingFor: (txid) => orphans.waitingFor(txid, spendable),
      heardFrom: (memberIndex) => {
        const heard = driver!.heardFrom(memberIndex);
        return { height: heard.height, messages: heard.messages.map(encodeMessage) };
      },
      status: async () => {
        const database = await databaseHealth.check();
        const peersConnected = transport.connectedPeers();
        return {
          network: genesis.file.network,
          chainId: Buffer.from(genesis.chainId).toString('hex'),
          memberIndex: config.memberIndex,
          height: chain.tip.height,
          tipHash: Buffer.from(chain.tip.hash).toString('hex'),
          mempool: chain.mempool.count,
          consensus: driver && { ...driver.state, startedMs: driver.startedMs },
          peersConnected,
          peersDown: peerLinkFailures.down(peersConnected),
          members: genesis.file.members.map((member, index) => ({ index, name: member.name })),
          threshold: genesis.members.threshold,
          bitcoin: { height: pegin.bitcoinHeight, mintingHalted: pegin.halted, nodeError: bitcoinNode.error },
          database,
        };
      },
    }),
    ...outputRoutes({ ledger: chain.ledger, store }),
    ...registryRoutes({
      ledger: chain.ledger,
      tipHeight: () => chain.tip.height,
      auth: new RegistryAuthenticator(new CredentialStore(pool), genesis.chainId),
      // Who looked at which register is itself a record the operator keeps.
      onAccess: (principal, view) => log.info({ principal: principal.kind === 'role' ? `${principal.role} ${principal.id} (${principal.name})` : `issuer ${Buffer.from(principal.key).toString('hex')}`, view }, 'registry view served'),
    }),
    ...listRoutes({ queries, ledger: chain.ledger, tipHeight: () => chain.tip.height }),
    ...monitoring.routes(),
    ...pegoutRoutes({ chain, store, queries, pegout, rpc }),
    ...anchorRoutes({ anchoring, bitcoinRecords, rpc }),
  ]);
  const app = createApiApp(routes, {
    onInternalError: (error) => log.error({ err: error }, 'API request failed'),
    rateLimitPerMinute: config.api.rateLimitPerMinute,
    transactionLimitPerMinute: config.api.transactionLimitPerMinute,
    mount: (app) => {
      app.get('/metrics', async (_request, response) => {
        metrics.peersConnected.set(transport.connectedPeers().length);
        await monitoring.refreshGauges();
        response.type(metrics.registry.contentType).send(await metrics.registry.metrics());
      });
      mountExplorer(app);
    },
  });
  // A database another process took, or whose server exited, is written no more.
  const mustStop = Promise.race([claim.lost, database.lost]);
  let databaseLost = false;
  void mustStop.then(() => (databaseLost = true));
  async function stopParts(server?: Server): Promise<void> {
    clearInterval(syncTimer);
    dueStep.stop();
    // A step still running reads the database: it ends before the database closes, unless it
    // waits on a Bitcoin node that does not answer, which must not hold the member's stop.
    await Promise.race([Promise.all([bitcoinFollowing.stop(), signing?.stop()]), sleep(STEP_END_WAIT_MS, undefined, { ref: false })]);
    await driver?.stop();
    transactionRelay.close();
    await transport.close();
    for (const intervalLog of [signatureRefusals, peerLinkWarnings, signingFailures, bitcoinFailures]) intervalLog.flush();
    // Nothing decides blocks any more: the ledger at the tip, so that the next start replays none.
    if (server && !databaseLost) await chain.snapshotAtTip();
    if (server) {
      heightWaiters.close();
      await closeApi(server);
    }
    await closeDatabase();
  }
  let server: Server;
  try {
    server = await listenApi(app, config.api.port, config.api.host);
  } catch (error) {
    // Taken since the check at start-up: stop what runs, so the process can exit with the reason.
    await stopParts();
    throw listenFailure('api', config.api, error);
  }
  const apiUrl = `http://${config.api.host}:${config.api.port}`;
  log.info({ apiUrl, peerPort: transport.port }, 'member started');

  return {
    apiUrl,
    peerPort: transport.port,
    chain,
    mustStop,
    stop: () => stopParts(server),
  };
}
