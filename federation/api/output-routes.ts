import { z } from 'zod';
import { encodeAddress, ownerFromPayload } from '../../sidechain/address.ts';
import type { LedgerReader } from '../../sidechain/ledger/index.ts';
import type { ChainStore } from '../../sidechain/store/chain-store.ts';
import { defineRoute, HttpError, type Route } from './route.ts';
import * as wire from './wire-shapes.ts';

/** One unspent output by its outpoint: what a buyer checks before completing a delivery-versus-payment offer. */
export function outputRoutes(context: { ledger: LedgerReader; store: Pick<ChainStore, 'spenderOf'> }): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/outputs/:txid/:vout',
      summary: 'an unspent final output: owner address, asset, amount and the height that created it; 404 once spent, naming the transaction that spent it',
      tag: 'transactions',
      params: z.object({ txid: z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes as lowercase hex'), vout: z.coerce.number().int().min(0).max(0xffffffff) }),
      response: wire.unspentOutput.extend({ address: wire.address }),
      handler: async ({ params }) => {
        const outpoint = `${params.txid}:${params.vout}`;
        const utxo = context.ledger.getUtxo(outpoint);
        if (!utxo) {
          const spender = await context.store.spenderOf(new Uint8Array(Buffer.from(params.txid, 'hex')), params.vout);
          if (spender) throw new HttpError(404, 'spent', `output ${outpoint} was spent by transaction ${Buffer.from(spender.spentBy).toString('hex')} at height ${spender.height}`);
          throw new HttpError(404, 'not-found', `output ${outpoint} is not a final output: no final transaction created it`);
        }
        return { txid: params.txid, vout: params.vout, address: encodeAddress(ownerFromPayload(utxo.owner)), asset: utxo.assetKey, amount: utxo.amount, height: utxo.height };
      },
    }),
  ];
}
