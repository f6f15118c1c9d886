import { z } from 'zod';
import type { Anchoring } from '../member/anchoring.ts';
import type { BitcoinRecords } from '../member/bitcoin-records.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import { pageOf, pageQuery } from './pagination.ts';
import { defineRoute, HttpError, type Route } from './route.ts';
import * as wire from './wire-shapes.ts';

/**
 * The anchors of the final chain with their Bitcoin confirmations, the operations wallet that pays
 * for them, and the record naming each Bitcoin transaction the federation writes.
 */
export function anchorRoutes(context: { anchoring: Anchoring; bitcoinRecords: BitcoinRecords; rpc: BitcoinRpc }): Route[] {
  const { anchoring, bitcoinRecords, rpc } = context;
  return [
    defineRoute({
      method: 'get',
      path: '/anchors',
      summary: 'anchor records, newest first: the sidechain height and block hash each wrote into Bitcoin, its Bitcoin txid and confirmations (null: unknown to this member\'s node); `cursor` is the record height to go below',
      tag: 'anchors',
      query: pageQuery(z.string().regex(/^[0-9]{1,15}$/, 'expected a block height')),
      response: wire.page(
        'anchors',
        z.strictObject({
          height: wire.height.describe('the anchored block'),
          blockHash: wire.hex32('hash of the anchored block'),
          bitcoinTxid: wire.bitcoinTxid.describe('the Bitcoin transaction that writes it'),
          confirmations: wire.bitcoinConfirmations.nullable().describe("confirmations in this member's Bitcoin node; 0 in its mempool, null when the node does not know it"),
          recordHeight: wire.height.describe('the block holding the anchor record'),
          recordedAtMs: wire.timeMs.describe("that block's time: ms since the epoch, as a decimal string"),
        }),
      ),
      handler: async ({ query }) => {
        const records = anchoring.list(query.cursor === undefined ? undefined : Number(query.cursor), query.limit + 1);
        const page = pageOf(records, query.limit, (last) => String(last.recordHeight));
        const anchors = await Promise.all(
          page.items.map(async (record) => ({
            height: record.anchoredHeight,
            blockHash: record.blockHash,
            bitcoinTxid: record.bitcoinTxid,
            confirmations: await rpc.getTransactionConfirmations(record.bitcoinTxid),
            recordHeight: record.recordHeight,
            recordedAtMs: record.timeMs,
          })),
        );
        return { anchors, next: page.next };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/bitcoin-records/:txid',
      summary: 'the record of the final chain that names a Bitcoin transaction the federation writes: an anchor, or a settlement (a peg-out batch or its fee bump)',
      tag: 'anchors',
      params: z.object({ txid: z.string().regex(/^[0-9a-f]{64}$/, 'expected a Bitcoin txid: 32 bytes as lowercase hex') }),
      response: z.strictObject({
        bitcoinTxid: wire.bitcoinTxid,
        kind: z.enum(['anchor', 'settlement']).describe('the kind of the record'),
        txid: wire.txid.describe('the sidechain transaction that is the record'),
        height: wire.height.describe('the block holding it'),
      }),
      handler: ({ params }) => {
        const record = bitcoinRecords.find(params.txid);
        if (!record) throw new HttpError(404, 'not-found', `no anchor or settlement of the final chain names Bitcoin transaction ${params.txid}`);
        return { bitcoinTxid: params.txid, ...record };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/anchors/wallet',
      summary: 'the federation operations wallet that pays anchor fees and peg-out fee bumps (k-of-n P2WSH, separate from the peg escrow): descriptor, address, and the coins this member knows it holds',
      tag: 'anchors',
      response: z.strictObject({
        descriptor: z.string().describe('output descriptor of the operations wallet'),
        address: wire.bitcoinAddress.describe('the address that funds it'),
        balanceSats: wire.sats.describe('the sum of its coins, in satoshis as a decimal string'),
        coins: z.array(z.strictObject({ txid: wire.bitcoinTxid, vout: wire.uint, valueSats: wire.sats })),
      }),
      handler: () => {
        const view = anchoring.walletView();
        return { ...view, coins: view.coins.map((coin) => ({ txid: coin.txid, vout: coin.vout, valueSats: coin.value })) };
      },
    }),
  ];
}
