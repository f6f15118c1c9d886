import { z } from 'zod';
import { addressPayload, encodeAddress, ownerFromPayload } from '../../sidechain/address.ts';
import { decodeTransaction } from '../../sidechain/transaction/codec.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { LedgerError } from '../../sidechain/ledger/errors.ts';
import type { ChainStore } from '../../sidechain/store/chain-store.ts';
import type { Chain } from '../member/chain.ts';
import type { FinalBlockParts } from '../member/recent-final-blocks.ts';
import { PeginError, type Pegin } from '../member/pegin.ts';
import { StrongboxError } from '../../sidechain/errors.ts';
import { defineRoute, HttpError, NotFoundError, type Route } from './route.ts';
import { describeTransaction } from './transaction-view.ts';
import { blockSummary } from './block-view.ts';
import * as responses from './member-responses.ts';

const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes as lowercase hex');
const height = z.object({ height: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER) });
/**
 * A catching-up member or an auditor reads the chain a range at a time: one request per hundred
 * blocks keeps a whole chain within a client's API rate limit. The byte bound keeps an answer
 * to 4 MiB of transactions, the most a proposer puts in one block, plus at most one block.
 */
export const MAX_BLOCKS_PER_RANGE = 100;
export const MAX_BYTES_PER_RANGE = 4 * 1024 * 1024;
const blockRange = z.object({
  from: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  limit: z.coerce.number().int().min(1).max(MAX_BLOCKS_PER_RANGE).default(MAX_BLOCKS_PER_RANGE),
});
/**
 * A member index of this federation: one beyond its members would be answered with no messages,
 * which reads as a member that has sent nothing. Bounded when the routes are made, from the
 * genesis the chain keeps for life; the refinement words the refusal as the member's index, and
 * the maximum it checks is given to the API's document, which has no form for a refinement.
 */
const memberOfTheFederation = (memberCount: number) =>
  z.coerce
    .number()
    .int()
    .min(0)
    .refine((member) => member < memberCount, { error: (issue) => `expected a member of the federation, numbered 0 to ${memberCount - 1}, got ${JSON.stringify(String(issue.input))}` })
    .meta({ maximum: memberCount - 1 });
const address = z.object({ address: z.string().min(1).max(200) });
const transactionHex = z.string().regex(/^([0-9a-f]{2})+$/, 'expected the transaction as lowercase hex').max(200_000);
/**
 * Transactions one `POST /txs` may carry. A client sending many (an exchange, a broker) pays the
 * HTTP request's fixed cost once for all of them, and so does the member; the body limit (1 MiB by
 * default) bounds their bytes.
 */
export const MAX_TRANSACTIONS_PER_SUBMISSION = 1_000;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
/** An output named by its key (txid hex ‖ ":" ‖ index), as the API names outputs. */
const outputOf = (key: string) => ({ txid: key.slice(0, key.indexOf(':')), vout: Number(key.slice(key.indexOf(':') + 1)) });
/**
 * A read of a block or a transaction may wait this long at most for it to become final
 * (`?waitMs=`), so a client learns of finality when it happens with one request, not by asking
 * again every few milliseconds; and at most this many requests wait at once on one member (the
 * next ones are answered at once, as without `waitMs`).
 */
export const MAX_WAIT_MS = 30_000;
export const MAX_WAITING_REQUESTS = 1_000;
const wait = z.object({ waitMs: z.coerce.number().int().min(0).max(MAX_WAIT_MS).default(0) }).strict();

export interface MemberApiContext {
  memberIndex: number;
  chain: Chain;
  store: ChainStore;
  pegin: Pegin;
  /** Deposit-address registrations and claims one client address may ask for a minute. */
  registrationLimitPerMinute: number;
  /** Admits a transaction to the mempool and relays it to the other members. */
  submitTransaction(bytes: Uint8Array): string;
  /**
   * For a transaction another member relayed that this one holds as an orphan (it spends an output
   * this member lacks: orphan-transactions.ts), the outputs it spends that are not spendable here
   * now, as keys (txid hex ‖ ":" ‖ index); undefined when no orphan has that txid (hex).
   */
  orphanWaitingFor(txid: string): string[] | undefined;
  /** Resolves true once the chain is final up to `height`, false after `timeoutMs` (see MAX_WAITING_REQUESTS). */
  heightReached(height: number, timeoutMs: number): Promise<boolean>;
  status(): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** The consensus messages of one member this one holds at the height it is deciding. */
  heardFrom(memberIndex: number): { height: number; messages: Uint8Array[] };
}

