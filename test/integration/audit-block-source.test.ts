import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemberClient } from '../../federation/api/client.ts';
import { AuditFailure } from '../../federation/audit/auditor.ts';
import { memberBlockSource } from '../../federation/audit/block-source.ts';

const block = (height: number) => ({ height, block: '0a0b', commit: '0c' });

/** What a member that is wrong or hostile may answer; the auditor reads it as data, never as truth. */
const answers: Record<string, { status: number; body: unknown; text?: string }> = {
  '/status': { status: 200, body: { height: 'many' } },
  // Three blocks, then (a range that stopped early) the rest from 4, and nothing from 6 on.
  '/chain/blocks?from=1': { status: 200, body: { blocks: [block(1), block(2), block(3)] } },
  '/chain/blocks?from=4': { status: 200, body: { blocks: [block(4), block(5)] } },
  '/chain/blocks?from=6': { status: 200, body: { blocks: [] } },
  '/chain/blocks?from=10': { status: 200, body: { blocks: [block(10), block(12)] } },
  '/chain/blocks?from=20': { status: 200, body: { blocks: [{ height: 20, block: 'XYZ', commit: '' }] } },
  '/chain/blocks?from=30': { status: 200, body: [] },
  '/chain/blocks?from=40': { status: 200, body: { blocks: Array.from({ length: 101 }, (_, index) => block(40 + index)) } },
  '/chain/blocks?from=50': { status: 200, body: null, text: '<html>not a member</html>' },
};

describe('audit block source over a member API (HTTP)', () => {
  let server: Server;
  let source: ReturnType<typeof memberBlockSource>;
  let url: string;
  const requested: string[] = [];

  before(async () => {
    server = createServer((request, response) => {
      requested.push(request.url ?? '');
      const answer = answers[request.url ?? ''] ?? { status: 404, body: { error: { code: 'not-found', message: 'no such block' } } };
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.text ?? JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    source = memberBlockSource(new MemberClient(url));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('returns the bytes of well-formed answers, asking for each range once, and null past the end of the chain', async () => {
    requested.length = 0;
    const served = await Promise.all([1, 2, 3, 4, 5, 6].map((height) => source.block(height)));
    expect(served.slice(0, 5).map((one) => Buffer.from(one!.block).toString('hex'))).to.deep.equal(Array(5).fill('0a0b'));
    expect(Buffer.from(served[0]!.commit).toString('hex')).to.equal('0c');
    expect(served[5]).to.equal(null);
    expect(requested).to.deep.equal(['/chain/blocks?from=1', '/chain/blocks?from=4', '/chain/blocks?from=6']);
  });

  const refusals: { description: string; height: number; failsAt: number; message: RegExp }[] = [
    { description: 'another block than asked for', height: 10, failsAt: 11, message: /answered for block 11 with block 12$/ },
    { description: 'bytes that are not hex', height: 20, failsAt: 20, message: /served an unreadable answer for blocks from 20 \(blocks\.0\.block: expected lowercase hex\)$/ },
    { description: 'JSON of another shape', height: 30, failsAt: 30, message: /served an unreadable answer for blocks from 30 \(Invalid input: expected object, received array\)$/ },
    { description: 'more blocks than a range holds', height: 40, failsAt: 40, message: /served an unreadable answer for blocks from 40 \(blocks: Too big: expected array to have <=100 items\)$/ },
    { description: 'an answer that is not JSON', height: 50, failsAt: 50, message: /served an unreadable answer for blocks from 50 \(not JSON\)$/ },
  ];
  for (const { description, height, failsAt, message } of refusals) {
    it(`fails the source check at the height of ${description}`, async () => {
      const failure = await memberBlockSource(new MemberClient(url)).block(height).then(
        () => expect.fail('the answer was accepted'),
        (error: unknown) => error,
      );
      expect(failure).to.be.instanceOf(AuditFailure).with.property('check', 'source');
      expect(failure).to.have.property('height', failsAt);
      expect((failure as AuditFailure).message).to.match(message);
    });
  }

  it('refuses a status without a chain height', async () => {
    const failure = await source.tip().then(
      () => expect.fail('the status was accepted'),
      (error: unknown) => error,
    );
    expect(failure).to.be.instanceOf(AuditFailure).with.property('message').that.matches(/answered \/status with no chain height$/);
  });
});
