import { z } from 'zod';
import { encodeAddress, ownerFromPayload } from '../../sidechain/address.ts';
import type { LedgerReader } from '../../sidechain/ledger/index.ts';
import { defineRoute, HttpError, type Route } from './route.ts';
import * as wire from './wire-shapes.ts';

/** One unspent output by its outpoint: what a buyer checks before completing a delivery-versus-payment offer. */
export function outputRoutes(context: { ledger: LedgerReader }): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/outputs/:txid/:vout',
      summary: 'an unspent final output: owner address, asset, amount and the height that created it; 404 once spent',
      tag: 'transactions',
      params: z.object({ txid: z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes as lowercase hex'), vout: z.coerce.number().int().min(0).max(0xffffffff) }),
      response: wire.unspentOutput.extend({ address: wire.address }),
      handler: ({ params }) => {
        const utxo = context.ledger.getUtxo(`${params.txid}:${params.vout}`);
        if (!utxo) throw new HttpError(404, 'not-found', `output ${params.txid}:${params.vout} is not unspent: it was spent, or never created`);
        return { txid: params.txid, vout: params.vout, address: encodeAddress(ownerFromPayload(utxo.owner)), asset: utxo.assetKey, amount: utxo.amount, height: utxo.height };
      },
    }),
  ];
}
