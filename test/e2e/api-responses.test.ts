import { expect } from 'chai';
import { join } from 'node:path';
import { z } from 'zod';
import { anchorRoutes } from '../../federation/api/anchor-routes.ts';
import { listRoutes } from '../../federation/api/list-routes.ts';
import { memberRoutes } from '../../federation/api/member-routes.ts';
import { monitorRoutes } from '../../federation/api/monitor-routes.ts';
import { openApiPath, withOpenApiRoute } from '../../federation/api/openapi.ts';
import { outputRoutes } from '../../federation/api/output-routes.ts';
import { pegoutRoutes } from '../../federation/api/pegout-routes.ts';
import { registryRoutes } from '../../federation/api/registry-routes.ts';
import type { Route } from '../../federation/api/route.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import { selectCoins } from '../../federation/wallet/build-transfer.ts';
import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { encodeTransaction } from '../../sidechain/transaction/codec.ts';
import { TxKind } from '../../sidechain/transaction/types.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import { runCli } from '../helpers/cli.ts';
import { eventually, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { bitcoinOf, burnFrom } from '../helpers/peg-workload.ts';
import { pegIn } from '../helpers/pegged-btc.ts';
import { issuance, issuerSigned, testWallet, transfer } from '../helpers/transactions.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * The member's route table, for its response schemas: the route factories keep their context for
 * the handlers, which are never called here, and read of it when they are made only the chain's
 * genesis (the member routes bound a member index by its members). The first test checks that it
 * is the table the member serves.
 */
function routeTable(genesis: Genesis): Route[] {
  const unused = {} as never;
  return withOpenApiRoute({ title: 'Strongbox member API', version: '1' }, [
    ...memberRoutes({ chain: { genesis } } as never),
    ...outputRoutes(unused),
    ...registryRoutes(unused),
    ...listRoutes(unused),
    ...monitorRoutes(unused),
    ...pegoutRoutes({ chain: {}, pegout: {} } as never),
    ...anchorRoutes(unused),
  ]);
}
let routes: Route[];
const routeOf = (method: string, path: string): Route => routes.find((route) => route.method === method && route.path === path)!;

/**
 * Every JSON answer of a member against the response schema its route documents, on a chain with
 * peg-ins, a restricted security issued, allowlisted, re-issued, transferred and paid a dividend
 * on, a peg-out settled on Bitcoin and an anchor. The schemas' objects are strict, so a field a
 * handler adds without documenting it fails here.
 *
 * Not reached: the `pending` answers of GET /tx/:txid and GET /pegout/burns/:txid (a transaction
 * is final within milliseconds; POST /tx checks the same `pending` object), and items of GET
 * /evidence (no member equivocates here; test/e2e/byzantine.test.ts makes one).
 */
describe('member HTTP API: every answer as its route documents it', function () {
  this.timeout(300_000);
  let net: TestNetwork;
  let url: string;
  const issuer = testWallet();
  const alice = testWallet();
  const bob = testWallet();
  let asset: string;
  let burnTxid: string;
  let settlementTxid: string;
  let auditorToken: string;

  before(async () => {
    // Anchors fall due seconds after activity; intervalBlocks is out of reach. Three members: the
    // answers checked are one member's, and three start and run on less CPU than five.
    net = await startTestNetwork(3, { genesis: (file) => ({ ...file, anchor: { intervalBlocks: 1_000, intervalSeconds: 3 } }) });
    routes = routeTable(net.genesis);
    url = net.network.network.members[0]!.apiUrl;
    const client = net.clients[0]!;
    const { faucet } = bitcoinOf(net);
    const funded = await runCli(['anchor', 'fund', '--amount', '0.01', '--genesis', net.network.network.genesisFile!, '--rpc', net.network.network.bitcoinRpcUrl, '--json']);
    expect(funded.code, funded.stderr).to.equal(0);
    await faucet.mine(1);
    await pegIn(net, [
      { address: alice.address, sats: 1_000_000n },
      { address: issuer.address, sats: 100_000n },
    ]);

    const chainId = net.genesis.chainId;
    const issued = issuance(chainId, issuer, 100n, 1n, { restricted: true, reissuable: true });
    asset = hex(issued.asset);
    const allowBob = issuerSigned(chainId, issuer, { kind: 'registry', asset: issued.asset, sequence: 1n, action: 'add', owners: [bob.owner] });
    const reissued = issuerSigned(chainId, issuer, { kind: 'reissuance', asset: issued.asset, sequence: 2n, amount: 10n, recipient: issuer.owner });
    const toBob = transfer(chainId, issuer, { txid: txId(issued.tx), index: 0, amount: 100n }, issued.asset, bob.owner, 5n);
    for (const tx of [issued.tx, allowBob, reissued]) await client.waitForFinal(await client.submit(tx));
    // Bob holds all the shares the issuer does not: the whole dividend is his.
    const recordHeight = (await client.waitForFinal(await client.submit(toBob))).height!;
    const { inputs, change } = selectCoins(await client.utxos(issuer.address), BTC_ASSET_ID, 1_000n);
    const outputs = [{ owner: bob.owner, asset: BTC_ASSET_ID, amount: 1_000n }, { owner: issuer.owner, asset: BTC_ASSET_ID, amount: change }];
    await client.waitForFinal(await client.submit(issuerSigned(chainId, issuer, { kind: 'dividend', asset: issued.asset, recordHeight, inputs, outputs })));

    const burn = await burnFrom(net, alice, 100_000n);
    burnTxid = await client.submit(burn.tx);
    await client.waitForFinal(burnTxid);
    // Read within the batch window, before a settlement binds it: the answer for a final burn alone.
    await expectDocumented(routeOf('get', '/pegout/burns/:txid'), `/pegout/burns/${burnTxid}`);
    settlementTxid = await eventually(
      'the settlement paying the burn, open for signatures on member 0',
      async () => {
        const { bitcoinTxid } = await client.burnStatus(burnTxid);
        return bitcoinTxid !== undefined && (await fetch(`${url}/pegout/settlements/${bitcoinTxid}`)).ok && bitcoinTxid;
      },
      60_000,
    );
    await eventually('an anchor recorded', async () => (await client.anchors()).anchors.length > 0, 90_000);

    const granted = await runCli(['role', 'grant', '--role', 'auditor', '--name', 'Response check', '--config', join(net.network.dataDir, 'member-0', 'config.json'), '--json']);
    expect(granted.code, granted.stderr).to.equal(0);
    auditorToken = (JSON.parse(granted.stdout) as { token: string }).token;
  });
  after(() => net?.stop());

  /** Asks `path` of `route` and holds the answer to the route's status and response schema. */
  async function expectDocumented(route: Route, path: string, init: RequestInit = {}): Promise<any> {
    const answer = await fetch(`${url}${path}`, init);
    const body: unknown = await answer.json();
    const said = `${route.method.toUpperCase()} ${path}`;
    expect(answer.status, `${said}: ${JSON.stringify(body)}`).to.equal(route.status ?? 200);
    const checked = route.response!.safeParse(body);
    expect(checked.success, `${said} answers as documented:\n${checked.error ? z.prettifyError(checked.error) : ''}\n${JSON.stringify(body)}`).to.equal(true);
    return body;
  }

  it('documents a response schema for every route the member serves', async () => {
    const document = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };
    const served = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`));
    expect(routes.map((route) => `${route.method} ${openApiPath(route.path)}`)).to.have.members(served);
    for (const route of routes) {
      expect(route.response, `${route.method} ${route.path} has a response schema`).to.not.equal(undefined);
      const success = document.paths[openApiPath(route.path)]![route.method]!.responses[String(route.status ?? 200)];
      expect(success?.content?.['application/json']?.schema, `${route.method} ${route.path} documents its answer`).to.be.an('object');
    }
  });

  it('answers every GET route with exactly the fields and types its schema documents', async () => {
    const client = net.clients[0]!;
    const { height: tip, tipHash } = await client.status();
    const anchored = (await client.anchors()).anchors[0]!.bitcoinTxid;
    const transactions = ((await (await fetch(`${url}/transactions?limit=1000`)).json()) as { transactions: { txid: string; kind: string }[] }).transactions;
    const deposit = ((await (await fetch(`${url}/pegin/deposits`)).json()) as { deposits: { txid: string }[] }).deposits[0]!;
    const bobsCoin = (await client.utxos(bob.address))[0]!;
    const auditor = { authorization: `Bearer ${auditorToken}` };
    const gets: Record<string, (string | { path: string; headers: Record<string, string> })[]> = {
      '/status': ['/status'],
      '/blocks/:height': ['/blocks/1', `/blocks/${tip}`],
      '/blocks/by-hash/:hash': [`/blocks/by-hash/${tipHash}`],
      '/chain/blocks': ['/chain/blocks?from=1'],
      '/chain/blocks/:height': [`/chain/blocks/${tip}`],
      '/escrow': ['/escrow'],
      '/pegin/deposits/:txid': [`/pegin/deposits/${deposit.txid}`],
      '/evidence': ['/evidence'],
      '/consensus/heard/:member': ['/consensus/heard/0', '/consensus/heard/1'],
      '/tx/:txid': transactions.map((tx) => `/tx/${tx.txid}`),
      '/addresses/:address/balances': [`/addresses/${bob.address}/balances`, `/addresses/${alice.address}/balances`, `/addresses/${alice.address.toUpperCase()}/balances`],
      '/outputs/:txid/:vout': [`/outputs/${bobsCoin.txid}/${bobsCoin.vout}`],
      // An asset id asked in capitals is answered in the lowercase the schemas hold it to.
      '/registry/assets/:asset/holders': [{ path: `/registry/assets/${asset}/holders`, headers: auditor }, { path: `/registry/assets/${asset.toUpperCase()}/holders?limit=1`, headers: auditor }],
      '/registry/assets/:asset/allowlist': [{ path: `/registry/assets/${asset}/allowlist?limit=1`, headers: auditor }, { path: `/registry/assets/${asset.toUpperCase()}/allowlist?limit=1`, headers: auditor }],
      '/registry/addresses/:address/history': [{ path: `/registry/addresses/${bob.address}/history`, headers: auditor }, { path: `/registry/addresses/${issuer.address}/history?limit=1`, headers: auditor }],
      '/blocks': ['/blocks?limit=1000'],
      '/transactions': ['/transactions?limit=2'],
      '/addresses/:address/utxos': [`/addresses/${alice.address}/utxos`, `/addresses/${bob.address}/utxos`],
      '/assets': ['/assets'],
      '/assets/:asset': [`/assets/${asset}`, `/assets/${asset.toUpperCase()}`],
      '/assets/:asset/dividends': [`/assets/${asset}/dividends`, `/assets/${asset.toUpperCase()}/dividends`],
      '/federation': ['/federation'],
      '/supply': ['/supply'],
      '/pegin/deposits': ['/pegin/deposits'],
      '/pegout/policy': ['/pegout/policy'],
      '/pegout/burns/:txid': [`/pegout/burns/${burnTxid}`],
      '/pegout/burns': ['/pegout/burns'],
      '/pegout/settlements/:txid': [`/pegout/settlements/${settlementTxid}`],
      '/reserves': ['/reserves'],
      '/proofs/:txid': [`/proofs/${burnTxid}`],
      '/anchors': ['/anchors'],
      '/bitcoin-records/:txid': [`/bitcoin-records/${anchored}`, `/bitcoin-records/${settlementTxid}`],
      '/anchors/wallet': ['/anchors/wallet'],
      '/openapi.json': ['/openapi.json'],
    };
    const getRoutes = routes.filter((route) => route.method === 'get');
    expect(Object.keys(gets), 'a request for every GET route').to.have.members(getRoutes.map((route) => route.path));
    for (const route of getRoutes) {
      for (const call of gets[route.path]!) {
        if (typeof call === 'string') await expectDocumented(route, call);
        else await expectDocumented(route, call.path, { headers: call.headers });
      }
    }
    expect(new Set(transactions.map((tx) => tx.kind)), 'every kind of transaction was read').to.deep.equal(new Set(Object.keys(TxKind)));
    // A block's time is written as every answer writes it, the decimal string of its signed header's
    // 64-bit field; what a member's own clock read (lastSeenMs, nowMs) is a number.
    const federation = (await (await fetch(`${url}/federation`)).json()) as { members: { lastSeenMs: unknown; lastSigned: { height: number; timeMs: unknown } | null }[]; nowMs: unknown };
    const signed = federation.members.find((member) => member.lastSigned !== null)!.lastSigned!;
    const block = (await (await fetch(`${url}/blocks/${signed.height}`)).json()) as { timeMs: unknown };
    expect(signed.timeMs).to.be.a('string').and.to.equal(block.timeMs);
    expect(federation.nowMs).to.be.a('number');
    expect(federation.members.filter((member) => !(member.lastSeenMs === null || typeof member.lastSeenMs === 'number'))).to.deep.equal([]);
  });

  it('answers the POST routes with exactly the fields and types their schemas document', async () => {
    const post = (path: string, body: unknown) => expectDocumented(routeOf('post', path), path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const chainId = net.genesis.chainId;
    const bobsCoin = (await net.clients[0]!.utxos(bob.address)).find((coin) => coin.asset === asset)!;
    const back = transfer(chainId, bob, { txid: Buffer.from(bobsCoin.txid, 'hex'), index: bobsCoin.vout, amount: bobsCoin.amount }, Buffer.from(asset, 'hex'), issuer.owner, 1n);
    const again = transfer(chainId, bob, { txid: txId(back), index: 1, amount: bobsCoin.amount - 1n }, Buffer.from(asset, 'hex'), issuer.owner, 1n);
    expect((await post('/tx', { hex: hex(encodeTransaction(back)) })).status).to.equal('pending');
    const submitted = await post('/txs', { transactions: [again, back].map((tx) => hex(encodeTransaction(tx))) });
    expect(submitted.results.map((result: { status: string }) => result.status)).to.deep.equal(['pending', 'refused']);
    await post('/pegin/addresses', { recipient: bob.address });
    const deposit = ((await (await fetch(`${url}/pegin/deposits?state=minted`)).json()) as { deposits: { txid: string; vout: number; recipient: string }[] }).deposits[0]!;
    expect((await post('/pegin/claims', { txid: deposit.txid, vout: deposit.vout, recipient: deposit.recipient })).minted).to.equal(true);
  });
});
