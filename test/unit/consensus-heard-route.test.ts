import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApiApp } from '../../federation/api/app.ts';
import { memberRoutes, type MemberApiContext } from '../../federation/api/member-routes.ts';
import { buildOpenApiDocument } from '../../federation/api/openapi.ts';
import { vectorGenesis } from '../helpers/block-vectors.ts';

describe('GET /consensus/heard/:member', () => {
  const genesis = vectorGenesis();
  const asked: number[] = [];
  // The route reads the genesis of the chain and asks consensus what it heard: nothing else.
  const context = {
    chain: { genesis },
    heardFrom: (memberIndex: number) => {
      asked.push(memberIndex);
      return { height: 7, messages: [] };
    },
  } as unknown as MemberApiContext;
  let server: Server;
  let base: string;

  before(async () => {
    server = createApiApp(memberRoutes(context), {}).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const answer = async (member: string) => {
    const response = await fetch(`${base}/consensus/heard/${member}`);
    return [response.status, await response.json()];
  };

  it('answers for every member of the federation, the first and the last', async () => {
    expect(genesis.members.keys).to.have.length(5);
    expect(await answer('0')).to.deep.equal([200, { height: 7, messages: [] }]);
    expect(await answer('4')).to.deep.equal([200, { height: 7, messages: [] }]);
    expect(asked).to.deep.equal([0, 4]);
  });

  it('answers 400 for a member the federation does not have, where it answered as for a member that sent nothing', async () => {
    asked.length = 0;
    expect(await answer('9')).to.deep.equal([400, { error: { code: 'bad-request', message: 'params.member: expected a member of the federation, numbered 0 to 4, got "9"' } }]);
    expect(await answer('5')).to.deep.equal([400, { error: { code: 'bad-request', message: 'params.member: expected a member of the federation, numbered 0 to 4, got "5"' } }]);
    expect(await answer('-1')).to.deep.equal([400, { error: { code: 'bad-request', message: 'params.member: expected a whole number of at least 0, got "-1"' } }]);
    expect(asked, 'the route asks consensus nothing').to.deep.equal([]);
  });

  it('documents the members it answers for in the OpenAPI document: 0 to the last of the genesis', () => {
    type Parameters = { parameters: unknown[] };
    const document = buildOpenApiDocument(memberRoutes(context), { title: 't', version: '1' }) as { paths: Record<string, Record<string, Parameters>> };
    expect(document.paths['/consensus/heard/{member}']?.get?.parameters).to.deep.equal([{ name: 'member', in: 'path', required: true, schema: { type: 'integer', minimum: 0, maximum: 4 } }]);
  });
});
