import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemberClient } from '../../federation/api/client.ts';
import { AuditFailure } from '../../federation/audit/auditor.ts';
import { memberBlockSource } from '../../federation/audit/block-source.ts';

/** What a member that is wrong or hostile may answer; the auditor reads it as data, never as truth. */
const answers: Record<string, { status: number; body: unknown }> = {
  '/status': { status: 200, body: { height: 'many' } },
  '/chain/blocks/1': { status: 200, body: { height: 1, block: '0a0b', commit: '0c' } },
  '/chain/blocks/2': { status: 200, body: { height: 3, block: '', commit: '' } },
  '/chain/blocks/3': { status: 200, body: { height: 3, block: 'XYZ', commit: '' } },
  '/chain/blocks/4': { status: 200, body: [] },
};

describe('audit block source over a member API (HTTP)', () => {
  let server: Server;
  let source: ReturnType<typeof memberBlockSource>;

  before(async () => {
    server = createServer((request, response) => {
      const answer = answers[request.url ?? ''] ?? { status: 404, body: { error: { code: 'not-found', message: 'no such block' } } };
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    source = memberBlockSource(new MemberClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('returns the bytes of a well-formed answer and null past the end of the chain', async () => {
    const served = await source.block(1);
    expect(Buffer.from(served!.block).toString('hex')).to.equal('0a0b');
    expect(Buffer.from(served!.commit).toString('hex')).to.equal('0c');
    expect(await source.block(5)).to.equal(null);
  });

  const refusals: { description: string; height: number; message: RegExp }[] = [
    { description: 'another block than asked for', height: 2, message: /answered for block 2 with block 3$/ },
    { description: 'bytes that are not hex', height: 3, message: /served an unreadable answer for block 3 \(expected lowercase hex\)$/ },
    { description: 'JSON of another shape', height: 4, message: /served an unreadable answer for block 4/ },
  ];
  for (const { description, height, message } of refusals) {
    it(`fails the source check at the height of ${description}`, async () => {
      const failure = await source.block(height).then(
        () => expect.fail('the answer was accepted'),
        (error: unknown) => error,
      );
      expect(failure).to.be.instanceOf(AuditFailure).with.property('check', 'source');
      expect(failure).to.have.property('height', height);
      expect((failure as AuditFailure).message).to.match(message);
    });
  }

  it('refuses a status without a chain height', async () => {
    const failure = await source.height().then(
      () => expect.fail('the status was accepted'),
      (error: unknown) => error,
    );
    expect(failure).to.be.instanceOf(AuditFailure).with.property('message').that.matches(/answered \/status with no chain height$/);
  });
});
