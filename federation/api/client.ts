import { StrongboxError } from '../../sidechain/errors.ts';
import { encodeTransaction } from '../../sidechain/transaction/codec.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import type { SubmissionResult } from './member-responses.ts';
import type { BurnStatus } from './pegout-routes.ts';
import type { BitcoinStatus } from '../member/bitcoin-node-health.ts';
import type { PeerDown } from '../member/peer-link-failures.ts';
import { MAX_PAGE_LIMIT } from './pagination.ts';
import { requestSignal } from '../request-signal.ts';
import type { HttpAnswer } from '../../http-client/kept-alive-http.ts';
import { exchangeWithMember, mayAskAnotherMember, unreachableReason, type MemberRequestInit } from './client-exchange.ts';
import type { z } from 'zod';
import type { blockSummarySchema } from './block-view.ts';

/**
 * Each member of the union `U`, with the fields only the others carry as absent: a field of any
 * member can be read from `U`, and the discriminant tells which are there.
 */
type WithOthersAbsent<U, K extends PropertyKey = U extends unknown ? keyof U : never> = U extends unknown ? U & { [P in Exclude<K, keyof U>]?: undefined } : never;

/**
 * A burn's progress as the member answers it: its status says which fields it carries (the
 * payment's once settling or in Bitcoin); a caller waiting for a field of a later status (the
 * paying Bitcoin transaction, say) reads it as undefined until then.
 */
export type BurnProgress = WithOthersAbsent<BurnStatus>;

/** How long a request waits for a member's answer unless the client is given another timeout. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** What one request of waitForFinal asks a member to wait at most; never more than half the request's own timeout. */
const WAIT_PER_REQUEST_MS = 5_000;
const MIN_POLL_INTERVAL_MS = 50;
/** Reads of an allowlist from its first page before a list changing under every one of them is given up on. */
const ALLOWLIST_READS = 3;

/** A member refused a request (4xx) or could not be reached; the message is the member's reason. */
export class MemberApiError extends StrongboxError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

export interface MemberStatus {
  chainId: string;
  memberIndex: number;
  height: number;
  tipHash: string;
  mempool: number;
  /** The height being decided, and whether consensus runs at it (an idle member waits for work); absent from a member of an older release. */
  /** `startedMs` is absent from a member of an older release. */
  consensus?: { height: number; round: number; started: boolean; startedMs?: number | null };
  peersConnected: number[];
  /** The other members with no link, each with the last reason its link failed; absent from a member of an older release. */
  peersDown?: PeerDown[];
  /** k: members whose signatures a block needs. */
  threshold: number;
  members: { index: number; name: string }[];
  /** The last Bitcoin block the member's peg-in follower read, and whether minting is stopped after a deep reorg. */
  bitcoin: BitcoinStatus;
  /** Since when the member cannot reach its database, and why; null while it can; absent from a member of an older release. */
  database?: { sinceMs: number; reason: string } | null;
}

export interface TransactionStatus {
  txid: string;
  /** `orphan`: relayed to a member that is behind, which holds it while it lacks outputs it spends (`waitingFor`). */
  status: 'pending' | 'final' | 'orphan';
  /** The outputs an orphan spends that the member does not hold yet. */
  waitingFor?: { txid: string; vout: number }[];
  height?: number;
  /** The canonical encoding, once final. */
  hex?: string;
  /** Its outputs spent by final transactions, once final. */
  spenders?: { vout: number; spentBy: string; input: number; height: number }[];
}

/**
 * A member answers a route it does not have with `no route METHOD /path`: it runs an older
 * release than this client, one from before the route. Said so, since "no route" alone reads
 * like a mistyped address (a command newer than the member, or a member catching up from one).
 */
function olderReleaseSaid(baseUrl: string, error: { code: string; message: string }): string {
  if (error.code !== 'not-found' || !error.message.startsWith('no route ')) return error.message;
  return `${error.message} at ${baseUrl}: that member runs an older Strongbox release than this one; upgrade it (OPERATOR.md, "Upgrading")`;
}

