import { expect } from 'chai';
import fc from 'fast-check';
import { encodeTransaction } from '../../sidechain/transaction/codec.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import { fuzzAsync, fuzzRuns } from '../helpers/fuzz.ts';
import { expectWellFormedAnswer, hostileText, operationsOf, requestsFor, type FuzzRequest, type OpenApiOperation } from '../helpers/fuzz-http.ts';
import { errorOf, httpRequest } from '../helpers/http.ts';
import { memberStateReader, type MemberStateReader } from '../helpers/member-state.ts';
import { eventually, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { issuance, testWallet, transfer } from '../helpers/transactions.ts';

// Each case is an HTTP request (and, for a refused one that could write, two state snapshots),
// so the default is smaller than for decoders; FUZZ_RUNS=10000 runs 10,000 per route.
const RUNS_PER_ROUTE = fuzzRuns(150);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe(`fuzzing every route of a member's HTTP API (${RUNS_PER_ROUTE} requests per route)`, function () {
  this.timeout(3_600_000);
  let net: TestNetwork;
  let url: string;
  let operations: OpenApiOperation[];
  let members: MemberStateReader[];
  const known: Record<string, string[]> = {};
  const validBodies: Record<string, unknown[]> = {};

  before(async () => {
    // Three members: what is fuzzed is one member's answers, which the federation's size does not
    // change, and three start and run on less CPU than five.
    net = await startTestNetwork(3);
    url = net.network.network.members[0]!.apiUrl;
    const client = net.clients[0]!;
    // A chain with an asset and a transfer, so that valid ids, heights and addresses exist.
    const issuer = testWallet();
    const holder = testWallet();
    const issued = issuance(net.genesis.chainId, issuer, 1_000n);
    await client.waitForFinal(await client.submit(issued.tx));
    const payment = transfer(net.genesis.chainId, issuer, { txid: txId(issued.tx), index: 0, amount: 1_000n }, issued.asset, holder.owner, 400n);
    const finalHeight = (await client.waitForFinal(await client.submit(payment))).height!;
    // Final on member 0 is not yet applied on the others: the snapshot of their state below must
    // not catch one of them still writing these blocks.
    await eventually(`every member at height ${finalHeight}`, async () => (await Promise.all(net.clients.map((member) => member.status()))).every((status) => status.height >= finalHeight));
    const txids = [hex(txId(issued.tx)), hex(txId(payment)), '00'.repeat(32)];
    Object.assign(known, {
      height: ['0', '1', String(finalHeight), String(finalHeight + 1)],
      txid: txids,
      address: [issuer.address, holder.address, issuer.address.toUpperCase()],
      asset: [hex(issued.asset), '00'.repeat(32)],
    });
    // The payment is final, so submitting it again is refused: every /tx case must change nothing.
    validBodies['POST /tx'] = [{ hex: hex(encodeTransaction(payment)) }];
    validBodies['POST /pegin/addresses'] = [{ recipient: holder.address }];
    validBodies['POST /pegin/claims'] = [{ txid: txids[0], vout: 0, recipient: holder.address }];
    const document = JSON.parse((await httpRequest(`${url}/openapi.json`)).text) as Parameters<typeof operationsOf>[0];
    operations = operationsOf(document);
    // A fuzzed read that waits for finality would wait up to 30 s for a block that never comes,
    // and the run would take minutes: its valid values are kept to a few milliseconds here (the
    // parameter is still fuzzed with hostile values), and waiting itself is tested in api.test.ts.
    for (const parameter of operations.flatMap((operation) => operation.parameters)) {
      if (parameter.name === 'waitMs') parameter.schema = { ...parameter.schema, maximum: 20 };
    }
    members = await Promise.all(net.clients.map((_, index) => memberStateReader(net, index)));
  });
  after(async () => {
    await Promise.all(members?.map((member) => member.close()) ?? []);
    await net?.stop();
  });
  const others = () => Promise.all(members.slice(1).map((member) => member.read()));

  const statuses = new Map<number, number>();
  after(() => console.log(`      answers by status: ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`));

  async function send(request: FuzzRequest): Promise<void> {
    const writes = request.method !== 'GET';
    const before = writes ? await members[0]!.read() : undefined;
    const answer = await httpRequest(url, request);
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    expectWellFormedAnswer(request, answer);
    if (before && answer.status >= 400) expect(await members[0]!.read(), `${request.method} ${request.path} changed the member's state`).to.deep.equal(before);
  }

  it('answers every documented route with a result or a 4xx naming the reason, never a server error, and a refusal changes nothing', async () => {
    expect(operations.length).to.be.above(10);
    console.log(`      ${operations.length} documented routes`);
    const othersBefore = await others();
    for (const operation of operations) {
      await fuzzAsync(requestsFor(operation, known, validBodies[`${operation.method} ${operation.path}`] ?? []), RUNS_PER_ROUTE, send);
    }
    // Nothing reached the other members either: no transaction was relayed or included.
    expect(await others()).to.deep.equal(othersBefore);
  });

  it('answers requests to routes that do not exist with 404 or 405 in the same shape, and changes nothing', async () => {
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
      segments: fc.array(fc.oneof(fc.constantFrom('tx', 'blocks', 'chain', 'pegin', 'addresses', 'status', 'admin', '..'), hostileText.map(encodeURIComponent)), { minLength: 1, maxLength: 4 }),
      body: fc.string({ maxLength: 100 }),
    });
    await fuzzAsync(request, RUNS_PER_ROUTE, async ({ method, segments, body }) => {
      await send({ method, path: `/${segments.join('/')}`, headers: { 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { body }) });
    });
  });

  it('refuses a request body above the limit with 413 before reading it, and changes nothing', async () => {
    const before = await members[0]!.read();
    const answer = await httpRequest(url, { method: 'POST', path: '/tx', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hex: 'ab'.repeat(600_000) }) });
    expect(answer.status).to.equal(413);
    expect(errorOf(answer)).to.deep.equal({ code: 'too-large', message: 'request body too large' });
    expect(await members[0]!.read()).to.deep.equal(before);
  });

  it('limits the requests per client address at the configured rate, announced on every answer', async () => {
    const answer = await httpRequest(`${url}/status`, { from: '127.0.0.9' });
    expect(answer.status).to.equal(200);
    expect(answer.headers['ratelimit-policy']).to.equal('120000;w=60');
    expect(answer.headers.ratelimit).to.match(/^limit=120000, remaining=119999, reset=\d+$/);
  });
});
