import { expect } from 'chai';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { Faucet } from '../../regtest/faucet.ts';
import { encodeTransaction } from '../../sidechain/transaction/codec.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import { eventually, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { issuance, testWallet, transfer } from '../helpers/transactions.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

interface Operation {
  parameters: { name: string; in: 'path' | 'query' }[];
  requestBody?: unknown;
}

/** Follows `next` from the first page to the last; `itemsOf` picks the list out of a page. */
async function allPages<T>(url: string, itemsOf: (page: Record<string, unknown>) => T[], limit: number): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const separator = url.includes('?') ? '&' : '?';
    const response = await fetch(`${url}${separator}limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
    expect(response.status, `${url} cursor ${cursor}`).to.equal(200);
    const page = (await response.json()) as Record<string, unknown> & { next: string | null };
    const pageItems = itemsOf(page);
    expect(pageItems.length).to.be.at.most(limit);
    if (page.next !== null) expect(pageItems.length, 'a page before the last is full').to.equal(limit);
    items.push(...pageItems);
    pages += 1;
    cursor = page.next;
  } while (cursor !== null);
  return { items, pages };
}

describe('member HTTP API: the OpenAPI document against the routes, pagination, size limits', function () {
  this.timeout(300_000);
  let net: TestNetwork;
  let url: string;
  const alice = testWallet();
  const bob = testWallet();
  let asset: string;
  const txids: string[] = [];
  const paymentsToBob: string[] = [];

  before(async () => {
    net = await startTestNetwork(5);
    url = net.network.network.members[3]!.apiUrl;
    const client = net.clients[3]!;
    const issued = issuance(net.genesis.chainId, alice, 100n);
    asset = hex(issued.asset);
    await client.waitForFinal(await client.submit(issued.tx));
    txids.push(hex(txId(issued.tx)));
    // Five payments of one unit, each spending the change of the one before: five blocks, five outputs for bob.
    let change = { txid: txId(issued.tx), index: 0, amount: 100n };
    for (let i = 0; i < 5; i++) {
      const payment = transfer(net.genesis.chainId, alice, change, issued.asset, bob.owner, 1n);
      await client.waitForFinal(await client.submit(payment));
      txids.push(hex(txId(payment)));
      paymentsToBob.push(hex(txId(payment)));
      change = { txid: txId(payment), index: 1, amount: change.amount - 1n };
    }
  });
  after(() => net?.stop());

  it('serves every operation its OpenAPI document lists, with exactly the path parameters its template names', async () => {
    const document = (await (await fetch(`${url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, Operation>> };
    expect(document.openapi).to.equal('3.1.0');
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.entries(operations).map(([method, operation]) => ({ path, method, operation })));
    const { hash } = (await (await fetch(`${url}/blocks/1`)).json()) as { hash: string };
    const values: Record<string, string> = { height: '1', hash, txid: txids[1]!, asset, address: bob.address, vout: '0', member: '0' };
    for (const { path, method, operation } of documented) {
      const named = [...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1]!);
      expect(operation.parameters.filter((p) => p.in === 'path').map((p) => p.name), `${method} ${path}`).to.deep.equal(named);
      const concrete = path.replace(/\{([A-Za-z0-9_]+)\}/g, (_whole, name: string) => {
        if (values[name] === undefined) throw new Error(`no test value for path parameter ${name} of ${path}`);
        return values[name];
      });
      const answer = await fetch(`${url}${concrete}`, method === 'get' ? {} : { method: method.toUpperCase(), headers: { 'content-type': 'application/json' }, body: '{}' });
      const body = (await answer.json()) as { error?: { message: string } };
      expect(answer.status, `${method} ${concrete}`).to.be.below(500);
      expect(body.error?.message ?? '', `${method} ${concrete} is served`).not.to.match(/^no route/);
      if (operation.requestBody) expect(answer.status, `${method} ${concrete} validates its body`).to.equal(400);
    }
    const listed = new Set(documented.map(({ method, path }) => `${method} ${path}`));
    for (const route of ['get /blocks', 'get /transactions', 'get /addresses/{address}/utxos', 'get /assets', 'get /assets/{asset}', 'get /pegin/deposits', 'get /federation', 'get /supply', 'get /openapi.json']) {
      expect(listed.has(route), `${route} is documented`).to.equal(true);
    }
    for (const list of ['/blocks', '/transactions', '/addresses/{address}/utxos', '/assets', '/pegin/deposits']) {
      expect(document.paths[list]!.get!.parameters.filter((p) => p.in === 'query').map((p) => p.name), list).to.include.members(['limit', 'cursor']);
    }
  });

  it('pages through the final blocks from the tip down to height 1 without a repeat or a gap', async () => {
    const { items, pages } = await allPages(`${url}/blocks`, (page) => page.blocks as { height: number }[], 3);
    const tip = items[0]!.height;
    expect(items.map((block) => block.height)).to.deep.equal(Array.from({ length: tip }, (_, i) => tip - i));
    expect(pages).to.equal(Math.ceil(tip / 3));
  });

  it('finds a final block by its hash, and answers a hash or a Bitcoin txid no record names with a 404 saying so', async () => {
    const { blocks } = (await (await fetch(`${url}/blocks?limit=3`)).json()) as { blocks: { height: number; hash: string }[] };
    for (const block of blocks) {
      const answer = await fetch(`${url}/blocks/by-hash/${block.hash}`);
      expect(answer.status).to.equal(200);
      expect(await answer.json()).to.deep.equal(block);
    }
    const unknown = 'ab'.repeat(32);
    for (const [path, message] of [
      [`/blocks/by-hash/${unknown}`, `no final block has hash ${unknown}`],
      // A sidechain transaction id is no Bitcoin txid the federation wrote.
      [`/bitcoin-records/${txids[1]}`, `no anchor or settlement of the final chain names Bitcoin transaction ${txids[1]}`],
    ]) {
      const answer = await fetch(`${url}${path}`);
      expect(answer.status, path).to.equal(404);
      expect(((await answer.json()) as { error: { code: string; message: string } }).error, path).to.deep.equal({ code: 'not-found', message });
    }
  });

  it('pages through transactions newest first, and through an address\'s outputs oldest first', async () => {
    const { items } = await allPages(`${url}/transactions`, (page) => page.transactions as { txid: string; kind: string; height: number; position: number }[], 2);
    expect(new Set(items.map((t) => t.txid)).size, 'no transaction twice').to.equal(items.length);
    const order = items.map((t) => [t.height, t.position] as const);
    expect(order).to.deep.equal([...order].sort((a, b) => b[0] - a[0] || b[1] - a[1]));
    expect(items.map((t) => t.txid)).to.include.members(txids);
    expect(items.find((t) => t.txid === txids[0])?.kind).to.equal('issuance');

    const outputs = await allPages(`${url}/addresses/${bob.address}/utxos`, (page) => page.utxos as { txid: string; vout: number; amount: string }[], 2);
    expect(outputs.pages).to.equal(3);
    expect(outputs.items.map((u) => `${u.txid}:${u.vout}:${u.amount}`)).to.deep.equal(paymentsToBob.map((txid) => `${txid}:0:1`));
    expect((await net.clients[3]!.utxos(bob.address)).map((u) => u.txid), 'the client follows every page').to.deep.equal(paymentsToBob);
  });

  it('finds every asset registered under an ISIN, a page at a time, and none under another', async () => {
    // Every issuance of this file carries the ISIN of the helper's share, which the chain allows.
    const extra = issuance(net.genesis.chainId, testWallet(), 5n);
    const extraTxid = await net.clients[3]!.submit(extra.tx);
    // Read from members 3 and 2 below: each is asked once it holds the block.
    await Promise.all([3, 2].map((member) => net.clients[member]!.waitForFinal(extraTxid)));
    const registry = await allPages(`${url}/assets`, (page) => page.assets as { id: string; isin: string }[], 50);
    const sharing = registry.items.filter((view) => view.isin === 'US0378331005').map((view) => view.id);
    expect(sharing).to.include.members([asset, hex(extra.asset)]);
    const found = await allPages(`${url}/assets?isin=US0378331005`, (page) => page.assets as { id: string }[], 1);
    expect(found.items.map((view) => view.id)).to.deep.equal(sharing);
    expect((await net.clients[2]!.assetsWithIsin('US0378331005')).map((view) => view.id)).to.deep.equal(sharing);
    expect((await allPages(`${url}/assets?isin=SE0000108656`, (page) => page.assets as unknown[], 5)).items).to.deep.equal([]);
  });

  it('reads an asset id in capitals as it reads an address in capitals, answering in lowercase; one not 64 hex digits is a 400 naming it', async () => {
    const lower = await fetch(`${url}/assets/${asset}`);
    const upper = await fetch(`${url}/assets/${asset.toUpperCase()}`);
    expect([upper.status, await upper.json()]).to.deep.equal([lower.status, await lower.json()]);
    expect((await fetch(`${url}/addresses/${bob.address.toUpperCase()}/utxos`)).status).to.equal(200);
    for (const bad of [asset.slice(1), `${asset.slice(1)}g`, `${asset}0`]) {
      const answer = await fetch(`${url}/assets/${bad}`);
      expect([answer.status, await answer.json()], bad).to.deep.equal([400, { error: { code: 'bad-request', message: 'params.asset: expected an asset id: 32 bytes as hex' } }]);
    }
  });

  it('pages through peg-in deposits newest first and filters them by state', async () => {
    const dave = testWallet();
    const faucet = new Faucet(new BitcoinRpc(net.network.network.bitcoinRpcUrl));
    const [depositAddress] = await Promise.all(net.clients.map((client) => client.registerDepositAddress(dave.address)));
    const sent = [await faucet.fund(depositAddress!, 200_000n), await faucet.fund(depositAddress!, 210_000n)];
    await faucet.mine(1);
    sent.push(await faucet.fund(depositAddress!, 220_000n));
    await faucet.mine(net.genesis.file.pegin.confirmations);
    type Deposit = { txid: string; vout: number; recipient: string; bitcoinHeight: number; state: string };
    const minted = await eventually('three minted deposits', async () => {
      const { items } = await allPages(`${url}/pegin/deposits?state=minted`, (page) => page.deposits as Deposit[], 1);
      const daves = items.filter((d) => d.recipient === dave.address);
      return daves.length === 3 && { items, daves };
    });
    expect(new Set(minted.items.map((d) => `${d.txid}:${d.vout}`)).size, 'no deposit twice').to.equal(minted.items.length);
    expect(minted.items.every((d) => d.state === 'minted')).to.equal(true);
    const expected = [...minted.daves].sort((a, b) => b.bitcoinHeight - a.bitcoinHeight || a.txid.localeCompare(b.txid));
    expect(minted.daves.map((d) => d.txid)).to.deep.equal(expected.map((d) => d.txid));
    expect(new Set(minted.daves.map((d) => d.txid))).to.deep.equal(new Set(sent));
    expect(minted.daves[0]!.bitcoinHeight).to.equal(minted.daves[1]!.bitcoinHeight + 1);
    // `recipient` keeps one address's deposits (given in capitals too), in the same order, and with `state`.
    const ofDave = await allPages(`${url}/pegin/deposits?recipient=${dave.address.toUpperCase()}`, (page) => page.deposits as Deposit[], 1);
    expect(ofDave.items).to.deep.equal(minted.daves);
    expect((await allPages(`${url}/pegin/deposits?recipient=${dave.address}&state=confirming`, (page) => page.deposits as Deposit[], 1)).items).to.deep.equal([]);
    expect((await allPages(`${url}/pegin/deposits?recipient=${testWallet().address}`, (page) => page.deposits as Deposit[], 1)).items).to.deep.equal([]);
  });

  it('refuses a malformed limit, cursor or query parameter with a 400 naming it', async () => {
    const cases: [string, RegExp][] = [
      ['/blocks?limit=0', /^query\.limit: /],
      ['/blocks?limit=1001', /^query\.limit: /],
      ['/blocks?limit=ten', /^query\.limit: /],
      ['/blocks?cursor=-1', /^query\.cursor: expected a block height$/],
      ['/transactions?cursor=12', /^query\.cursor: expected height:position$/],
      [`/addresses/${bob.address}/utxos?cursor=1:zz:0`, /^query\.cursor: expected height:txid:vout$/],
      ['/assets?cursor=ACME', /^query\.cursor: expected 32 bytes as lowercase hex$/],
      ['/assets?isin=us0378331005', /^query\.isin: expected an ISIN: two letters, nine letters or digits, a check digit$/],
      ['/pegin/deposits?state=lost', /^query\.state: /],
      ['/pegin/deposits?recipient=sbx1qqqq', /^query\.recipient: not a bech32m address: /],
      ['/blocks?page=2', /^query: Unrecognized key: "page"$/],
      ['/blocks/1?waitMs=30001', /^query\.waitMs: /],
      [`/tx/${'ab'.repeat(32)}?waitMs=-1`, /^query\.waitMs: /],
      [`/blocks/by-hash/${'AB'.repeat(32)}`, /^params\.hash: expected 32 bytes as lowercase hex$/],
      ['/bitcoin-records/1234', /^params\.txid: expected a Bitcoin txid: 32 bytes as lowercase hex$/],
    ];
    for (const [path, message] of cases) {
      const answer = await fetch(`${url}${path}`);
      expect(answer.status, path).to.equal(400);
      const body = (await answer.json()) as { error: { code: string; message: string } };
      expect(body.error.code, path).to.equal('bad-request');
      expect(body.error.message, path).to.match(message);
    }
  });

  it('answers a read of a block or a transaction asked to wait as soon as it is final, and a 404 only once the wait is up', async () => {
    const tip = (await net.clients[3]!.status()).height;
    const issued = issuance(net.genesis.chainId, testWallet(), 1n);
    const txid = hex(txId(issued.tx));
    // Asked before the transaction exists anywhere: the member must wait, then answer on its own.
    const nextBlock = fetch(`${url}/blocks/${tip + 1}?waitMs=20000`);
    const transaction = fetch(`${url}/tx/${txid}?waitMs=20000`);
    await net.clients[1]!.submit(issued.tx);
    expect((await nextBlock).status).to.equal(200);
    const answer = await transaction;
    expect(answer.status).to.equal(200);
    expect(((await answer.json()) as { status: string }).status).to.equal('final');
    const asked = Date.now();
    expect((await fetch(`${url}/blocks/${tip + 1_000}?waitMs=300`)).status).to.equal(404);
    expect(Date.now() - asked).to.be.at.least(300);
  });

  it('admits many transactions in one request, each on its own and in order, and answers each at its position', async () => {
    const client = net.clients[2]!;
    const carol = testWallet();
    const issued = issuance(net.genesis.chainId, carol, 10n);
    const issuedOutput = { txid: txId(issued.tx), index: 0, amount: 10n };
    const toBob = transfer(net.genesis.chainId, carol, issuedOutput, issued.asset, bob.owner, 3n);
    const doubleSpend = transfer(net.genesis.chainId, carol, issuedOutput, issued.asset, alice.owner, 4n);
    const fromChange = transfer(net.genesis.chainId, carol, { txid: txId(toBob), index: 1, amount: 7n }, issued.asset, alice.owner, 2n);
    const results = await client.submitMany([issued.tx, toBob, doubleSpend, fromChange]);
    expect(results.map((result) => result.status)).to.deep.equal(['pending', 'pending', 'refused', 'pending']);
    expect(results.filter((result) => 'txid' in result).map((result) => 'txid' in result && result.txid)).to.deep.equal([issued.tx, toBob, fromChange].map((tx) => hex(txId(tx))));
    for (const tx of [issued.tx, toBob, fromChange]) await client.waitForFinal(hex(txId(tx)));
    const { height } = await client.waitForFinal(hex(txId(toBob)));
    // The refusal names toBob, admitted before it in the same request, as the spender: pending, or
    // final if a block holding toBob was stored while the member looked its spender up.
    const spentInput = `input ${hex(txId(issued.tx))}:0`;
    const refusal = results[2]!;
    expect(refusal.status === 'refused' && refusal.error).to.deep.oneOf([
      { code: 'double-spend', message: `${spentInput} is already spent by pending transaction ${hex(txId(toBob))}` },
      { code: 'double-spend', message: `${spentInput} was spent by transaction ${hex(txId(toBob))}, final at height ${height}` },
    ]);
    // Final on member 2 may not be applied on member 0 yet, whose balances are read next.
    await net.clients[0]!.waitForFinal(hex(txId(fromChange)));
    expect(await net.clients[0]!.balances(carol.address)).to.deep.equal([{ asset: hex(issued.asset), amount: 5n }]);
    // Once final, the ledger no longer holds the spent output: the member names the final transaction that spent it.
    const [late] = await client.submitMany([doubleSpend]);
    expect(late!.status === 'refused' && late!.error).to.deep.equal({ code: 'double-spend', message: `${spentInput} was spent by transaction ${hex(txId(toBob))}, final at height ${height}` });
  });

  it('refuses an empty submission and one above the limit by name, admitting none of it', async () => {
    const post = (transactions: string[]) => fetch(`${url}/txs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ transactions }) });
    const issued = issuance(net.genesis.chainId, testWallet(), 1n);
    for (const transactions of [[], Array.from({ length: 1_001 }, () => hex(encodeTransaction(issued.tx)))]) {
      const answer = await post(transactions);
      expect(answer.status).to.equal(400);
      expect(((await answer.json()) as { error: { message: string } }).error.message).to.match(/^body\.transactions: /);
    }
    expect((await net.clients[3]!.status()).mempool).to.equal(0);
  });

  it('refuses a transaction above the size limit by name, and a body above the request limit with 413, and nothing is pending', async () => {
    const post = (body: string) => fetch(`${url}/tx`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const tooLong = await post(JSON.stringify({ hex: 'ab'.repeat(100_001) }));
    expect(tooLong.status).to.equal(400);
    expect(((await tooLong.json()) as { error: { message: string } }).error.message).to.match(/^body\.hex: /);
    const tooLarge = await post(JSON.stringify({ hex: 'ab'.repeat(600_000) }));
    expect(tooLarge.status).to.equal(413);
    expect(await tooLarge.json()).to.deep.equal({ error: { code: 'too-large', message: 'request body too large' } });
    expect((await net.clients[3]!.status()).mempool).to.equal(0);
  });
});