/** A transaction's canonical encoding as the API takes it: lowercase hex. */
export function encodedHex(tx: Transaction): string {
  return Buffer.from(encodeTransaction(tx)).toString('hex');
}

/** An answer's JSON, or null for a body that is none (an empty one, another server's page). */
function parsedOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** One member as another sees it (GET /federation): linked to it, and when it last heard from it. */
export interface MemberHeard {
  index: number;
  self: boolean;
  connected: boolean;
  /** ms since the epoch, on the clock of the member asked; null if never since it started. */
  lastSeenMs: number | null;
}

/** Every member as the one asked sees them, and its clock as it answered, which their times are of. */
export interface FederationView {
  members: MemberHeard[];
  /** The asked member's clock, ms since the epoch; a member of an older release does not say it. */
  nowMs?: number;
}

/**
 * How long a linked member may send nothing, since the one asked started deciding its height,
 * before it counts as gone: every member deciding a height sends its votes again each second (the
 * propose timeout), while a stopped or hung one keeps its link until the keepalive gives up on it,
 * some 15 s later. Counted from the height's start, not before: an idle chain sends nothing, so a
 * height just started finds every peer quiet.
 */
const SILENT_AFTER_MS = 5_000;

/** When the member started deciding its height, if it decides one and says when. */
function startedMs(status: MemberStatus): number | null {
  return status.consensus?.started ? (status.consensus.startedMs ?? null) : null;
}

/** "member 3" or "members 3 and 4". */
function membersNamed(indexes: readonly number[]): string {
  return indexes.length === 1 ? `member ${indexes[0]}` : `members ${indexes.slice(0, -1).join(', ')} and ${indexes.at(-1)}`;
}

/**
 * Why a member can make no block now: it reaches fewer members than a block needs (itself
 * included), or, while it decides a height (`federation` given, from GET /federation), fewer of
 * those it reaches have sent anything for SILENT_AFTER_MS since it started there, by its own clock: the asker's may be
 * off by more than that. Null when neither is so. The text is the same for as long as the state
 * lasts, so that a progress line off a terminal says it once.
 */
export function quorumShortfall(status: MemberStatus | null, federation: FederationView | null = null, askerNowMs = Date.now()): string | null {
  if (!status) return null;
  const needs = `of the ${status.threshold} members (k of ${status.members.length}) a block needs`;
  const reached = status.peersConnected.length + 1;
  if (reached < status.threshold) return `member ${status.memberIndex} reaches only ${reached} ${needs}`;
  const since = startedMs(status);
  if (since === null || !federation) return null;
  const linked = new Set(status.peersConnected);
  const nowMs = federation.nowMs ?? askerNowMs;
  const silent = federation.members.filter((member) => !member.self && linked.has(member.index) && nowMs - Math.max(member.lastSeenMs ?? since, since) >= SILENT_AFTER_MS);
  if (reached - silent.length >= status.threshold) return null;
  return `member ${status.memberIndex} hears from only ${reached - silent.length} ${needs}: ${membersNamed(silent.map((member) => member.index))}, linked still, sent nothing for ${SILENT_AFTER_MS / 1000} s or more (stopped, hung, or cut off)`;
}

/**
 * Why a transaction in the member's mempool is not final after `waitedMs`, from what the member
 * tells: whether the chain made blocks meanwhile (from its tip block's time), and why it makes
 * none (quorumShortfall). Never that the next block will hold it: while too few members answer,
 * there is no next block.
 */
