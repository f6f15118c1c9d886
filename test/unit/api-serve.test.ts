import { expect } from 'chai';
import { Agent, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { createApiApp } from '../../federation/api/app.ts';
import { defineRoute } from '../../federation/api/route.ts';
import { closeApi, listenApi } from '../../federation/api/serve.ts';

/** Writes `parts` one after the other, `gapMs` apart, and resolves with everything the server sent back before it closed. */
function rawExchange(port: number, parts: string[], gapMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let closed = false;
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      closed = true;
      resolve(answer);
    });
    void (async () => {
      for (const part of parts) {
        if (closed) return;
        socket.write(part);
        await sleep(gapMs);
      }
    })();
  });
}

function parseAnswer(raw: string): { status: number; body: unknown } {
  const [head, body] = raw.split('\r\n\r\n');
  return { status: Number(head!.split(' ')[1]), body: body ? JSON.parse(body) : undefined };
}

/** One route that answers after the milliseconds it is asked to wait. */
const slowRoutes = [
  defineRoute({ method: 'post', path: '/slow', summary: 'answers after a while', tag: 'test', body: z.object({ ms: z.number() }).strict(), handler: async ({ body }) => (await sleep(body.ms), { waited: body.ms }) }),
];

describe('serving the HTTP API: deadlines and malformed requests', () => {
  const deadlines = { requestMs: 1_500, headersMs: 600, checkEveryMs: 100 };
  let server: Server;
  let port: number;

  before(async () => {
    server = await listenApi(createApiApp(slowRoutes), 0, '127.0.0.1', deadlines);
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('answers 408 with the reason to a client whose headers stop arriving', async () => {
    const answer = parseAnswer(await rawExchange(port, ['POST /slow HTTP/1.1\r\nHost: x\r\n']));
    expect(answer).to.deep.equal({ status: 408, body: { error: { code: 'request-timeout', message: 'the request did not arrive whole within 1.5 s (its headers within 0.6 s)' } } });
  });

  it('answers 408 to a client sending its body a byte at a time, past the request deadline', async () => {
    const body = JSON.stringify({ ms: 0 });
    const head = `POST /slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 40}\r\n\r\n`;
    const answer = parseAnswer(await rawExchange(port, [head, ...Array.from({ length: 40 }, () => ' '), body], 100));
    expect(answer.status).to.equal(408);
  });

  it('does not cut short an answer that takes longer than the deadline once the request is whole', async () => {
    const body = JSON.stringify({ ms: 2_000 });
    const raw = await rawExchange(port, [`POST /slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`]);
    expect(raw.split('\r\n')[0]).to.equal('HTTP/1.1 200 OK');
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).to.deep.equal({ waited: 2000 });
  });

  it('answers 400 with an error body to bytes that are not HTTP, and 431 to oversized headers', async () => {
    expect(parseAnswer(await rawExchange(port, ['NOT HTTP AT ALL\r\n\r\n']))).to.deep.equal({ status: 400, body: { error: { code: 'bad-request', message: 'malformed HTTP request' } } });
    const huge = `GET /slow HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(20_000)}\r\n\r\n`;
    expect(parseAnswer(await rawExchange(port, [huge]))).to.deep.equal({ status: 431, body: { error: { code: 'too-large', message: 'request headers too large' } } });
  });
});

describe('closing the HTTP API', () => {
  /** POSTs to /slow over `agent`; resolves with the status and Connection header, or the socket error's code. */
  function ask(port: number, agent: Agent, ms: number): Promise<{ status: number; connection: string | undefined } | { error: string }> {
    return new Promise((resolve) => {
      const body = JSON.stringify({ ms });
      const outgoing = request({ port, host: '127.0.0.1', method: 'POST', path: '/slow', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode!, connection: response.headers.connection }));
      });
      outgoing.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      outgoing.end(body);
    });
  }

  it('stops at once while a client keeps asking over a kept-alive connection, closing it once the answer in progress is sent', async () => {
    const server = await listenApi(createApiApp(slowRoutes), 0, '127.0.0.1');
    const port = (server.address() as AddressInfo).port;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const answers: Awaited<ReturnType<typeof ask>>[] = [];
    let asking = true;
    const client = (async () => {
      while (asking) answers.push(await ask(port, agent, 20));
    })();
    while (answers.length < 3) await sleep(20);
    const started = Date.now();
    // The grace is a minute: only closing each connection once its answer is sent ends this well inside it.
    await closeApi(server, 60_000);
    const took = Date.now() - started;
    asking = false;
    await client;
    agent.destroy();
    // A new connection, as the kept-alive one may still look open to the client for a moment after the server closed it.
    const after = await ask(port, new Agent({ keepAlive: false }), 20);
    // Far inside the minute's grace: closing did not wait for the client to stop asking.
    expect(took, `closing took ${took} ms`).to.be.below(30_000);
    // Served throughout; a request written just as its idle connection is closed meets a reset, as at any close of a kept-alive connection.
    expect(answers.every((answer) => ('status' in answer && answer.status === 200) || ('error' in answer && answer.error === 'ECONNRESET'))).to.equal(true);
    // The kept-alive connection is gone, and nobody listens for a new one.
    expect(after).to.deep.equal({ error: 'ECONNREFUSED' });
  });

  it('cuts an answer still running when the grace is over', async () => {
    const server = await listenApi(createApiApp(slowRoutes), 0, '127.0.0.1');
    const port = (server.address() as AddressInfo).port;
    const agent = new Agent({ keepAlive: true });
    const answer = ask(port, agent, 60_000);
    await sleep(100);
    const started = Date.now();
    await closeApi(server, 300);
    const took = Date.now() - started;
    agent.destroy();
    // At the grace, not at the minute the answer would take.
    expect(took, `closing took ${took} ms`).to.be.within(250, 30_000);
    expect(await answer).to.deep.equal({ error: 'ECONNRESET' });
  });
});
