import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * A member that serves a history of its own choosing over the same API as a real member
 * (GET /status, GET /chain/blocks?from=), for an auditor or a catching-up member to be pointed
 * at. It answers ten blocks a request, fewer than a member's hundred, so a reader asks for
 * several ranges. `claimedHeight` is the height its /status announces (by default the blocks it serves).
 */
export async function serveHistory(blocks: readonly { block: Uint8Array; commit: Uint8Array }[], claimedHeight = blocks.length): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const send = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (request.url === '/status') return send(200, { height: claimedHeight });
    const from = Number(/^\/chain\/blocks\?from=(\d+)$/.exec(request.url ?? '')?.[1]);
    if (!(from > 0)) return send(404, { error: { code: 'not-found', message: 'no such path' } });
    return send(200, { blocks: blocks.slice(from - 1, from + 9).map((served, index) => ({ height: from + index, block: hex(served.block), commit: hex(served.commit) })) });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