export function pendingReason(status: MemberStatus | null, federation: FederationView | null, tip: { height: number; timeMs: string } | null, waitedMs: number, nowMs = Date.now()): string {
  const where = ": it waits in the member's mempool";
  const shortfall = quorumShortfall(status, federation, nowMs);
  const age = tip ? Math.max(0, nowMs - Number(tip.timeMs)) : null;
  if (tip && age !== null && age < waitedMs && !shortfall) return `${where}; blocks were made meanwhile (the last, ${tip.height}, ${Math.floor(age / 1000)} s ago) without it`;
  const still = age === null ? '' : `, and the chain has made no block for ${Math.floor(age / 1000)} s (since block ${tip!.height})`;
  return shortfall ? `${where}${still}: ${shortfall}; blocks resume once enough of them answer (\`strongbox status\` shows which)` : `${where}${still}`;
}

/**
 * What a member holding a transaction as an orphan (GET /tx/:txid answers `orphan`) means for the
 * person waiting on it: it is valid as far as that member can tell, which is behind; the members
 * at the tip hold it pending.
 */
export function orphanReason(baseUrl: string, waitingFor: readonly { txid: string; vout: number }[]): string {
  const lacking =
    waitingFor.length === 0
      ? 'has the outputs it spends now and takes it at its next block'
      : `lacks ${waitingFor.length === 1 ? 'an output' : 'outputs'} it spends (${waitingFor.map((output) => `${output.txid}:${output.vout}`).join(', ')}) until it applies the block creating ${waitingFor.length === 1 ? 'it' : 'them'}`;
  return `the member at ${baseUrl} holds it as an orphan, relayed by another member: it is behind, and ${lacking}; the members that are not behind hold it pending`;
}

/** A peg-in deposit in a Bitcoin block, not minted yet, as `GET /pegin/deposits` lists it. */
export interface DepositNotMinted {
  txid: string;
  vout: number;
  amountSats: string;
  bitcoinHeight: number;
  confirmations: number;
  required: number;
  state: 'confirming' | 'confirmed';
}

export interface MemberClientOptions {
  /**
   * Hears of the members passed over once another has answered, in one call, so that a person is
   * told once which member answered instead, and nothing more when none did (the error says so).
   */
  onFailover?: (passedOver: readonly string[], answering: string) => void;
  /** Added to the error when no member answered, to say what to do. */
  noneAnswered?: string;
  /** Aborts a request in flight, as a stop asked of a member catching up at its start does. */
  stopRequested?: AbortSignal;
  /** How long a request waits for an answer before the member is passed over (default 10 s). */
  requestTimeoutMs?: number;
}

/**
 * Typed access to a member's HTTP API, for the CLI, the auditor and the tests. Given several
 * members' addresses (a local network's), it asks the first, and moves on to the next one for good
 * when a member refuses the connection, or leaves a read unanswered: any member serves the same
 * final chain, and a member that is down should not stop a user while k others decide blocks.
 */
export class MemberClient {
  private readonly urls: readonly string[];
  private current = 0;
  private readonly requestTimeoutMs: number;

