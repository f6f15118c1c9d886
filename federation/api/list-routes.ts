import { z } from 'zod';
import { addressPayload, encodeAddress, keyOwner, ownerFromPayload } from '../../sidechain/address.ts';
import { TxKind, type TxKindName } from '../../sidechain/transaction/types.ts';
import { decodeTransaction } from '../../sidechain/transaction/codec.ts';
import { issuerOwner } from '../../sidechain/ledger/dividend.ts';
import type { AssetRecord, LedgerState } from '../../sidechain/ledger/index.ts';
import type { ChainQueries } from '../../sidechain/store/chain-queries.ts';
import { blockSummary, blockSummarySchema } from './block-view.ts';
import { pageOf, pageQuery } from './pagination.ts';
import { defineRoute, HttpError, NotFoundError, type Route } from './route.ts';
import * as wire from './wire-shapes.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const KIND_NAMES = new Map<number, string>(Object.entries(TxKind).map(([name, byte]) => [byte, name]));
const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes as lowercase hex');
/** The cursor of lists in chain order: the block height and position in it of the last transaction seen. */
const HEIGHT_POSITION = z.string().regex(/^[0-9]{1,15}:[0-9]{1,6}$/, 'expected height:position');
const heightPositionOf = (cursor: string | undefined) => {
  if (cursor === undefined) return null;
  const [height, position] = cursor.split(':').map(Number);
  return { height: height!, position: position! };
};

export interface ListContext {
  queries: ChainQueries;
  /** The ledger of final blocks, for the asset registry. */
  ledger: LedgerState;
  tipHeight(): number;
}

function assetView(record: AssetRecord) {
  return {
    id: hex(record.id),
    issuer: hex(record.issuer),
    issuerAddress: encodeAddress(keyOwner(record.issuer)),
    ...record.metadata,
    height: record.height,
    supply: record.supply,
    /** Registry changes so far; the next allowlist update or re-issuance carries sequence + 1. */
    sequence: record.sequence,
    allowlisted: record.allowlist.size,
  };
}

const assetViewSchema = z.strictObject({
  id: wire.assetId,
  issuer: wire.issuerKey,
  issuerAddress: wire.address.describe("the address of the issuer's key: the wallet that issued it"),
  ...wire.assetMetadataShape,
  height: wire.height.describe('the block that issued it'),
  supply: wire.baseUnits.describe('units issued so far, in base units as a decimal string'),
  sequence: wire.decimalString('registry changes so far (allowlist updates, re-issuances); the next one carries sequence + 1'),
  allowlisted: wire.uint.describe('addresses on its allowlist'),
});

