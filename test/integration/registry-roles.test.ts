import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { createApiApp } from '../../federation/api/app.ts';
import { registryRoutes } from '../../federation/api/registry-routes.ts';
import { RegistryAuthenticator, type Principal } from '../../federation/roles/authorize.ts';
import { CredentialStore } from '../../federation/roles/credential-store.ts';
import { issuerAuthorization } from '../../federation/roles/issuer-request.ts';
import { encodeAddress, keyOwner, ownerPayload } from '../../sidechain/address.ts';
import { MemberClient } from '../../federation/api/client.ts';
import { MAX_PAGE_LIMIT } from '../../federation/api/pagination.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { LedgerState, applyTransaction } from '../../sidechain/ledger/index.ts';
import { CHAIN_ID, context, signedTransfer, testKey } from '../helpers/ledger-fixtures.ts';
import { issueShare, registryUpdate, reissuance } from '../helpers/securities-fixtures.ts';
import type { TestDatabase } from '../helpers/postgres.ts';
import { chainFixture } from '../helpers/chain-fixture.ts';

const issuer = testKey(3);
const otherIssuer = testKey(5);
const alice = testKey(1);
const bob = testKey(2);
const carol = testKey(4);
/** Issuer of a security held by more addresses than one page of a registry view lists. */
const widelyHeldIssuer = testKey(6);
const address = (key: ReturnType<typeof testKey>) => encodeAddress(keyOwner(key.publicKey));

interface ViewBody {
  error?: { code: string; message: string };
  height?: number;
  outstanding?: string;
  holders?: { address: string; amount: string }[];
  changes?: { height: number; asset: string; delta: string; balance: string }[];
  restricted?: boolean;
  size?: number;
  addresses?: string[];
  next?: string | null;
}

