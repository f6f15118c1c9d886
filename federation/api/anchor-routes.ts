import { z } from 'zod';
import type { Anchoring } from '../member/anchoring.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import { pageOf, pageQuery } from './pagination.ts';
import { defineRoute, type Route } from './route.ts';
import * as wire from './wire-shapes.ts';

/** The anchors of the final chain with their Bitcoin confirmations, and the operations wallet that pays for them. */
export function anchorRoutes(context: { anchoring: Anchoring; rpc: BitcoinRpc }): Route[] {
  const { anchoring, rpc } = context;
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
