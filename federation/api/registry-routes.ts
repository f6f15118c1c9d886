import { z } from 'zod';
import { addressPayload, encodeAddress, ownerFromPayload } from '../../sidechain/address.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { taggedHash } from '../../sidechain/hash.ts';
import type { AssetRecord, LedgerState } from '../../sidechain/ledger/index.ts';
import { ForbiddenError, type Principal, type RegistryAuthenticator } from '../roles/authorize.ts';
import { pageOf, pageQuery } from './pagination.ts';
import { defineRoute, NotFoundError, type Route } from './route.ts';
import * as wire from './wire-shapes.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const addressOf = (owner: Uint8Array) => encodeAddress(ownerFromPayload(owner));
/** The cursor of a register: the height it is of and the last owner (hex) seen, so that every page is of the same height. */
const HOLDER_CURSOR = z.string().regex(/^[0-9]{1,15}:[0-9a-f]{66}$/, 'expected height:owner, the owner as 33 bytes of lowercase hex');
/**
 * The cursor of an allowlist: a digest of the list it is of and the last owner (hex) seen. The
 * ledger keeps no allowlist of the past, so a page after the list changed is refused rather than
 * read from the new list, where an address could be seen twice or missed. The digest is of the list
 * itself, not the registry sequence, which a re-issuance moves without changing the list.
 */
const ALLOWLIST_CURSOR = z.string().regex(/^[0-9a-f]{32}:[0-9a-f]{66}$/, 'expected digest:owner, the allowlist digest as 32 and the owner as 66 digits of lowercase hex');
/** 16 bytes: a reader is never told one list is another but by a collision no issuer can search out. */
const ALLOWLIST_DIGEST_BYTES = 16;

/** The digest an allowlist's cursor carries: of its owners in the order the pages list them. */
function allowlistDigest(sortedOwners: readonly string[]): string {
  return Buffer.from(taggedHash('Strongbox/allowlist-cursor', Buffer.from(sortedOwners.join(''), 'hex')).subarray(0, ALLOWLIST_DIGEST_BYTES)).toString('hex');
}
const signedBaseUnits = z.string().regex(/^-?(0|[1-9][0-9]*)$/, 'expected an integer as a decimal string');

/**
 * The refusal of a register below the security's issuance, where it is empty for want of the
 * security, not of holders: an empty list would read as "nobody held it".
 */
export function notYetIssued(security: { name: string; isin: string }, height: number, issuedAt: number): ValidationError {
  return new ValidationError('before-issuance', `${security.name} (${security.isin}) was not yet issued at height ${height}: it was issued at height ${issuedAt}`);
}

export interface RegistryContext {
  /** The ledger of final blocks: its register answers for any height up to the tip. */
  ledger: LedgerState;
  tipHeight(): number;
  auth: RegistryAuthenticator;
  /** Called for every view served, so the operator keeps a record of who looked at what. */
  onAccess(principal: Principal, view: string): void;
}

/**
 * Registry views behind credentials: the holders of an asset at a height and its allowlist
 * (auditors, regulators, and the asset's own issuer), and the holding history of an address
 * (auditors, regulators). The public API stays pseudonymous: it shows balances of an address,
 * never a register.
 */