/** Paged lists of the final chain: blocks (and one found by its hash), transactions, an address's outputs, the asset registry and a security's dividends. */
export function listRoutes(context: ListContext): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/blocks',
      summary: 'final blocks, newest first; `cursor` is the height to start from (default: the tip)',
      tag: 'chain',
      query: pageQuery(z.string().regex(/^[0-9]{1,15}$/, 'expected a block height')),
      response: wire.page('blocks', blockSummarySchema),
      handler: async ({ query }) => {
        const from = query.cursor === undefined ? context.tipHeight() : Number(query.cursor);
        const rows = await context.queries.blocksDown(from, query.limit + 1);
        const page = pageOf(rows, query.limit, (last) => String(last.height - 1));
        return { blocks: page.items.map(blockSummary), next: page.next };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/blocks/by-hash/:hash',
      summary: 'the final block with this hash, as GET /blocks lists it (GET /blocks/:height adds its transactions)',
      tag: 'chain',
      params: z.object({ hash: hex32 }),
      response: blockSummarySchema,
      handler: async ({ params }) => {
        const row = await context.queries.blockWithHash(bytes(params.hash));
        if (!row) throw new HttpError(404, 'not-found', `no final block has hash ${params.hash}`);
        return blockSummary(row);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/transactions',
      summary: 'final transactions, newest first; `cursor` is `height:position` of the last one seen',
      tag: 'transactions',
      query: pageQuery(HEIGHT_POSITION),
      response: wire.page(
        'transactions',
        z.strictObject({ txid: wire.txid, kind: z.enum(Object.keys(TxKind) as TxKindName[]), height: wire.height, position: wire.uint.describe('its index in the block') }),
      ),
      handler: async ({ query }) => {
        const rows = await context.queries.transactionsDown(heightPositionOf(query.cursor), query.limit + 1);
        const page = pageOf(rows, query.limit, (last) => `${last.height}:${last.position}`);
        return {
          transactions: page.items.map((row) => ({ txid: hex(row.txid), kind: KIND_NAMES.get(row.kind) ?? String(row.kind), height: row.height, position: row.position })),
          next: page.next,
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/addresses/:address/utxos',
      summary: 'final unspent outputs of an address, oldest first, what a wallet spends from; `cursor` is `height:txid:vout`',
      tag: 'addresses',
      params: z.object({ address: z.string().min(1).max(200) }),
      query: pageQuery(z.string().regex(/^[0-9]{1,15}:[0-9a-f]{64}:[0-9]{1,6}$/, 'expected height:txid:vout')),
      response: wire.page('utxos', wire.unspentOutput).extend({ address: wire.address }),
      handler: async ({ params, query }) => {
        const payload = addressPayload(params.address);
        const [height, txid, vout] = query.cursor?.split(':') ?? [];
        const after = query.cursor === undefined ? null : { height: Number(height), txid: bytes(txid!), vout: Number(vout) };
        const rows = await context.queries.utxosOf(payload, after, query.limit + 1);
        const page = pageOf(rows, query.limit, (last) => `${last.height}:${hex(last.txid)}:${last.vout}`);
        return {
          address: encodeAddress(ownerFromPayload(payload)),
          utxos: page.items.map((u) => ({ txid: hex(u.txid), vout: u.vout, asset: hex(u.asset), amount: u.amount, height: u.height })),
          next: page.next,
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/assets',
      summary: 'the registry of issued securities, by asset id; `isin` keeps those registered under that ISIN (the chain lets several share one); `cursor` is the last asset id seen',
      tag: 'assets',
      query: pageQuery(hex32).extend({ isin: z.string().regex(/^[A-Z]{2}[A-Z0-9]{9}[0-9]$/, 'expected an ISIN: two letters, nine letters or digits, a check digit').optional() }),
      response: wire.page('assets', assetViewSchema),
      handler: ({ query }) => {
        const registered = query.isin === undefined ? [...context.ledger.assets.keys()] : [...context.ledger.assets].filter(([, record]) => record.metadata.isin === query.isin).map(([key]) => key);
        const keys = registered.sort().filter((key) => query.cursor === undefined || key > query.cursor);
        const page = pageOf(keys.slice(0, query.limit + 1), query.limit, (last) => last);
        return { assets: page.items.map((key) => assetView(context.ledger.assets.get(key)!)), next: page.next };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/assets/:asset',
      summary: 'one issued security: metadata, supply, issuer, and how many holders it has',
      tag: 'assets',
      params: z.object({ asset: wire.assetIdParam }),
      response: assetViewSchema.extend({ holders: wire.uint.describe('addresses holding some of it now') }),
      handler: async ({ params }) => {
        const record = context.ledger.assets.get(params.asset);
        if (!record) throw new NotFoundError(`asset ${params.asset}`);
        return { ...assetView(record), holders: await context.queries.holderCount(record.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/assets/:asset/dividends',
      summary: 'the dividends paid on one security, oldest first: the transaction, its block, the record height, the satoshis paid to holders and how many were paid; `cursor` is `height:position` of the last one seen',
      tag: 'assets',
      params: z.object({ asset: wire.assetIdParam }),
      query: pageQuery(HEIGHT_POSITION),
      response: wire.page(
        'dividends',
        z.strictObject({
          txid: wire.txid,
          height: wire.height.describe('the block that paid it'),
          recordHeight: wire.height.describe('holders after this block were paid'),
          paid: wire.baseUnits.describe('satoshis paid to the holders, the change back to the issuer left out'),
          holders: wire.uint.describe('holders paid: one output each'),
        }),
      ),
      handler: async ({ params, query }) => {
        const record = context.ledger.assets.get(params.asset);
        if (!record) throw new NotFoundError(`asset ${params.asset}`);
        const change = hex(issuerOwner(record.issuer));
        const rows = await context.queries.dividendsOf(record.id, heightPositionOf(query.cursor), query.limit + 1);
        const page = pageOf(rows, query.limit, (last) => `${last.height}:${last.position}`);
        const dividends = page.items.map((row) => {
          const body = decodeTransaction(row.bytes);
          if (body.kind !== 'dividend') throw new Error(`transaction ${hex(row.txid)} is indexed as a dividend but is a ${body.kind}`);
          const payments = body.outputs.filter((output) => hex(output.owner) !== change);
          const paid = payments.reduce((sum, output) => sum + output.amount, 0n);
          return { txid: hex(row.txid), height: row.height, recordHeight: body.recordHeight, paid, holders: payments.length };
        });
        return { dividends, next: page.next };
      },
    }),
  ];
}
