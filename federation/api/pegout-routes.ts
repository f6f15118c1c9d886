import { z } from 'zod';
import { decodeBlock } from '../../sidechain/block.ts';
import { decodeCommit } from '../../sidechain/commit.ts';
import { buildInclusionProof, inclusionProofToJson } from '../../sidechain/inclusion-proof.ts';
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

const txidParams = z.object({ txid: z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes as lowercase hex') });
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

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
  const burnView = async (burn: BurnRecord) => {
    const common = { txid: burn.txid, amountSats: burn.amount, destination: addressOfScript(burn.destinationScript, pegout.network), destinationScript: hex(burn.destinationScript), height: burn.height };
    // Held here when this member, as proposer, found its batch above the circuit breaker.
    if (!burn.settlement) {
      const approval = pegout.approvedHere(burn.txid) ? { approvedHere: true } : pegout.heldForApproval().includes(burn.txid) ? { heldForApproval: true } : {};
      return { ...common, status: 'final', ...approval };
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
      handler: async () => pegout.policy(await pegout.feeRate()),
    }),
    defineRoute({
      method: 'get',
      path: '/pegout/burns/:txid',
      summary: "a burn's progress: pending, final, settled by a Bitcoin transaction, its confirmations",
      tag: 'peg',
      params: txidParams,
      handler: async ({ params }) => {
        const burn = chain.ledger.getBurn(params.txid);
        if (!burn) {
          if (chain.mempool.has(params.txid)) return { txid: params.txid, status: 'pending' };
          throw new NotFoundError(`burn ${params.txid}`);
        }
        return burnView(burn);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/pegout/burns',
      summary: 'final burns, newest first, each with the Bitcoin transaction paying it and its confirmations; `cursor` is `height:txid` of the last one seen',
      tag: 'peg',
      query: pageQuery(z.string().regex(/^[0-9]{1,15}:[0-9a-f]{64}$/, 'expected height:txid')),
      handler: async ({ query }) => {
        const [height, txid] = query.cursor?.split(':') ?? [];
        const before = query.cursor === undefined ? null : { height: Number(height), txid: new Uint8Array(Buffer.from(txid!, 'hex')) };
        const page = pageOf(await queries.burnsDown(before, query.limit + 1), query.limit, (last) => `${last.height}:${hex(last.txid)}`);
        const burns = page.items.map((row) => chain.ledger.getBurn(hex(row.txid))).filter((burn) => burn !== undefined);
        return { burns: await Promise.all(burns.map(burnView)), next: page.next };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/pegout/settlements/:txid',
      summary: 'a settlement still being signed or confirmed: its burns, the signers per input and the PSBT (BIP-174) with the signatures collected',
      tag: 'peg',
      params: txidParams,
      handler: ({ params }) => {
        const view = pegout.settlementView(params.txid);
        if (!view) throw new NotFoundError(`open settlement ${params.txid}`);
        return view;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/reserves',
      summary: "proof of reserves as this member sees it: the escrow outputs its final chain names, looked up in its own Bitcoin node (mempool included), against the pegged BTC outstanding; a settlement recorded but not yet broadcast reads as a missing output for a moment",
      tag: 'peg',
      handler: () => reserves.status(),
    }),
    defineRoute({
      method: 'get',
      path: '/proofs/:txid',
      summary: 'standalone inclusion proof of a final transaction (a burn proof for a peg-out): header, commit certificate, Merkle path',
      tag: 'chain',
      params: txidParams,
      handler: async ({ params }) => {
        const located = await store.transaction(new Uint8Array(Buffer.from(params.txid, 'hex')));
        const stored = located && (await chain.finalBlockAt(located.height));
        if (!located || !stored) throw new NotFoundError(`final transaction ${params.txid}`);
        return inclusionProofToJson(buildInclusionProof(decodeBlock(stored.block), decodeCommit(stored.commit), located.position));
      },
    }),
  ];
}
