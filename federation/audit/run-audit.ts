import { ValidationError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import { AuditFailure, ChainAuditor } from './auditor.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import { BitcoinChecks, type AnchorSeen, type BitcoinTip } from './bitcoin-checks.ts';
import type { Reserves } from './bitcoin-rules.ts';
import { otherChainServed, type BlockSource } from './block-source.ts';
import { SignatureWarmup } from '../member/signature-warmup.ts';
import { equivocationsHeld, type EquivocationsSeen, type EvidenceSource } from './equivocations.ts';
import { UnanchoredBlocks, type Unanchored } from './unanchored-blocks.ts';

/** Blocks requested ahead of the one being checked, so the network hides behind the checking. */
const PREFETCH = 32;
/**
 * A settlement's record is final before its transaction reaches Bitcoin, so a shortfall may only
 * mean the chain grew after its last block was read: the source is asked again this many times,
 * this long apart, before the reserves are judged short.
 */
const RESERVES_REREADS = 3;
const REREAD_PAUSE_MS = 1_000;

export interface AuditProgress {
  height: number;
  /** The height the source said it had when the audit started; the chain may grow meanwhile. */
  expectedHeight: number;
  elapsedMs: number;
}

export interface AuditReport {
  chainId: string;
  network: string;
  source: string;
  bitcoinNode: string;
  /** The node's last block when the reserves were read: Bitcoin as the audit saw it. */
  bitcoinTip: BitcoinTip;
  height: number;
  tipHash: string;
  blocks: number;
  transactions: number;
  mints: { count: number; sats: bigint };
  anchors: { count: number; lastAnchoredHeight: number | null; lastConfirmations: number | null; list: AnchorSeen[]; unanchored: Unanchored };
  settlements: { count: number; burns: number; inMempool: number };
  /** Anchor and settlement records in the newest blocks whose Bitcoin transaction reached the node while the audit waited for it. */
  awaitedBroadcasts: number;
  supply: { mintedSats: bigint; burnedSats: bigint; outstandingSats: bigint };
  reserves: Reserves;
  /**
   * Other members the auditor knows whose chains reach past the audited height: the blocks after
   * it are not audited here. A member can withhold its last blocks, and only its peers show it.
   */
  othersAhead: { member: string; height: number }[];
  /**
   * Members proven to have signed twice where the protocol allows once, from the evidence the
   * members asked hold. It does not fail the audit: the history is what the audit judges, and it
   * stays single while fewer than 2k − n members do so; but such a member must not stay in service.
   */
  equivocations: EquivocationsSeen;
  /** The block of an earlier audit this chain was found to extend; null when none was given. */
  previous: AuditedTip | null;
  elapsedMs: number;
  blocksPerSecond: number;
}

/** The last block an audit passed: its height and hash (hex). */
export interface AuditedTip {
  height: number;
  tipHash: string;
}

interface OtherTip {
  description: string;
  height: number;
}

/** The other members' tips, those that answer; asked before the source is read again, so an up-to-date source reaches them. */
async function otherTips(others: readonly BlockSource[], source: BlockSource): Promise<OtherTip[]> {
  const asked = others.filter((other) => other.description !== source.description);
  const tips = await Promise.allSettled(asked.map(async (other) => ({ description: other.description, height: (await other.tip()).height })));
  return tips.flatMap((tip) => (tip.status === 'fulfilled' ? [tip.value] : []));
}

/** The longest of the other members' chains, when it is longer than the one audited. */
function furthestAhead(tips: readonly OtherTip[], height: number): OtherTip | undefined {
  let ahead: OtherTip | undefined;
  for (const tip of tips) if (tip.height > (ahead?.height ?? height)) ahead = tip;
  return ahead;
}

/**
 * A member that stays behind a settlement the others made holds that settlement's escrow coins in
 * reserve though Bitcoin has spent them: its shortfall is no verdict but an error naming the
 * member to audit instead. A member lying about its height can only turn a verdict into this
 * error, and auditing it then shows the lie.
 */
function sourceBehind(source: BlockSource, height: number, ahead: OtherTip): ValidationError {
  return new ValidationError(
    'source-behind',
    `${source.description} served the chain up to height ${height} and ${ahead.description} says its chain reaches ${ahead.height}: the reserves fall short on the shorter chain, which may only lack a settlement the federation has paid; audit ${ahead.description}`,
  );
}

/**
 * The block audited at the previous audit's height must be the one it passed: two blocks at one
 * height, each final under the genesis, are two histories the federation signed (a rewrite by a
 * quorum, or a fork only members signing twice can make), whichever one is the truth.
 */
function checkPrevious(previous: AuditedTip, hash: Uint8Array): void {
  const served = Buffer.from(hash).toString('hex');
  if (served === previous.tipHash) return;
  throw new AuditFailure(
    'history',
    previous.height,
    `block ${previous.height} is ${served}, not ${previous.tipHash} as the previous audit passed it: both are final under the genesis, so the federation signed two histories: fetch the block at height ${previous.height} with its certificate from every member, and keep both audits' reports`,
  );
}

/**
 * Audits the whole chain a source serves, from genesis to its last block, against the auditor's
 * own genesis and Bitcoin node. Resolves with the report when every check passed; otherwise
 * rejects with the AuditFailure of the first failing height (or of the reserves).
 */
export async function runAudit(options: {
  genesis: Genesis;
  source: BlockSource;
  /** The auditor's own Bitcoin node. */
  bitcoin: BitcoinRpc;
  /** Other members the auditor knows: asked for their tips before a shortfall is judged, never for blocks. */
  others?: readonly BlockSource[];
  /** Members asked for the equivocation evidence they hold (the source among them, where it is a member). */
  evidenceFrom?: readonly EvidenceSource[];
  /**
   * The tip an earlier audit of this chain passed. Blocks not anchored yet are protected by
   * nothing in Bitcoin: a quorum can sign them again differently, and each history passes an
   * audit on its own. Only what the auditor saw before shows the change.
   */
  previous?: AuditedTip;
  /** How long a record in the newest blocks is given for its Bitcoin transaction to reach the node (BitcoinChecks). */
  broadcastGraceMs?: number;
  onProgress?: (progress: AuditProgress) => void;
  now?: () => number;
}): Promise<AuditReport> {
  const { genesis, source } = options;
  const bitcoin = new BitcoinChecks(options.bitcoin, genesis, options.broadcastGraceMs);
  const now = options.now ?? (() => performance.now());
  const start = now();
  await bitcoin.checkNode();
  const tip = await source.tip();
  const chainId = Buffer.from(genesis.chainId).toString('hex');
  // The blocks would fail their first check anyway; this says why in terms of the files involved.
  const otherChain = otherChainServed(source, tip, chainId);
  if (otherChain !== undefined) {
    // A mistake in what was given, not a verdict on either chain: an error, as an unreachable member is.
    throw new ValidationError('other-chain', `${otherChain} of the genesis file given: audit a member of the chain your genesis names, or audit this one with a genesis you obtained from its federation, never from the member itself`);
  }
  const expectedHeight = tip.height;
  const auditor = new ChainAuditor(genesis);
  const warmup = new SignatureWarmup(genesis, auditor.ledgerReader);
  let transactions = 0;
  const unanchored = new UnanchoredBlocks();
  /** Audits every block the source serves after the last one audited, until it serves none. */
  const auditToEnd = async () => {
    const pending: Promise<{ block: Uint8Array; commit: Uint8Array } | null>[] = [];
    let requested = auditor.height;
    for (;;) {
      // Past the height the source announced, one request at a time: the end is near.
      while (pending.length < PREFETCH && requested <= Math.max(expectedHeight, auditor.height)) {
        const fetching = warmup.warm(source.block(++requested));
        // Settled later, in order; a rejection is not unhandled while it waits its turn.
        fetching.catch(() => undefined);
        pending.push(fetching);
      }
      const served = await pending.shift()!;
      if (!served) return;
      const audited = auditor.apply(served.block, served.commit);
      if (audited.height === options.previous?.height) checkPrevious(options.previous, audited.hash);
      warmup.applied(audited.height);
      transactions += audited.transactions;
      for (const claim of audited.mints) await bitcoin.checkMint(claim);
      for (const claim of audited.anchors) await bitcoin.checkAnchor(claim);
      for (const claim of audited.settlements) await bitcoin.checkSettlement(claim);
      unanchored.add(audited);
      options.onProgress?.({ height: audited.height, expectedHeight: Math.max(expectedHeight, audited.height), elapsedMs: now() - start });
    }
  };
  await auditToEnd();
  if (auditor.height < expectedHeight) {
    // Its blocks are stored before its height moves to them: an honest member serves what it announced.
    throw new ValidationError('source-incomplete', `${source.description} said its chain reaches height ${expectedHeight} but served blocks only up to ${auditor.height}: the audit cannot reach the tip it announced; audit another member`);
  }
  if (options.previous && auditor.height < options.previous.height) {
    // A member restored from an old backup, or one cut short: no verdict on the blocks it lacks.
    throw new ValidationError(
      'source-behind-previous',
      `${source.description} served the chain up to height ${auditor.height}, below height ${options.previous.height} the previous audit passed: the blocks audited before cannot be compared; audit another member`,
    );
  }
  let reserves: Reserves;
  /** Another member further along after every reading of the source: the source is behind, not just read a moment early. */
  let aheadEachTime: OtherTip | undefined;
  for (let rereads = 0; ; rereads++) {
    const { minted, burned } = auditor.supply;
    try {
      reserves = await bitcoin.checkReserves({ outstandingSats: minted - burned, unpaidBurns: auditor.unpaidBurns }, auditor.height);
      break;
    } catch (error) {
      if (!(error instanceof AuditFailure && error.check === 'reserves')) throw error;
      if (rereads === RESERVES_REREADS) throw aheadEachTime ? sourceBehind(source, auditor.height, aheadEachTime) : error;
      await new Promise((resolve) => setTimeout(resolve, REREAD_PAUSE_MS));
      const tips = await otherTips(options.others ?? [], source);
      await auditToEnd();
      aheadEachTime = rereads === 0 || aheadEachTime ? furthestAhead(tips, auditor.height) : undefined;
    }
  }
  const { minted, burned } = auditor.supply;
  const bitcoinTip = await bitcoin.tip();
  const othersAhead = (await otherTips(options.others ?? [], source)).flatMap(({ description, height }) => (height > auditor.height ? [{ member: description, height }] : []));
  const equivocations = await equivocationsHeld(genesis, options.evidenceFrom ?? []);
  const elapsedMs = now() - start;
  const last = bitcoin.anchors.at(-1);
  return {
    chainId,
    network: genesis.file.network,
    source: source.description,
    bitcoinNode: bitcoin.nodeUrl,
    bitcoinTip,
    height: auditor.height,
    tipHash: Buffer.from(auditor.hashAt(auditor.height)!).toString('hex'),
    blocks: auditor.height,
    transactions,
    mints: { count: bitcoin.mints, sats: bitcoin.mintedSats },
    anchors: { count: bitcoin.anchors.length, lastAnchoredHeight: last?.anchoredHeight ?? null, lastConfirmations: last?.confirmations ?? null, list: bitcoin.anchors, unanchored: unanchored.unanchored },
    settlements: { count: bitcoin.settlements, burns: bitcoin.settledBurns, inMempool: bitcoin.unconfirmedSettlements },
    awaitedBroadcasts: bitcoin.awaitedBroadcasts,
    supply: { mintedSats: minted, burnedSats: burned, outstandingSats: minted - burned },
    reserves,
    othersAhead,
    equivocations,
    previous: options.previous ?? null,
    elapsedMs,
    blocksPerSecond: elapsedMs > 0 ? (auditor.height * 1000) / elapsedMs : 0,
  };
}