describe('registry views behind roles, with credentials in Postgres', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let credentials: CredentialStore;
  let server: Server;
  let base: string;
  let asset: string;
  let otherAsset: string;
  let restrictedAsset: string;
  let widelyHeld: string;
  let ledger: LedgerState;
  /** The chain's tip as the views see it; the last case moves it on. */
  let tip = 2;
  /** Holders of the widely held security besides its issuer, each with one unit, all at height 2. */
  const widelyHeldHolders = MAX_PAGE_LIMIT + 1;
  const accesses: string[] = [];

  before(async () => {
    ({ db } = await chainFixture('roles'));
    credentials = new CredentialStore(db.pool);
    // Height 1: 1000 shares issued; height 2: 300 to alice.
    ledger = new LedgerState();
    const issued = issueShare(ledger, issuer, 1000n);
    asset = issued.assetKey;
    otherAsset = issueShare(ledger, otherIssuer, 5n).assetKey;
    // A restricted share: its issuer is allowlisted at issuance; alice, bob and carol at height 2.
    const restricted = issueShare(ledger, issuer, 10n, { nonce: 2n, metadata: { restricted: true } });
    restrictedAsset = restricted.assetKey;
    applyTransaction(ledger, registryUpdate(restricted.asset, 1n, 'add', [alice.owner, bob.owner, carol.owner], issuer), context(2));
    applyTransaction(ledger, signedTransfer([issued.coin], [{ owner: alice.owner, asset: issued.asset, amount: 300n }, { owner: issuer.owner, asset: issued.asset, amount: 700n }], issuer.seed), context(2));
    // The widely held security: one unit to each of its holders, one transaction each, so that its
    // issuer's history is as long as its register (each change of the issuer's holding is a change of its history).
    const wide = issueShare(ledger, widelyHeldIssuer, BigInt(widelyHeldHolders) + 5n, { metadata: { name: 'Widely Held AG', isin: 'CH0244767585' } });
    widelyHeld = wide.assetKey;
    let coin = wide.coin;
    for (let n = 0; n < widelyHeldHolders; n++) {
      const holder = ownerPayload({ type: 'multisig', conditionHash: new Uint8Array(32).fill(0).map((_, i) => (i < 4 ? (n >>> (8 * (3 - i))) & 0xff : 7)) });
      const change = BigInt(widelyHeldHolders) + 5n - BigInt(n) - 1n;
      const tx = signedTransfer([coin], [{ owner: holder, asset: wide.asset, amount: 1n }, { owner: widelyHeldIssuer.owner, asset: wide.asset, amount: change }], widelyHeldIssuer.seed);
      applyTransaction(ledger, tx, context(2));
      coin = { txid: txInfo(tx).id, index: 1 };
    }
    const auth = new RegistryAuthenticator(credentials, CHAIN_ID);
    const describe = (p: Principal) => (p.kind === 'role' ? `${p.role} ${p.name}` : `issuer ${Buffer.from(p.key).toString('hex').slice(0, 8)}`);
    const app = createApiApp(registryRoutes({ ledger, tipHeight: () => tip, auth, onAccess: (p, view) => accesses.push(`${describe(p)}: ${view}`) }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await db?.drop();
  });

  const get = async (path: string, authorization?: string) => {
    const response = await fetch(`${base}${path}`, { headers: authorization ? { authorization } : {} });
    return { status: response.status, body: (await response.json()) as ViewBody, challenge: response.headers.get('www-authenticate') };
  };
  const holdersPath = (id: string, height?: number) => `/registry/assets/${id}/holders${height === undefined ? '' : `?height=${height}`}`;
  const historyPath = () => `/registry/addresses/${address(alice)}/history`;

  it('stores only a hash of each secret; the token is shown once', async () => {
    const { token, credential } = await credentials.grant('auditor', 'Audit & Co');
    expect(token).to.match(/^sbx_[0-9a-f]{16}_[0-9a-f]{64}$/);
    const secret = token.split('_')[2]!;
    const row = (await db.pool.query('SELECT * FROM role_credentials WHERE id = $1', [credential.id])).rows[0] as Record<string, unknown>;
    expect(JSON.stringify(Object.values(row).map(String))).to.not.include(secret);
    expect((row.secret_sha256 as Buffer).length).to.equal(32);
    expect(credential).to.include({ role: 'auditor', name: 'Audit & Co', revokedAt: null });
  });

  it('serves holders at a height to an auditor and an address history to a regulator', async () => {
    const auditor = (await credentials.grant('auditor', 'auditor A')).token;
    const regulator = (await credentials.grant('regulator', 'regulator R')).token;
    const atOne = await get(holdersPath(asset, 1), `Bearer ${auditor}`);
    expect(atOne).to.deep.equal({ status: 200, body: { asset, height: 1, outstanding: '1000', count: 1, holders: [{ address: address(issuer), amount: '1000' }], next: null }, challenge: null });
    const atTip = await get(holdersPath(asset), `Bearer ${regulator}`);
    expect(atTip.body.height).to.equal(2);
    expect(atTip.body.holders).to.have.deep.members([{ address: address(alice), amount: '300' }, { address: address(issuer), amount: '700' }]);
    const history = await get(historyPath(), `Bearer ${regulator}`);
    expect(history.status).to.equal(200);
    expect(history.body.changes).to.have.length(1);
    expect(history.body.changes![0]).to.include({ height: 2, asset, delta: '300', balance: '300' });
    expect((await get(historyPath(), `Bearer ${auditor}`)).status).to.equal(200);
    expect(accesses).to.include.members([`auditor auditor A: holders of ${asset} at 1`, `regulator regulator R: history of ${address(alice)}`]);
  });

  it('lets an issuer read its own asset\'s holders with a signed request, and nothing else', async () => {
    const own = await get(holdersPath(asset, 2), issuerAuthorization(CHAIN_ID, Buffer.from(asset, 'hex'), issuer.seed, Date.now()));
    expect(own.status).to.equal(200);
    expect(own.body.outstanding).to.equal('1000');
    const foreign = await get(holdersPath(otherAsset), issuerAuthorization(CHAIN_ID, Buffer.from(otherAsset, 'hex'), issuer.seed, Date.now()));
    expect(foreign).to.deep.equal({ status: 403, body: { error: { code: 'forbidden', message: `only the issuer of asset ${otherAsset}, auditors and regulators see its holders` } }, challenge: null });
    const history = await get(historyPath(), issuerAuthorization(CHAIN_ID, Buffer.from(asset, 'hex'), issuer.seed, Date.now()));
    expect(history.status).to.equal(403);
    expect(history.body.error?.message).to.match(/address histories need an auditor or regulator credential/);
  });

  it('serves a restricted asset\'s allowlist by owner bytes, a page at a time, to an auditor and to its issuer only', async () => {
    const { token } = await credentials.grant('auditor', 'auditor L');
    const everyone = [issuer, alice, bob, carol].sort((a, b) => Buffer.compare(Buffer.from(a.owner), Buffer.from(b.owner)));
    const allowlistPath = (id: string, query = '') => `/registry/assets/${id}/allowlist${query}`;
    const first = await get(allowlistPath(restrictedAsset, '?limit=3'), `Bearer ${token}`);
    expect(first.status).to.equal(200);
    expect(first.body).to.deep.include({ height: 2, restricted: true, size: 4, addresses: everyone.slice(0, 3).map(address) });
    const rest = await get(allowlistPath(restrictedAsset, `?limit=3&cursor=${first.body.next}`), `Bearer ${token}`);
    expect(rest.body).to.deep.include({ addresses: [address(everyone[3]!)], next: null });
    const asIssuer = await get(allowlistPath(restrictedAsset), issuerAuthorization(CHAIN_ID, Buffer.from(restrictedAsset, 'hex'), issuer.seed, Date.now()));
    expect(asIssuer.body.addresses).to.deep.equal(everyone.map(address));
    // An unrestricted asset has an empty allowlist and says it is not restricted.
    expect((await get(allowlistPath(asset), `Bearer ${token}`)).body).to.deep.include({ restricted: false, size: 0, addresses: [], next: null });
    const foreign = await get(allowlistPath(otherAsset), issuerAuthorization(CHAIN_ID, Buffer.from(otherAsset, 'hex'), issuer.seed, Date.now()));
    expect(foreign).to.deep.equal({ status: 403, body: { error: { code: 'forbidden', message: `only the issuer of asset ${otherAsset}, auditors and regulators see its allowlist` } }, challenge: null });
    expect((await get(allowlistPath(restrictedAsset))).status).to.equal(401);
    const badCursor = await get(allowlistPath(restrictedAsset, '?cursor=zz'), `Bearer ${token}`);
    expect(badCursor.status).to.equal(400);
    expect(badCursor.body.error?.message).to.equal('query.cursor: expected digest:owner, the allowlist digest as 32 and the owner as 66 digits of lowercase hex');
    expect(accesses).to.include(`auditor auditor L: allowlist of ${restrictedAsset} at 2`);
  });

  it('pages holders and an address history as the other lists are paged, each page of the same height, and the client follows the pages to the last', async () => {
    const { token } = await credentials.grant('auditor', 'auditor P');
    const bearer = `Bearer ${token}`;
    const everyone = [issuer, alice].sort((a, b) => Buffer.compare(Buffer.from(a.owner), Buffer.from(b.owner)));
    const first = await get(`${holdersPath(asset)}?limit=1`, bearer);
    expect(first.body).to.deep.include({ height: 2, outstanding: '1000', count: 2, holders: [{ address: address(everyone[0]!), amount: everyone[0] === alice ? '300' : '700' }] });
    expect(first.body.next).to.equal(`2:${Buffer.from(everyone[0]!.owner).toString('hex')}`);
    const second = await get(`${holdersPath(asset)}?limit=1&cursor=${first.body.next}`, bearer);
    expect(second.body).to.deep.include({ height: 2, outstanding: '1000', count: 2, holders: [{ address: address(everyone[1]!), amount: everyone[1] === alice ? '300' : '700' }], next: null });
    // Without a limit, a page of the default size: the widely held security's first 20 holders of its 1002.
    const wide = await get(holdersPath(widelyHeld), bearer);
    expect(wide.body.holders).to.have.length(20);
    expect(wide.body).to.deep.include({ outstanding: String(widelyHeldHolders + 5), count: widelyHeldHolders + 1 });

    // The issuer's history: 1000 issued and 10 of the restricted share at height 1, 300 to alice at height 2.
    const issuerHistory = `/registry/addresses/${address(issuer)}/history`;
    const changes = [
      { height: 1, asset, delta: '1000', balance: '1000' },
      { height: 1, asset: restrictedAsset, delta: '10', balance: '10' },
      { height: 2, asset, delta: '-300', balance: '700' },
    ];
    const paged: NonNullable<ViewBody['changes']> = [];
    let cursor: string | null | undefined = null;
    do {
      const answer = await get(`${issuerHistory}?limit=2${cursor ? `&cursor=${cursor}` : ''}`, bearer);
      expect(answer.status).to.equal(200);
      paged.push(...answer.body.changes!);
      cursor = answer.body.next;
    } while (cursor);
    // The delta of a change on the second page is from the balance on the first.
    expect(paged.map(({ height, asset, delta, balance }) => ({ height, asset, delta, balance }))).to.deep.equal(changes);

    const client = new MemberClient(base);
    const holders = await client.holders(widelyHeld, bearer);
    expect(holders.holders).to.have.length(widelyHeldHolders + 1);
    expect(new Set(holders.holders.map((holder) => holder.address)).size).to.equal(widelyHeldHolders + 1);
    expect(holders.holders.reduce((sum, holder) => sum + holder.amount, 0n)).to.equal(holders.outstanding);
    const history = await client.history(address(widelyHeldIssuer), bearer);
    expect(history).to.have.length(widelyHeldHolders + 1);
    expect(history.at(-1)).to.include({ delta: -1n, balance: 5n });
  });

  it('refuses an unknown or malformed paging parameter with 400, and serves nothing', async () => {
    const { token } = await credentials.grant('auditor', 'auditor Q');
    const bearer = `Bearer ${token}`;
    const servedBefore = accesses.length;
    const owner = Buffer.from(alice.owner).toString('hex');
    const cases: [string, string][] = [
      [`${historyPath()}?height=1`, 'query: Unrecognized key: "height"'],
      [`${historyPath()}?limit=0`, 'query.limit: expected a whole number of at least 1, got "0"'],
      [`${historyPath()}?limit=1001`, 'query.limit: expected a whole number of at most 1000, got "1001"'],
      [`${historyPath()}?cursor=2:0`, 'query.cursor: expected the number of changes seen'],
      [`${holdersPath(asset)}?limit=x`, 'query.limit: expected a whole number, got "x"'],
      [`${holdersPath(asset)}?cursor=${owner}`, 'query.cursor: expected height:owner, the owner as 33 bytes of lowercase hex'],
      [`${holdersPath(asset)}?sort=amount`, 'query: Unrecognized key: "sort"'],
    ];
    for (const [path, message] of cases) {
      expect(await get(path, bearer), path).to.deep.equal({ status: 400, body: { error: { code: 'bad-request', message } }, challenge: null });
    }
    // A cursor carries the height of the register it pages: another height beside it is refused, not mixed.
    expect(await get(`${holdersPath(asset, 1)}&cursor=2:${owner}`, bearer)).to.deep.equal({
      status: 400,
      body: { error: { code: 'bad-cursor', message: `the cursor 2:${owner} continues the holders after block 2, not 1: give one height` } },
      challenge: null,
    });
    expect(accesses.length).to.equal(servedBefore);
  });

  it('answers 401 to missing, forged, replayed-elsewhere, stale and revoked credentials, and serves nothing', async () => {
    const auditor = await credentials.grant('auditor', 'to be revoked');
    const regulator = await credentials.grant('regulator', 'regulator S');
    const revoked = await credentials.revoke(auditor.credential.id);
    expect(revoked.revokedNow).to.equal(true);
    // Revoking again changes nothing, and says so: the first revocation time stands.
    const again = await credentials.revoke(auditor.credential.id);
    expect(again).to.deep.equal({ credential: revoked.credential, revokedNow: false });
    const servedBefore = accesses.length;
    const rowsBefore = (await db.pool.query('SELECT id, revoked_at FROM role_credentials ORDER BY id')).rows;
    const mixed = `sbx_${regulator.credential.id}_${auditor.token.split('_')[2]}`;
    const signedForOther = issuerAuthorization(CHAIN_ID, Buffer.from(otherAsset, 'hex'), issuer.seed, Date.now());
    const cases: [string, string | undefined, string][] = [
      ['no credential', undefined, holdersPath(asset)],
      ['a made-up token', `Bearer sbx_${'0'.repeat(16)}_${'1'.repeat(64)}`, holdersPath(asset)],
      ['a malformed token', 'Bearer hunter2', historyPath()],
      ['a revoked credential', `Bearer ${auditor.token}`, holdersPath(asset)],
      ['a regulator id with another secret', `Bearer ${mixed}`, historyPath()],
      ['an issuer request signed for another asset', signedForOther, holdersPath(asset)],
      ['an issuer request ten minutes old', issuerAuthorization(CHAIN_ID, Buffer.from(asset, 'hex'), issuer.seed, Date.now() - 600_000), holdersPath(asset)],
      ['an issuer request for another chain', issuerAuthorization(new Uint8Array(32), Buffer.from(asset, 'hex'), issuer.seed, Date.now()), holdersPath(asset)],
      ['an unknown scheme', `Basic ${Buffer.from('auditor:auditor').toString('base64')}`, holdersPath(asset)],
    ];
    const challenge = 'Bearer realm="strongbox registry", Issuer realm="strongbox registry"';
    const refusedToken = 'Bearer realm="strongbox registry", error="invalid_token", Issuer realm="strongbox registry"';
    for (const [what, authorization, path] of cases) {
      const response = await get(path, authorization);
      expect(response.status, what).to.equal(401);
      expect(response.body.error?.code, what).to.equal('unauthorized');
      expect(JSON.stringify(response.body), what).to.not.include('holders":[');
      // Every 401 names the schemes that would do (RFC 7235), and a bearer token refused is marked as such (RFC 6750).
      expect(response.challenge, what).to.equal(authorization?.startsWith('Bearer ') ? refusedToken : challenge);
    }
    expect(accesses.length).to.equal(servedBefore);
    expect((await db.pool.query('SELECT id, revoked_at FROM role_credentials ORDER BY id')).rows).to.deep.equal(rowsBefore);
  });

  it('takes the Authorization scheme in any case, and more than one space after it', async () => {
    const { token } = await credentials.grant('auditor', 'auditor C');
    for (const authorization of [`bearer ${token}`, `BEARER  ${token}`, issuerAuthorization(CHAIN_ID, Buffer.from(asset, 'hex'), issuer.seed, Date.now()).replace(/^Issuer /, 'issuer  ')]) {
      const answer = await get(holdersPath(asset, 1), authorization);
      expect(answer.status, authorization).to.equal(200);
      expect(answer.body.outstanding, authorization).to.equal('1000');
    }
  });

  it('authenticates before saying whether an asset exists, and refuses heights above the tip or below the issuance', async () => {
    const unknown = 'ab'.repeat(32);
    expect((await get(holdersPath(unknown))).status).to.equal(401);
    const { token } = await credentials.grant('regulator', 'regulator T');
    expect((await get(holdersPath(unknown), `Bearer ${token}`)).status).to.equal(404);
    const above = await get(holdersPath(asset, 3), `Bearer ${token}`);
    expect(above).to.deep.equal({ status: 400, body: { error: { code: 'bad-height', message: 'height 3 is above the chain tip 2' } }, challenge: null });
    // Below its issuance an empty register would read as "nobody held it": refused, naming the height it was issued at.
    const before = await get(holdersPath(asset, 0), `Bearer ${token}`);
    expect(before).to.deep.equal({ status: 400, body: { error: { code: 'before-issuance', message: 'Acme AG share (CH0012221716) was not yet issued at height 0: it was issued at height 1' } }, challenge: null });
  });

  it('refuses to grant unknown roles or nameless credentials, and revokes only what exists', async () => {
    const count = (await credentials.list()).length;
    await credentials.grant('operator', 'me').then(() => expect.fail('granted'), (error: Error) => expect(error.message).to.equal('role must be one of auditor, regulator, got "operator"'));
    await credentials.grant('auditor', '  ').then(() => expect.fail('granted'), (error: Error) => expect(error.message).to.match(/needs a name/));
    // A name that would pass for more rows of `role list`: refused, shown escaped.
    await credentials.grant('auditor', 'Evil\nregulator  active   Fake').then(() => expect.fail('granted'), (error: Error) => expect(error.message).to.equal('a credential\'s name is one line of text, without control characters or direction marks: got "Evil\\x0aregulator  active   Fake"'));
    await credentials.grant('auditor', 'Audit \u202eoC &').then(() => expect.fail('granted'), (error: Error) => expect(error.message).to.equal('a credential\'s name is one line of text, without control characters or direction marks: got "Audit \\u202eoC &"'));
    await credentials.revoke('0'.repeat(16)).then(() => expect.fail('revoked'), (error: Error) => expect(error.message).to.match(/no credential/));
    expect((await credentials.list()).length).to.equal(count);
    // One stored before such names were refused is listed on its own row, escaped.
    await db.pool.query("INSERT INTO role_credentials (id, role, name, secret_sha256) VALUES ('00000000000000ee', 'auditor', $1, $2)", ['Evil\nregulator  active   Fake', Buffer.alloc(32)]);
    const folder = mkdtempSync(join(tmpdir(), 'strongbox-roles-'));
    try {
      const config = join(folder, 'member.json');
      writeFileSync(config, JSON.stringify({ memberIndex: 0, keyFile: 'key.json', genesisFile: 'genesis.json', dataDir: 'member', bitcoin: { rpcUrl: 'http://user:password@127.0.0.1:18443' }, api: { port: 8200 }, peer: { port: 9200 }, peers: [] }));
      const listed = await runCli(['role', 'list', '--config', config], { env: { DATABASE_URL: db.url } });
      expect(listed.code, listed.stderr).to.equal(0);
      expect(listed.stdout.split('\n').filter((row) => row.includes('Fake'))).to.deep.equal(['00000000000000ee  auditor    active   Evil\\x0aregulator  active   Fake']);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    // The whole token where its id belongs: named, and nothing revoked.
    const { token, credential } = await credentials.grant('auditor', 'revoked by token');
    await credentials.revoke(token).then(() => expect.fail('revoked'), (error: Error) => expect(error.message).to.equal(`give the credential's id, ${credential.id}, not the whole token`));
    expect((await credentials.list()).find((listed) => listed.id === credential.id)?.revokedAt).to.equal(null);
  });

  // Last: it moves the chain on, and the cases above read it at height 2.
  it('refuses an allowlist page asked after the allowlist changed, so that the pages read form one list, and reads it again whole', async () => {
    const bearer = `Bearer ${(await credentials.grant('auditor', 'auditor S')).token}`;
    const share = issueShare(ledger, otherIssuer, 10n, { nonce: 3n, metadata: { restricted: true, reissuable: true } });
    const ownerHex = (key: { owner: Uint8Array }) => Buffer.from(key.owner).toString('hex');
    const byBytes = (keys: ReturnType<typeof testKey>[]) => [...keys].sort((a, b) => ownerHex(a).localeCompare(ownerHex(b)));
    applyTransaction(ledger, registryUpdate(share.asset, 1n, 'add', [alice.owner, bob.owner, carol.owner], otherIssuer), context(2));
    const path = `/registry/assets/${share.assetKey}/allowlist?limit=2`;
    const first = await get(path, bearer);
    const before = byBytes([otherIssuer, alice, bob, carol]);
    expect(first.body).to.deep.include({ height: 2, sequence: '1', size: 4, addresses: before.slice(0, 2).map(address) });
    expect(first.body.next?.endsWith(`:${ownerHex(before[1]!)}`)).to.equal(true);
    // A re-issuance moves the registry sequence and leaves the list as it was: the next page is
    // of the same list, and the reader goes on where it was.
    tip = 3;
    applyTransaction(ledger, reissuance(share.asset, 2n, 5n, otherIssuer.owner, otherIssuer), context(3));
    const second = await get(`${path}&cursor=${first.body.next}`, bearer);
    expect(second.body).to.deep.include({ height: 3, sequence: '2', size: 4, addresses: before.slice(2).map(address), next: null });
    // Block 4 takes the first address of the first page off and puts another on: the first page
    // and a second read from the new list would together show an address neither list holds both of.
    const [gone] = before;
    const joining = testKey(7);
    tip = 4;
    applyTransaction(ledger, registryUpdate(share.asset, 3n, 'remove', [gone!.owner], otherIssuer), context(4));
    applyTransaction(ledger, registryUpdate(share.asset, 4n, 'add', [joining.owner], otherIssuer), context(4));
    expect(await get(`${path}&cursor=${first.body.next}`, bearer)).to.deep.equal({
      status: 400,
      body: { error: { code: 'stale-cursor', message: `the allowlist of ${share.assetKey} changed since the cursor ${first.body.next} was given: read it again from the first page` } },
      challenge: null,
    });
    // Read again from the first page, the pages are of the new list, each address once.
    const after = byBytes([...before.slice(1), joining]);
    const paged: string[] = [];
    let cursor: string | null | undefined = null;
    do {
      const answer = await get(`${path}${cursor ? `&cursor=${cursor}` : ''}`, bearer);
      expect(answer.body).to.deep.include({ height: 4, size: 4 });
      paged.push(...answer.body.addresses!);
      cursor = answer.body.next;
    } while (cursor);
    expect(paged).to.deep.equal(after.map(address));
    expect((await new MemberClient(base).allowlist(share.assetKey, bearer)).addresses).to.deep.equal(after.map(address));
  });
});
