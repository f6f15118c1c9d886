import { z } from 'zod';
import { decodeBlock } from '../../sidechain/block.ts';
import { decodeCommit } from '../../sidechain/commit.ts';
import { buildInclusionProof, inclusionProofToJson, proofJsonSchema } from '../../sidechain/inclusion-proof.ts';
import type { ChainStore } from '../../sidechain/store/chain-store.ts';
import type { ChainQueries } from '../../sidechain/store/chain-queries.ts';
import type { BurnRecord } from '../../sidechain/ledger/state.ts';
import { addressOfScript } from '../../watcher/bitcoin-address.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import type { Chain } from '../member/chain.ts';
import type { Pegout } from '../member/pegout.ts';
import { ReservesStatusCheck } from '../member/reserves-status.ts';
import { defineRoute, NotFoundError, type Route } from './route.ts';
import { pageOf, pageQuery } from './pagination.ts';
import * as wire from './wire-shapes.ts';

const txidParams = z.object({ txid: z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes as lowercase hex') });
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const finalBurn = {
  txid: wire.txid,
  amountSats: wire.sats.describe('pegged BTC burned, in satoshis as a decimal string'),
  destination: wire.bitcoinAddress.optional().describe('the Bitcoin address paid; absent when the script has no address form'),
  destinationScript: wire.hexBytes('the Bitcoin output script paid, as hex'),
  height: wire.height.describe('the block that holds the burn'),
};
/** A final burn: waiting for its settlement, or bound to the Bitcoin transaction that pays it. */
const burnViewSchema = z.discriminatedUnion('status', [
  z.strictObject({
    ...finalBurn,
    status: z.literal('final').describe('final on the sidechain, not yet bound to a Bitcoin payment'),
    approvedHere: z.literal(true).optional().describe("this member's operator approved it past the circuit breaker"),
    heldForApproval: z.literal(true).optional().describe('it waits at the circuit breaker for operators to approve it'),
    waitingForBitcoinBlock: z
      .literal(true)
      .optional()
      .describe('the batch it is in waits for a Bitcoin block: the peg-outs waiting unconfirmed form as long a chain as Bitcoin nodes relay'),
    waitingBecause: z
      .string()
      .optional()
      .describe("why the next peg-out batch leaves it out, in words: its fee share would leave less than Bitcoin's dust limit, or the escrow coins cannot pay it yet"),
  }),
  z.strictObject({
    ...finalBurn,
    status: z.enum(['settling', 'in-bitcoin']).describe("settling: the paying Bitcoin transaction is not yet in this member's node; in-bitcoin: it is, in the mempool or a block"),
    bitcoinTxid: wire.bitcoinTxid.describe('the Bitcoin transaction paying it'),
    vout: wire.uint.describe('the output paying it'),
    paidSats: wire.sats.describe('satoshis paid: the burn less its fee share, as a decimal string'),
    feeShareSats: wire.sats.describe("the burn's share of the Bitcoin fee, in satoshis as a decimal string"),
    confirmations: wire.bitcoinConfirmations,
  }),
]);

/** A burn's progress: in the mempool, or final and as far as its payment has come. */
const burnStatusSchema = z.union([z.strictObject({ txid: wire.txid, status: z.literal('pending').describe("in this member's mempool") }), burnViewSchema]);
export type BurnStatus = z.infer<typeof burnStatusSchema>;

export interface PegoutApiContext {
  chain: Chain;
  store: ChainStore;
  queries: ChainQueries;
  pegout: Pegout;
  rpc: BitcoinRpc;
}

/** Peg-out: the fee policy, each burn's way to Bitcoin, settlement PSBTs, and inclusion proofs. */
export function pegoutRoutes({ chain, store, queries, pegout, rpc }: PegoutApiContext): Route[] {
  const reserves = new ReservesStatusCheck(rpc, pegout.escrow, pegout.coins, chain.ledger, () => chain.tip.height);
  /** A final burn and how far its payment has come: final, bound to a Bitcoin transaction, confirmed. */
  /** The burns waiting at the circuit breaker, worked out at most once per request: each time sorts every unsettled burn. */
  const heldForApproval = () => {
    let held: ReadonlySet<string> | undefined;
    return () => (held ??= new Set(pegout.heldForApproval(chain.ledger)));
  };
  /** Why due burns wait, worked out at most once per request: each time plans the next batch. */
  const waitingReasons = () => {
    let reasons: Promise<ReadonlyMap<string, string>> | undefined;
    return () => (reasons ??= pegout.waitingReasons(chain.ledger));
  };
  const burnView = async (burn: BurnRecord, held: () => ReadonlySet<string>, waiting: () => Promise<ReadonlyMap<string, string>>) => {
    const common = { txid: burn.txid, amountSats: burn.amount, destination: addressOfScript(burn.destinationScript, pegout.network), destinationScript: hex(burn.destinationScript), height: burn.height };
    // Held when this member would not pay it without its operator's approval.
    if (!burn.settlement) {
      const approval = pegout.approvedHere(burn.txid) ? { approvedHere: true } : held().has(burn.txid) ? { heldForApproval: true } : pegout.waitsForBitcoinBlock ? { waitingForBitcoinBlock: true } : {};
      const reason = (await waiting()).get(burn.txid);
      return { ...common, status: 'final', ...approval, ...(reason ? { waitingBecause: reason } : {}) };
    }
    const { bitcoinTxid, vout, paidSats } = burn.settlement;
    const confirmations = await rpc.getTransactionConfirmations(bitcoinTxid);
    return { ...common, status: confirmations === null ? 'settling' : 'in-bitcoin', bitcoinTxid, vout, paidSats, feeShareSats: burn.amount - paidSats, confirmations: confirmations ?? 0 };
  };
  return [
    defineRoute({
      method: 'get',
      path: '/pegout/policy',
      summary: 'the peg-out minimum, fee rate and fee rule, circuit breaker and reserves',
      tag: 'peg',
      response: z.strictObject({
        minimumSats: wire.sats.describe('the smallest burn paid out, in satoshis as a decimal string'),
        feeRateSatPerVb: wire.decimalString('the Bitcoin fee rate this member would pay now, sat/vB as a decimal string'),
        feeRule: z.string().describe('how the Bitcoin fee is shared among the burns of a batch, in words'),
        circuitBreakerBasisPoints: wire.uint.describe('peg-outs beyond this share of the reserves per hour (basis points) wait for operators to approve them'),
        batchWindowMs: wire.uint.describe('how long burns are gathered into one batch'),
        reservesSats: wire.sats.describe('the escrow coins this member counts, in satoshis as a decimal string'),
        heldForApproval: z.array(wire.txid).describe('unsettled burns beyond the circuit breaker that this member has not approved: those after them are paid meanwhile'),
      }),
      handler: async () => pegout.policy(await pegout.feeRate(), chain.ledger),
    }),
    defineRoute({
      method: 'get',
      path: '/pegout/burns/:txid',
      summary: "a burn's progress: pending, final, settled by a Bitcoin transaction, its confirmations",
      tag: 'peg',
      params: txidParams,
      response: burnStatusSchema,
      handler: async ({ params }) => {
        const burn = chain.ledger.getBurn(params.txid);
        if (!burn) {
          // A pending transfer or issuance is no burn: answered as one, it would read "burned".
          if (chain.mempool.transaction(params.txid)?.kind === 'pegout') return { txid: params.txid, status: 'pending' };
          throw new NotFoundError(`burn ${params.txid}`);
        }
        return burnView(burn, heldForApproval(), waitingReasons());
      },
    }),
    defineRoute({
      method: 'get',
      path: '/pegout/burns',
      summary: 'final burns, newest first, each with the Bitcoin transaction paying it and its confirmations; `cursor` is `height:txid` of the last one seen',
      tag: 'peg',
      query: pageQuery(z.string().regex(/^[0-9]{1,15}:[0-9a-f]{64}$/, 'expected height:txid')),
      response: wire.page('burns', burnViewSchema),
      handler: async ({ query }) => {
        const [height, txid] = query.cursor?.split(':') ?? [];
        const before = query.cursor === undefined ? null : { height: Number(height), txid: new Uint8Array(Buffer.from(txid!, 'hex')) };
        const page = pageOf(await queries.burnsDown(before, query.limit + 1), query.limit, (last) => `${last.height}:${hex(last.txid)}`);
        const burns = page.items.map((row) => chain.ledger.getBurn(hex(row.txid))).filter((burn) => burn !== undefined);
        const held = heldForApproval();
        const waiting = waitingReasons();
        return { burns: await Promise.all(burns.map((burn) => burnView(burn, held, waiting))), next: page.next };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/pegout/settlements/:txid',
      summary: 'a settlement still being signed or confirmed: its burns, the signers per input and the PSBT (BIP-174) with the signatures collected',
      tag: 'peg',
      params: txidParams,
      response: z.strictObject({
        bitcoinTxid: wire.bitcoinTxid,
        burns: z.array(wire.txid).describe('the burns it pays, output i paying burn i (none for a fee bump)'),
        psbt: z.base64().describe('the PSBT (BIP-174) with the signatures collected so far, base64'),
        signers: z.array(z.array(wire.memberIndex)).describe('per input, the members whose signatures it holds'),
      }),
      handler: ({ params }) => {
        const view = pegout.settlementView(params.txid);
        if (!view) throw new NotFoundError(`open settlement ${params.txid}`);
        return view;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/reserves',
      summary: "proof of reserves as this member sees it: the escrow outputs its final chain names, looked up in its own Bitcoin node (mempool included), against the pegged BTC outstanding and the final burns not paid yet; a settlement recorded but not yet broadcast reads as a missing output for a moment",
      tag: 'peg',
      response: z.strictObject({
        scope: z.string().describe('what was checked against what, in words'),
        checkedAt: z.iso.datetime().describe('when this member checked (answers are reused for a few seconds)'),
        height: wire.height.describe('the tip checked'),
        result: z.enum(['reserves cover the pegged supply', 'RESERVES SHORT']),
        escrowSats: wire.sats.describe('satoshis in the escrow outputs found unspent, as a decimal string'),
        escrowOutputs: wire.uint.describe('escrow outputs found unspent'),
        missingOutputs: wire.uint.describe('escrow outputs the chain names that the node shows spent or does not know'),
        outstandingSats: wire.sats.describe('pegged BTC outstanding (minted less burned), in satoshis as a decimal string'),
        unpaidBurns: wire.uint.describe('final burns no settlement pays yet: the escrow owes them beside the pegged BTC outstanding'),
        unpaidBurnSats: wire.sats.describe('what those burns burned, in satoshis as a decimal string'),
        oldestUnpaidBurnHeight: wire.height.nullable().describe('the height of the earliest of them; null when none'),
        problem: z.string().optional().describe('the shortfall in words; only when the reserves are short'),
      }),
      handler: () => reserves.status(),
    }),
    defineRoute({
      method: 'get',
      path: '/proofs/:txid',
      summary: 'standalone inclusion proof of a final transaction (a burn proof for a peg-out): header, commit certificate, Merkle path',
      tag: 'chain',
      params: txidParams,
      response: proofJsonSchema.describe('exchange form (version 1): header, commit certificate and transaction as hex of their canonical encodings; index of the transaction in the block; RFC 6962 audit path of 32-byte hashes as hex, from the leaf up'),
      handler: async ({ params }) => {
        const located = await store.transaction(new Uint8Array(Buffer.from(params.txid, 'hex')));
        const stored = located && (await chain.finalBlockAt(located.height));
        if (!located || !stored) throw new NotFoundError(`final transaction ${params.txid}`);
        return inclusionProofToJson(buildInclusionProof(decodeBlock(stored.block), decodeCommit(stored.commit), located.position));
      },
    }),
  ];
}