/** The public, pseudonymous read API of a member, and transaction submission. */
export function memberRoutes(context: MemberApiContext): Route[] {
  const { chain, store } = context;
  /** The newest blocks from the chain's memory, older ones from the store, which holds none above the chain's tip. */
  const finalBlock = async (height: number): Promise<FinalBlockParts | null> => {
    const recent = chain.recentFinalBlock(height);
    if (recent) return recent;
    if (height > chain.tip.height) return null;
    const stored = await store.blockAt(height);
    return stored && { ...stored, txids: stored.transactions.map((bytes) => txInfo(decodeTransaction(bytes)).idHex) };
  };
  return [
    defineRoute({
      method: 'get',
      path: '/status',
      summary: 'chain head, consensus state and federation health as this member sees it',
      tag: 'chain',
      response: responses.status,
      handler: () => context.status(),
    }),
    defineRoute({
      method: 'get',
      path: '/blocks/:height',
      summary: `a final block: header, commit certificate and transaction ids; with \`waitMs\` (at most ${MAX_WAIT_MS}), answered as soon as the block is final if it becomes final within that time`,
      tag: 'chain',
      params: height,
      query: wait,
      response: responses.block,
      handler: async ({ params, query }) => {
        let found = await finalBlock(params.height);
        if (!found && (await context.heightReached(params.height, query.waitMs))) found = await finalBlock(params.height);
        if (!found) throw new NotFoundError(`block ${params.height}`);
        return { ...blockSummary(found), transactions: found.txids };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/chain/blocks',
      summary: `consecutive final blocks from a height, in canonical binary (hex): at most \`limit\` (default and most ${MAX_BLOCKS_PER_RANGE}), fewer once they hold ${MAX_BYTES_PER_RANGE / 1024 / 1024} MiB of transactions; empty past the tip`,
      tag: 'chain',
      query: blockRange,
      response: responses.blockRange,
      handler: async ({ query }) => ({
        blocks: (await chain.finalBlocksFrom(query.from, query.limit, MAX_BYTES_PER_RANGE)).map((final) => ({ height: final.height, block: hex(final.block), commit: hex(final.commit) })),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/chain/blocks/:height',
      summary: 'a final block and its commit certificate in canonical binary (hex), for catch-up and audit',
      tag: 'chain',
      params: height,
      response: responses.encodedBlock,
      handler: async ({ params }) => {
        const final = await chain.finalBlockAt(params.height);
        if (!final) throw new NotFoundError(`block ${params.height}`);
        return { height: params.height, block: hex(final.block), commit: hex(final.commit) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/escrow',
      summary: 'the federation escrow: output descriptor, address and peg-in parameters',
      tag: 'peg',
      response: responses.escrow,
      handler: () => ({
        descriptor: context.pegin.escrow.descriptor,
        address: context.pegin.escrow.address(context.pegin.network),
        threshold: context.pegin.escrow.threshold,
        pegin: chain.genesis.file.pegin,
        mintingHalted: context.pegin.halted,
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/pegin/addresses',
      summary: 'register the deposit address of a sidechain recipient so members watch it (idempotent)',
      tag: 'peg',
      body: z.object({ recipient: z.string().min(1).max(200) }).strict(),
      limitPerMinute: context.registrationLimitPerMinute,
      response: responses.depositAddress,
      handler: async ({ body }) => ({ recipient: body.recipient, depositAddress: await context.pegin.register(addressPayload(body.recipient)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/pegin/deposits/:txid',
      summary: 'deposits in a Bitcoin transaction: confirmations so far and required, whether they are minted, and whether they are below the minimum (never minted)',
      tag: 'peg',
      params: z.object({ txid: hex32 }),
      response: responses.depositStatus,
      handler: async ({ params }) => {
        const mints = await store.mintsOf(new Uint8Array(Buffer.from(params.txid, 'hex')));
        const mintedIn = (vout: number) => {
          const mint = mints.find((one) => one.bitcoinVout === vout);
          return mint && { mintedIn: { txid: hex(mint.txid), height: mint.height } };
        };
        let deposits;
        try {
          deposits = await context.pegin.depositStatus(params.txid, chain.ledger);
        } catch (error) {
          // Minted, then gone from the Bitcoin node: only a reorg does that, and it must be said.
          if (!(error instanceof PeginError && error.code === 'pegin-unknown' && mints.length > 0)) throw error;
          const where = mints.map((mint) => `output ${mint.bitcoinVout} in ${hex(mint.txid)} at height ${mint.height}`).join(', ');
          throw new PeginError('pegin-reorged', `${error.message}, though the chain minted it (${where}): a Bitcoin reorg has removed it; a reorg deeper than the confirmations required halts minting until the operators resume it`);
        }
        return { txid: params.txid, minimumSats: chain.genesis.file.pegin.minimumSats, deposits: deposits.map((d) => ({ ...d, recipient: encodeAddress(ownerFromPayload(d.recipient)), ...mintedIn(d.vout) })) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/pegin/claims',
      summary: 'claim a deposit made to a derivable but unregistered deposit address',
      tag: 'peg',
      body: z.object({ txid: hex32, vout: z.number().int().min(0).max(100_000), recipient: z.string().min(1).max(200) }).strict(),
      limitPerMinute: context.registrationLimitPerMinute,
      response: responses.claim,
      handler: ({ body }) => context.pegin.claim(body.txid, body.vout, addressPayload(body.recipient), chain.ledger),
    }),
    defineRoute({
      method: 'get',
      path: '/evidence',
      summary: 'equivocation evidence this member holds: two conflicting messages signed by one member',
      tag: 'chain',
      response: responses.evidence,
      handler: async () => ({ evidence: (await store.evidence()).map((e) => ({ kind: e.kind, memberIndex: e.memberIndex, height: e.height, messages: hex(e.bytes) })) }),
    }),
    defineRoute({
      method: 'get',
      path: '/consensus/heard/:member',
      summary: "the proposals and votes one member signed at the height this member is deciding, as received: a member started on a restored database asks for its own before it signs again",
      tag: 'chain',
      params: z.object({ member: memberOfTheFederation(chain.genesis.members.keys.length) }),
      response: responses.heardFrom,
      handler: ({ params }) => {
        const heard = context.heardFrom(params.member);
        return { height: heard.height, messages: heard.messages.map(hex) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/tx/:txid',
      summary: `a final transaction with the block that holds it, \`pending\` while it waits in this member's mempool, or \`orphan\` while this member, behind its peers, holds it relayed without the outputs it spends; with \`waitMs\` (at most ${MAX_WAIT_MS}), a transaction not final yet is answered as soon as it is, or when that time is up`,
      tag: 'transactions',
      params: z.object({ txid: hex32 }),
      query: wait,
      response: responses.transaction,
      handler: async ({ params, query }) => {
        const txid = new Uint8Array(Buffer.from(params.txid, 'hex'));
        const deadline = Date.now() + query.waitMs;
        // The tip is read before the store: a block is stored before the tip moves to it, so the
        // height after the one read is the first the read may have missed.
        let tip = chain.tip.height;
        let found = await store.transaction(txid);
        while (!found && (await context.heightReached(tip + 1, deadline - Date.now()))) {
          tip = chain.tip.height;
          found = await store.transaction(txid);
        }
        if (!found) {
          if (chain.mempool.has(params.txid)) return { txid: params.txid, status: 'pending' };
          const waitingFor = context.orphanWaitingFor(params.txid);
          if (waitingFor) return { txid: params.txid, status: 'orphan', waitingFor: waitingFor.map(outputOf) };
          const dropped = chain.mempool.whyDropped(params.txid);
          if (dropped) throw new HttpError(404, 'dropped', `transaction ${params.txid} left this member's mempool: ${dropped}`);
          throw new NotFoundError(`transaction ${params.txid}`);
        }
        const spenders = (await store.spendersOf(txid)).map((spender) => ({ vout: spender.vout, spentBy: hex(spender.spentBy), input: spender.input, height: spender.height }));
        return { txid: params.txid, status: 'final', height: found.height, position: found.position, hex: hex(found.bytes), transaction: describeTransaction(decodeTransaction(found.bytes)), spenders };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/tx',
      summary: 'submit a signed transaction (canonical encoding, hex); 202 once it is valid and pending',
      tag: 'transactions',
      status: 202,
      body: z.object({ hex: transactionHex }).strict(),
      response: responses.pending,
      transactions: () => 1,
      handler: async ({ body }) => {
        const bytes = transactionBytes(body.hex);
        try {
          return { txid: context.submitTransaction(bytes), status: 'pending' };
        } catch (error) {
          throw await refusal(context, bytes, error);
        }
      },
    }),
    defineRoute({
      method: 'post',
      path: '/txs',
      summary: `submit up to ${MAX_TRANSACTIONS_PER_SUBMISSION} signed transactions (hex) in one request: each is admitted or refused on its own, in order, as by POST /tx (a later one may spend an earlier one), and answered at its position with its txid or the reason it was refused`,
      tag: 'transactions',
      body: z.object({ transactions: z.array(transactionHex).min(1).max(MAX_TRANSACTIONS_PER_SUBMISSION) }).strict(),
      response: responses.submissions,
      transactions: (body) => body.transactions.length,
      handler: async ({ body }) => {
        const results: responses.SubmissionResult[] = [];
        // In order, one after the other: a later transaction may spend an earlier one. Only a
        // refusal waits (for the store): an await a transaction, in an async function of its own,
        // was a fifth of the bytes a batch's request allocated (docs/PERFORMANCE.md).
        for (const hex of body.transactions) {
          const bytes = transactionBytes(hex);
          try {
            results.push({ txid: context.submitTransaction(bytes), status: 'pending' });
          } catch (error) {
            const refused = await refusal(context, bytes, error);
            // Anything but a refusal is a bug, or the database out of reach, and fails the request.
            if (!(refused instanceof StrongboxError)) throw refused;
            results.push({ status: 'refused', error: { code: refused.code, message: refused.message } });
          }
        }
        return { results };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/addresses/:address/balances',
      summary: 'final balances of an address, per asset',
      tag: 'addresses',
      params: address,
      response: responses.balances,
      handler: async ({ params }) => {
        const payload = addressPayload(params.address);
        const balances = await store.balances(payload);
        // Asked in capitals (BIP-350 allows it), answered in the lowercase every other answer uses.
        return { address: encodeAddress(ownerFromPayload(payload)), balances: balances.map((b) => ({ asset: hex(b.asset), amount: b.amount })) };
      },
    }),
  ];
}

const transactionBytes = (transactionHex: string) => new Uint8Array(Buffer.from(transactionHex, 'hex'));

/**
 * What to answer for a transaction the member refused. A client that sends again what it sent
 * before (after a timeout, say) and finds it already final is told so, with the height, rather
 * than that its inputs are missing: they are, because the transaction itself spent them.
 */
async function refusal(context: MemberApiContext, bytes: Uint8Array, error: unknown): Promise<unknown> {
  if (!(error instanceof StrongboxError && (error.code === 'missing-input' || error.code === 'double-spend'))) return error;
  const tx = decodeTransaction(bytes);
  const txid = txInfo(tx).id;
  const final = await context.store.transaction(txid);
  if (final) return new HttpError(409, 'already-final', `transaction ${hex(txid)} is already final at height ${final.height}`);
  return (await spentByFinal(context.store, tx)) ?? error;
}

/**
 * The ledger keeps unspent outputs only, so an input a final block spent reads as one it never
 * had: the store's record of spenders names the transaction that took it, which tells a wallet
 * out of date from a made-up outpoint.
 */
async function spentByFinal(store: ChainStore, tx: Transaction): Promise<LedgerError | undefined> {
  for (const input of 'inputs' in tx ? tx.inputs : []) {
    const spender = await store.spenderOf(input.txid, input.index);
    if (spender) {
      return new LedgerError('double-spend', `input ${hex(input.txid)}:${input.index} was spent by transaction ${hex(spender.spentBy)}, final at height ${spender.height}`);
    }
  }
  return undefined;
}
