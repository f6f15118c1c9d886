import { z } from 'zod';
import { addressPayload, encodeAddress, ownerFromPayload } from '../../sidechain/address.ts';
import { sameBytes } from '../../sidechain/bytes.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import type { PegSupply } from '../../sidechain/ledger/index.ts';
import type { MemberHealth } from '../member/federation-health.ts';
import { DEPOSIT_STATES, depositTotals, type DepositView } from '../member/pegin-deposits.ts';
import { pageOf, pageQuery } from './pagination.ts';
import { defineRoute, type Route } from './route.ts';
import * as wire from './wire-shapes.ts';

export interface MonitorContext {
  federation(): Promise<MemberHealth[]>;
  deposits(): Promise<DepositView[]>;
  supply(): PegSupply;
}

const depositViewSchema = z.strictObject({
  txid: wire.bitcoinTxid,
  vout: wire.uint,
  amountSats: wire.sats,
  recipient: wire.address,
  bitcoinHeight: wire.uint.describe('the Bitcoin block that holds it'),
  confirmations: wire.bitcoinConfirmations,
  required: wire.requiredConfirmations.describe('confirmations it needs before it is minted: the genesis depth, and at least 100 for one paid by a coinbase while it waits for its mint (a minted one, or one with 100, shows the genesis depth)'),
  state: z.enum(DEPOSIT_STATES).describe('confirming, confirmed (queued for its mint), minted, or below-minimum (never minted)'),
  mintTxid: wire.txid.nullable().describe('the sidechain transaction that mints it, known before it exists; null when it is never minted'),
});
const depositTotal = z.strictObject({ count: wire.uint, sats: wire.sats });

const depositCursor = (d: { bitcoinHeight: number; txid: string; vout: number }) => `${d.bitcoinHeight}:${d.txid}:${d.vout}`;

/** Follows a list sorted newest first (by Bitcoin height, then txid and vout) past a cursor. */
function afterCursor(cursor: string) {
  const [height, txid, vout] = cursor.split(':');
  return (d: DepositView) => d.bitcoinHeight < Number(height) || (d.bitcoinHeight === Number(height) && (d.txid > txid! || (d.txid === txid && d.vout > Number(vout))));
}

/** The `recipient` filter's address, refused with 400 naming the parameter when it is none. */
function recipientPayload(address: string): Uint8Array {
  try {
    return addressPayload(address);
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError('bad-request', `query.recipient: ${error.message}`);
    throw error;
  }
}

/** Federation health and the peg-in queue, as one member sees them. */
export function monitorRoutes(context: MonitorContext): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/federation',
      summary: 'every member: connected to this one, when last heard from, and the last final block it signed',
      tag: 'chain',
      response: z.strictObject({
        members: z.array(
          z.strictObject({
            index: wire.memberIndex,
            name: z.string(),
            self: z.boolean().describe('this member itself'),
            connected: z.boolean().describe('an authenticated peer connection is open (always true for self)'),
            lastSeenMs: z.number().int().nullable().describe('when this member last received a message from it, ms since the epoch; null if never since it started'),
            lastSigned: z
              .strictObject({ height: wire.height, timeMs: wire.timeMs.describe("the block's time: ms since the epoch, as a decimal string") })
              .nullable()
              .describe("the last final block it signed, among the recent ones: its precommit is in the block's commit certificate, or reached this member after the decision; null if none"),
          }),
        ),
        nowMs: z.number().int().describe("this member's clock as it answered, ms since the epoch: what lastSeenMs is of, whatever the asker's clock says"),
      }),
      handler: async () => ({ members: await context.federation(), nowMs: Date.now() }),
    }),
    defineRoute({
      method: 'get',
      path: '/supply',
      summary: 'pegged BTC (its asset id) minted, burned and outstanding, and the peg-in deposits by state (count and sats)',
      tag: 'peg',
      response: z.strictObject({
        pegged: z.strictObject({ asset: wire.assetId.describe('the asset id of pegged BTC'), minted: wire.sats, burned: wire.sats, outstanding: wire.sats.describe('minted less burned: what the escrow owes, in satoshis as a decimal string') }),
        deposits: z.strictObject(Object.fromEntries(DEPOSIT_STATES.map((state) => [state, depositTotal]))).describe('peg-in deposits by state: how many, and their satoshis'),
      }),
      handler: async () => {
        const { minted, burned } = context.supply();
        return { pegged: { asset: BTC_ASSET_KEY, minted, burned, outstanding: minted - burned }, deposits: depositTotals(await context.deposits()) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/pegin/deposits',
      summary: 'peg-in deposits, newest first: confirming, confirmed (queued for the mint) or minted; `state` and `recipient` (an sbx1… address) keep those only; `cursor` is `bitcoinHeight:txid:vout`',
      tag: 'peg',
      query: pageQuery(z.string().regex(/^[0-9]{1,10}:[0-9a-f]{64}:[0-9]{1,6}$/, 'expected bitcoinHeight:txid:vout')).extend({
        state: z.enum(DEPOSIT_STATES).optional(),
        recipient: z.string().min(1).max(200).optional().describe('only the deposits minted, or to be minted, to this sidechain address'),
      }),
      response: wire.page('deposits', depositViewSchema),
      handler: async ({ query }) => {
        const recipient = query.recipient === undefined ? undefined : recipientPayload(query.recipient);
        const all = (await context.deposits()).filter((d) => (query.state === undefined || d.state === query.state) && (recipient === undefined || sameBytes(d.recipient, recipient)));
        const rest = query.cursor === undefined ? all : all.filter(afterCursor(query.cursor));
        const page = pageOf(rest.slice(0, query.limit + 1), query.limit, depositCursor);
        return { deposits: page.items.map((d) => ({ ...d, recipient: encodeAddress(ownerFromPayload(d.recipient)) })), next: page.next };
      },
    }),
  ];
}
