import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnNodeChild, stopChildren, type ManagedChild } from '../../federation/local-network/child-processes.ts';
import { NetworkStartError, waitForMembers } from '../../federation/local-network/member-readiness.ts';
import { listenFailure } from '../../federation/member/listen-check.ts';

/** A member's /status that answers only once `ready()` holds, linked to one peer. */
async function statusServer(ready: () => boolean): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    if (!ready()) return response.writeHead(503).end();
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ peersConnected: [1] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('waiting for the members of a local network to come up', function () {
  this.timeout(20_000);
  const folder = mkdtempSync(join(tmpdir(), 'strongbox-readiness-'));
  let logs = 0;
  const children: ManagedChild[] = [];
  const servers: Server[] = [];
  /** A member process running `script`, with a log of its own. */
  const member = (script: string) => {
    const log = join(folder, `member-${logs++}.log`);
    const child = spawnNodeChild('member-0', ['-e', script], { logFile: log });
    children.push(child);
    return { child, log };
  };
  after(async () => {
    await stopChildren(children, { graceMs: 10_000 });
    for (const server of servers) server.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('waits for a member that answers late, however long, naming it and its log meanwhile', async () => {
    const { child: running, log } = member('setInterval(() => {}, 1000)');
    const notices: string[] = [];
    // The member comes up once the wait has named it twice, not after a fixed time: a busy machine
    // stretches the wait's rounds, and a clock deadline could pass before the second notice.
    const { url, server } = await statusServer(() => notices.length >= 2);
    servers.push(server);
    await waitForMembers([url, url], [running, running], [log, log], (line) => notices.push(line), 300);
    expect(notices.length).to.be.at.least(2);
    for (const line of notices) expect(line).to.match(new RegExp(`^still waiting after \\d+ s: member 0 has not answered at ${url} yet: it answers once it has started, on a long chain after re-executing its blocks \\(its log: ${log}\\)$`));
  });

  it('waits out another program that took the port and answers its own pages, until the member says its port is taken', async () => {
    const other = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html>not a member</html>'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    servers.push(other);
    const port = (other.address() as AddressInfo).port;
    const refusal = `strongbox: ${(listenFailure('api', { host: '127.0.0.1', port }, Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', syscall: 'listen' })) as Error).message}`;
    // Exits once the wait has asked the other program a few times, as a member does after loading its code.
    const { child, log } = member(`setTimeout(() => { console.log(${JSON.stringify(refusal)}); process.exit(1); }, 1000)`);
    const failed = await waitForMembers([`http://127.0.0.1:${port}`], [child], [log], () => undefined).catch((error: unknown) => error);
    expect(failed).to.be.instanceOf(NetworkStartError).and.to.include({ portTaken: true });
  });

  it('fails at once with the reason of a member that exits, or the signal that ended it', async () => {
    const { url, server } = await statusServer(() => false);
    servers.push(server);
    const refusing = member("console.log('strongbox: keyFile: not valid JSON'); process.exit(1)");
    const refused = await waitForMembers([url], [refusing.child], [refusing.log], () => undefined).catch((error: unknown) => error);
    expect(refused).to.include({ code: 'network-start', message: `member 0 exited with code 1 before the network was up: keyFile: not valid JSON (its log: ${refusing.log})` });
    const killed = member('setInterval(() => {}, 1000)');
    setTimeout(() => killed.child.process.kill('SIGKILL'), 300);
    const ended = await waitForMembers([url], [killed.child], [killed.log], () => undefined).catch((error: unknown) => error);
    expect((ended as Error).message).to.equal(`member 0 exited on SIGKILL before the network was up (its log: ${killed.log})`);
  });
});