export function registryRoutes(context: RegistryContext): Route[] {
  /** Who asks about one asset, and its record; an issuer may ask about its own assets only. */
  async function assetAccess(authorization: string | undefined, asset: string, what: string): Promise<{ principal: Principal; record: AssetRecord }> {
    const principal = await context.auth.principal(authorization, new Uint8Array(Buffer.from(asset, 'hex')));
    const record = context.ledger.getAsset(asset);
    if (!record) throw new NotFoundError(`asset ${asset}`);
    if (principal.kind === 'issuer' && hex(principal.key) !== hex(record.issuer)) {
      throw new ForbiddenError(`only the issuer of asset ${asset}, auditors and regulators see its ${what}`);
    }
    return { principal, record };
  }
  return [
    defineRoute({
      method: 'get',
      path: '/registry/assets/:asset/holders',
      summary: 'holders of an asset after block `height` (default: the tip; from the block that issued it), by owner bytes; `cursor` is `height:owner` of the last holder seen, and the pages after the first stay at its height; auditor, regulator or the asset\'s issuer',
      tag: 'registry',
      params: z.object({ asset: wire.assetIdParam }),
      query: pageQuery(HOLDER_CURSOR).extend({ height: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional() }),
      response: wire.page('holders', z.strictObject({ address: wire.address, amount: wire.baseUnits })).extend({
        asset: wire.assetId,
        height: wire.height.describe('the holdings are those after this block'),
        outstanding: wire.baseUnits.describe('the sum of all the holdings, on every page: the units in circulation, in base units as a decimal string'),
        count: wire.uint.describe('holders on all the pages'),
      }),
      handler: async ({ params, query, authorization }) => {
        const { principal, record } = await assetAccess(authorization, params.asset, 'holders');
        const [cursorHeight, after] = query.cursor === undefined ? [undefined, undefined] : [Number(query.cursor.split(':')[0]), query.cursor.split(':')[1]!];
        if (cursorHeight !== undefined && query.height !== undefined && cursorHeight !== query.height) {
          throw new ValidationError('bad-cursor', `the cursor ${query.cursor} continues the holders after block ${cursorHeight}, not ${query.height}: give one height`);
        }
        const tip = context.tipHeight();
        const height = cursorHeight ?? query.height ?? tip;
        if (height > tip) throw new ValidationError('bad-height', `height ${height} is above the chain tip ${tip}`);
        if (height < record.height) throw notYetIssued(record.metadata, height, record.height);
        const holders = context.ledger.holdersAt(params.asset, height);
        const rest = after === undefined ? holders : holders.filter((holder) => holder.ownerKey > after);
        const page = pageOf(rest.slice(0, query.limit + 1), query.limit, (last) => `${height}:${last.ownerKey}`);
        context.onAccess(principal, `holders of ${params.asset} at ${height}`);
        return {
          asset: params.asset,
          height,
          outstanding: holders.reduce((sum, holder) => sum + holder.amount, 0n),
          count: holders.length,
          holders: page.items.map((holder) => ({ address: addressOf(holder.owner), amount: holder.amount })),
          next: page.next,
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/registry/assets/:asset/allowlist',
      summary: 'the addresses a restricted asset may be delivered to, after the tip, by owner bytes; `cursor` is `digest:owner`, a digest of the allowlist of the first page and the last owner seen: a page asked after the allowlist changed is refused (`stale-cursor`), so the pages form one list, and one asked after another registry change (a re-issuance) is served; auditor, regulator or the asset\'s issuer',
      tag: 'registry',
      params: z.object({ asset: wire.assetIdParam }),
      query: pageQuery(ALLOWLIST_CURSOR),
      response: wire.page('addresses', wire.address).extend({
        asset: wire.assetId,
        height: wire.height.describe('the allowlist is the one after this block, the tip'),
        sequence: wire.decimalString('the asset\'s registry sequence after the tip: allowlist changes and re-issuances move it'),
        restricted: z.boolean().describe('only allowlisted addresses may receive the asset'),
        size: wire.uint.describe('addresses on the whole allowlist'),
      }),
      handler: async ({ params, query, authorization }) => {
        const { principal, record } = await assetAccess(authorization, params.asset, 'allowlist');
        const sorted = [...record.allowlist].sort();
        const digest = allowlistDigest(sorted);
        const [given, after] = query.cursor === undefined ? [digest, undefined] : [query.cursor.split(':')[0]!, query.cursor.split(':')[1]!];
        if (given !== digest) {
          throw new ValidationError('stale-cursor', `the allowlist of ${params.asset} changed since the cursor ${query.cursor} was given: read it again from the first page`);
        }
        const height = context.tipHeight();
        const owners = after === undefined ? sorted : sorted.filter((owner) => owner > after);
        const page = pageOf(owners.slice(0, query.limit + 1), query.limit, (last) => `${digest}:${last}`);
        context.onAccess(principal, `allowlist of ${params.asset} at ${height}`);
        return {
          asset: params.asset,
          height,
          sequence: record.sequence,
          restricted: record.metadata.restricted,
          size: record.allowlist.size,
          addresses: page.items.map((owner) => addressOf(new Uint8Array(Buffer.from(owner, 'hex')))),
          next: page.next,
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/registry/addresses/:address/history',
      summary: 'every change of an address\'s security holdings, oldest first; `cursor` is how many changes came before this page (the history only grows); auditor or regulator',
      tag: 'registry',
      params: z.object({ address: z.string().min(1).max(200) }),
      query: pageQuery(z.string().regex(/^[0-9]{1,15}$/, 'expected the number of changes seen')),
      response: wire.page(
        'changes',
        z.strictObject({
          height: wire.height,
          txid: wire.txid,
          asset: wire.assetId,
          delta: signedBaseUnits.describe('change of the holding in base units, as a decimal string (negative when units left)'),
          balance: wire.baseUnits.describe('the holding after the change, in base units as a decimal string'),
        }),
      ).extend({ address: wire.address }),
      handler: async ({ params, query, authorization }) => {
        const principal = await context.auth.principal(authorization);
        const payload = addressPayload(params.address);
        const history = context.ledger.holdings.historyOf(hex(payload));
        const from = query.cursor === undefined ? 0 : Number(query.cursor);
        // A change's delta is from the balance of the change before it, which may be on an earlier page.
        const before = new Map<string, bigint>();
        for (const change of history.slice(0, from)) before.set(change.assetKey, change.balance);
        const rows = history.slice(from, from + query.limit + 1).map((change, index) => ({ change, index: from + index }));
        const page = pageOf(rows, query.limit, (last) => String(last.index + 1));
        const changes = page.items.map(({ change }) => {
          const delta = change.balance - (before.get(change.assetKey) ?? 0n);
          before.set(change.assetKey, change.balance);
          return { height: change.height, txid: change.txid, asset: change.assetKey, delta, balance: change.balance };
        });
        context.onAccess(principal, `history of ${params.address}`);
        return { address: addressOf(payload), changes, next: page.next };
      },
    }),
  ];
}