  constructor(
    urls: string | readonly string[],
    private readonly options: MemberClientOptions = {},
  ) {
    this.urls = typeof urls === 'string' ? [urls] : urls;
    if (this.urls.length === 0) throw new TypeError('a member client needs at least one member address');
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** The member asked now. */
  get baseUrl(): string {
    return this.urls[this.current]!;
  }

  private async request<T>(path: string, init?: MemberRequestInit): Promise<T> {
    let answer: HttpAnswer;
    const passedOver: string[] = [];
    for (;;) {
      const request = requestSignal(this.requestTimeoutMs, this.options.stopRequested);
      try {
        answer = await exchangeWithMember(`${this.baseUrl}${path}`, init, request.signal);
        break;
      } catch (error) {
        if (!(mayAskAnotherMember(error, init?.method ?? 'GET') && this.current + 1 < this.urls.length)) {
          const others = this.current > 0 ? `, as ${this.current === 1 ? 'was the member' : `were the ${this.current} members`} asked before it` : '';
          // Only when none answered: a member that dropped a write mid-way says nothing of the others.
          const next = this.options.noneAnswered === undefined || this.current + 1 < this.urls.length ? '' : `: ${this.options.noneAnswered}`;
          throw new MemberApiError(0, 'member-unreachable', `member at ${this.baseUrl} is unreachable (${unreachableReason(error, this.requestTimeoutMs)})${others}${next}`);
        }
        passedOver.push(this.baseUrl);
        this.current += 1;
      } finally {
        request.ended();
      }
    }
    if (passedOver.length > 0) this.options.onFailover?.(passedOver, this.baseUrl);
    const body = parsedOrNull(answer.text) as { error?: { code: string; message: string } } | null;
    if (answer.status < 200 || answer.status > 299) {
      if (body?.error) throw new MemberApiError(answer.status, body.error.code, olderReleaseSaid(this.baseUrl, body.error));
      // Members answer every refusal with a typed error; anything else is another server at this address.
      throw new MemberApiError(answer.status, 'not-a-member', `${this.baseUrl} answered ${path} with HTTP ${answer.status} and no Strongbox error: is it a member's API address?`);
    }
    return body as T;
  }

  status(): Promise<MemberStatus> {
    return this.request('/status');
  }

  /** Every member as this one sees it: linked, and when it last heard from it. */
  federation(): Promise<FederationView> {
    return this.request<FederationView>('/federation');
  }

  /** Whom the member hears from, asked only while it decides a height (an idle chain sends no votes); null when it cannot tell. */
  private async membersHeard(status: MemberStatus | null): Promise<FederationView | null> {
    return status && startedMs(status) !== null ? await this.federation().catch(() => null) : null;
  }

  /** quorumShortfall of the member now (of `status` when given); null when it cannot tell. */
  async blockShortfall(status?: MemberStatus | null): Promise<string | null> {
    const now = status === undefined ? await this.status().catch(() => null) : status;
    return quorumShortfall(now, await this.membersHeard(now));
  }

  submit(tx: Transaction): Promise<string> {
    return this.submitEncoded(encodedHex(tx));
  }

  /**
   * `submit` for a transaction already encoded (`encodedHex`), as a client holding transactions
   * signed ahead of time sends them: the bench's load generator encodes its own before it starts
   * the clock, so the clock times the request and not the encoding.
   */
  async submitEncoded(hex: string): Promise<string> {
    const result = await this.request<{ txid: string }>('/tx', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hex }) });
    return result.txid;
  }

  /** One request for many transactions (`POST /txs`): a result per transaction, in order; refusals do not throw. */
  submitMany(txs: readonly Transaction[]): Promise<SubmissionResult[]> {
    return this.submitManyEncoded(txs.map(encodedHex));
  }

  /** `submitMany` for transactions already encoded (`encodedHex`). */
  async submitManyEncoded(transactions: readonly string[]): Promise<SubmissionResult[]> {
    const result = await this.request<{ results: SubmissionResult[] }>('/txs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ transactions }) });
    return result.results;
  }

  /** A final block's header fields, commit and transaction ids; with `waitMs`, a member answers as soon as it is final, or when that time is up. */
  block(height: number, waitMs = 0): Promise<BlockView> {
    return this.request(`/blocks/${height}${waitMs > 0 ? `?waitMs=${waitMs}` : ''}`);
  }

  /** A transaction's status; with `waitMs`, a member answers as soon as it is final, or when that time is up. */
  transaction(txid: string, waitMs = 0): Promise<TransactionStatus> {
    return this.request(`/tx/${txid}${waitMs > 0 ? `?waitMs=${waitMs}` : ''}`);
  }

  async balances(address: string): Promise<{ asset: string; amount: bigint }[]> {
    const result = await this.request<{ balances: { asset: string; amount: string }[] }>(`/addresses/${address}/balances`);
    return result.balances.map((balance) => ({ asset: balance.asset, amount: BigInt(balance.amount) }));
  }

  /** Every page of a list route, in order: asked with the largest page, then each `next` cursor until the last. */
  private async allPages<P extends { next: string | null }>(path: string, init?: MemberRequestInit): Promise<P[]> {
    const pages: P[] = [];
    let cursor: string | null = null;
    do {
      const page: P = await this.request<P>(`${path}${path.includes('?') ? '&' : '?'}limit=${MAX_PAGE_LIMIT}${cursor === null ? '' : `&cursor=${cursor}`}`, init);
      pages.push(page);
      cursor = page.next;
    } while (cursor !== null);
    return pages;
  }

  /** Every final unspent output of the address, following the pages to the last. */
  async utxos(address: string): Promise<{ txid: string; vout: number; asset: string; amount: bigint }[]> {
    const pages = await this.allPages<{ utxos: { txid: string; vout: number; asset: string; amount: string }[]; next: string | null }>(`/addresses/${address}/utxos`);
    return pages.flatMap((page) => page.utxos.map((utxo) => ({ txid: utxo.txid, vout: utxo.vout, asset: utxo.asset, amount: BigInt(utxo.amount) })));
  }

  async registerDepositAddress(recipient: string): Promise<string> {
    const result = await this.request<{ depositAddress: string }>('/pegin/addresses', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ recipient }) });
    return result.depositAddress;
  }

  /**
   * The peg-in deposits to `recipient` that are in a Bitcoin block and not minted yet, newest
   * first: confirming, or confirmed and queued for the mint.
   */
  async depositsNotMinted(recipient: string): Promise<DepositNotMinted[]> {
    const deposits: DepositNotMinted[] = [];
    for (const state of ['confirming', 'confirmed'] as const) {
      for (const page of await this.allPages<{ deposits: DepositNotMinted[]; next: string | null }>(`/pegin/deposits?state=${state}&recipient=${recipient}`)) deposits.push(...page.deposits);
    }
    return deposits.sort((a, b) => b.bitcoinHeight - a.bitcoinHeight || (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : a.vout - b.vout));
  }

  /** The record of the final chain that names a Bitcoin transaction the federation wrote (an anchor, or a settlement paying peg-outs); 404 when none does. */
  bitcoinRecord(bitcoinTxid: string): Promise<{ bitcoinTxid: string; kind: 'anchor' | 'settlement'; txid: string; height: number }> {
    return this.request(`/bitcoin-records/${bitcoinTxid}`);
  }

  depositStatus(txid: string): Promise<{ minimumSats: string; deposits: { vout: number; amountSats: string; recipient: string; confirmations: number; required: number; minted: boolean; belowMinimum: boolean; claimNeeded: boolean; mintedIn?: { txid: string; height: number } }[] }> {
    return this.request(`/pegin/deposits/${txid}`);
  }

  claimDeposit(txid: string, vout: number, recipient: string): Promise<{ confirmations: number; required: number; minted: boolean }> {
    return this.request('/pegin/claims', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ txid, vout, recipient }) });
  }

  /** A burn's progress; once settled, the Bitcoin output paying it and what it pays (the burn less its fee share). */
  burnStatus(txid: string): Promise<BurnProgress> {
    return this.request(`/pegout/burns/${txid}`);
  }

  pegoutPolicy(): Promise<{ minimumSats: string; feeRateSatPerVb: string; reservesSats: string }> {
    return this.request('/pegout/policy');
  }

  anchors(query: { cursor?: string; limit?: number } = {}): Promise<{ anchors: AnchorView[]; next: string | null }> {
    const search = new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)]));
    return this.request(`/anchors${search.size > 0 ? `?${search}` : ''}`);
  }

  /** Every anchor record of the final chain, following the pages to the last. */
  async allAnchors(): Promise<AnchorView[]> {
    return (await this.allPages<{ anchors: AnchorView[]; next: string | null }>('/anchors')).flatMap((page) => page.anchors);
  }

  opsWallet(): Promise<{ descriptor: string; address: string; balanceSats: string; coins: { txid: string; vout: number; valueSats: string }[] }> {
    return this.request('/anchors/wallet');
  }

  inclusionProof(txid: string): Promise<unknown> {
    return this.request(`/proofs/${txid}`);
  }

  /** The equivocation evidence the member holds, unchecked: the caller checks every signature. */
  evidence(): Promise<unknown> {
    return this.request('/evidence');
  }

  finalBlock(height: number): Promise<{ height: number; block: string; commit: string }> {
    return this.request(`/chain/blocks/${height}`);
  }

  finalBlocks(from: number): Promise<{ blocks: { height: number; block: string; commit: string }[] }> {
    return this.request(`/chain/blocks?from=${from}`);
  }

  /** What a user waiting `waitedMs` for a transaction can act on: whether it still waits, whether blocks are made, and why not. */
  private async whyNotFinal(transaction: TransactionStatus | null, waitedMs: number): Promise<string> {
    if (!transaction) return `: member at ${this.baseUrl} does not know it (refused since, or never received)`;
    if (transaction.status === 'orphan') return `: ${orphanReason(this.baseUrl, transaction.waitingFor ?? [])}`;
    const status = await this.status().catch(() => null);
    const tip = status && status.height > 0 ? await this.block(status.height).catch(() => null) : null;
    return pendingReason(status, await this.membersHeard(status), tip, waitedMs);
  }

  /**
   * Resolves once the transaction is final: each request asks the member to answer when it is
   * (`waitMs`), a few seconds at most; `onWait` is called between requests (progress display), and
   * `onUnknown` once for each member that does not know the transaction, for the caller to send it
   * there. The timeout runs from the last time the transaction was sent: given to a member anew, it
   * waits for a block from that moment, however long the member it left took to die.
   */
  async waitForFinal(txid: string, options: { timeoutMs?: number; onWait?: () => void; onUnknown?: () => Promise<void> } = {}): Promise<TransactionStatus> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    let deadline = Date.now() + timeoutMs;
    let toldTo: string | undefined;
    for (;;) {
      const asked = Date.now();
      const status = await this.transaction(txid, Math.min(WAIT_PER_REQUEST_MS, Math.floor(this.requestTimeoutMs / 2), Math.max(0, deadline - asked))).catch((error: unknown) => {
        // Not (yet) known here: wait on. Dropped as invalid: it will never be final, so say why now.
        if (error instanceof MemberApiError && error.status === 404 && error.code !== 'dropped') return null;
        throw error;
      });
      if (status?.status === 'final') return status;
      // The member that took it may have gone before passing it on: the one asked now is given it, once.
      if (status === null && options.onUnknown && toldTo !== this.baseUrl) {
        toldTo = this.baseUrl;
        await options.onUnknown();
        deadline = Date.now() + timeoutMs;
        continue;
      }
      if (Date.now() > deadline) throw new MemberApiError(0, 'timeout', `transaction ${txid} is not final after ${timeoutMs / 1000} s${await this.whyNotFinal(status, timeoutMs)}`);
      options.onWait?.();
      // A member that answered without waiting (too many requests already wait on it) is asked again at a modest pace.
      const answeredIn = Date.now() - asked;
      if (answeredIn < MIN_POLL_INTERVAL_MS) await new Promise((resolve) => setTimeout(resolve, MIN_POLL_INTERVAL_MS - answeredIn));
    }
  }

  /** An issued security's registry record; `sequence` is what its next registry change must exceed. */
  async asset(asset: string): Promise<AssetView> {
    return assetViewOf(await this.request<ServedAssetView>(`/assets/${asset}`));
  }

  /** The dividends paid on a security so far, oldest first, following the pages to the last. */
  async dividends(asset: string): Promise<{ txid: string; height: number; recordHeight: number; paid: bigint; holders: number }[]> {
    const pages = await this.allPages<{ dividends: { txid: string; height: number; recordHeight: number; paid: string; holders: number }[]; next: string | null }>(`/assets/${asset}/dividends`);
    return pages.flatMap((page) => page.dividends.map((dividend) => ({ ...dividend, paid: BigInt(dividend.paid) })));
  }

  /** Every security registered under `isin`, by asset id. */
  async assetsWithIsin(isin: string): Promise<AssetView[]> {
    const pages = await this.allPages<{ assets: ServedAssetView[]; next: string | null }>(`/assets?isin=${encodeURIComponent(isin)}`);
    return pages.flatMap((page) => page.assets.map(assetViewOf));
  }

  /** An unspent final output; a MemberApiError with status 404 once it is spent. */
  async output(txid: string, vout: number): Promise<{ address: string; asset: string; amount: bigint; height: number }> {
    const output = await this.request<{ address: string; asset: string; amount: string; height: number }>(`/outputs/${txid}/${vout}`);
    return { ...output, amount: BigInt(output.amount) };
  }

  /** Registry view: every holder of an asset after block `height` (default the tip), every page of it; `authorization` is a credential or an issuer request. */
  async holders(asset: string, authorization: string, height?: number): Promise<{ height: number; outstanding: bigint; holders: { address: string; amount: bigint }[] }> {
    const query = height === undefined ? '' : `?height=${height}`;
    const pages = await this.allPages<{ height: number; outstanding: string; holders: { address: string; amount: string }[]; next: string | null }>(`/registry/assets/${asset}/holders${query}`, { headers: { authorization } });
    const first = pages[0]!;
    return { height: first.height, outstanding: BigInt(first.outstanding), holders: pages.flatMap((page) => page.holders.map((h) => ({ address: h.address, amount: BigInt(h.amount) }))) };
  }

  /**
   * Registry view: an asset's whole allowlist after the tip, every page of it, by owner bytes. An
   * allowlist change between two pages refuses the later one (`stale-cursor`): the list is read
   * again from its first page, a few times at most, so that the pages returned are of one list.
   */
  async allowlist(asset: string, authorization: string): Promise<{ height: number; restricted: boolean; addresses: string[] }> {
    for (let attempt = 1; ; attempt++) {
      try {
        const pages = await this.allPages<{ height: number; restricted: boolean; addresses: string[]; next: string | null }>(`/registry/assets/${asset}/allowlist`, { headers: { authorization } });
        const last = pages.at(-1)!;
        return { height: last.height, restricted: last.restricted, addresses: pages.flatMap((page) => page.addresses) };
      } catch (error) {
        if (!(error instanceof MemberApiError && error.code === 'stale-cursor') || attempt === ALLOWLIST_READS) throw error;
      }
    }
  }

  /** Registry view: every change of an address's security holdings, oldest first, every page of it. */
  async history(address: string, authorization: string): Promise<{ height: number; txid: string; asset: string; delta: bigint; balance: bigint }[]> {
    const pages = await this.allPages<{ changes: { height: number; txid: string; asset: string; delta: string; balance: string }[]; next: string | null }>(`/registry/addresses/${address}/history`, { headers: { authorization } });
    return pages.flatMap((page) => page.changes.map((c) => ({ ...c, delta: BigInt(c.delta), balance: BigInt(c.balance) })));
  }
}

type ServedAssetView = Omit<AssetView, 'supply' | 'sequence'> & { supply: string; sequence: string };
const assetViewOf = (view: ServedAssetView): AssetView => ({ ...view, supply: BigInt(view.supply), sequence: BigInt(view.sequence) });

export interface AssetView {
  id: string;
  issuer: string;
  /** The address of the issuer's key. */
  issuerAddress: string;
  name: string;
  isin: string;
  securityKind: string;
  decimals: number;
  restricted: boolean;
  reissuable: boolean;
  /** The block that issued it. */
  height: number;
  supply: bigint;
  sequence: bigint;
}

/** One final block as GET /blocks/:height answers it. */
export type BlockView = z.infer<typeof blockSummarySchema> & { transactions: string[] };

/** One anchor as GET /anchors answers it. */
export interface AnchorView {
  height: number;
  blockHash: string;
  bitcoinTxid: string;
  confirmations: number | null;
  recordHeight: number;
  recordedAtMs: string;
}
