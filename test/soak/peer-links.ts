import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestNetwork } from '../helpers/local-network.ts';
import { readMemberPorts } from '../../federation/local-network/member-configs.ts';
import { sleep } from '../helpers/faults.ts';

const run = promisify(execFile);

/** Established TCP connections on the loopback: local and remote port, and the pid holding the socket. */
async function connections(): Promise<{ local: number; remote: number; pid: number }[]> {
  const { stdout } = await run('ss', ['-tnpH', 'state', 'established']);
  return stdout.split('\n').flatMap((line) => {
    const match = /127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:(\d+).*pid=(\d+)/.exec(line);
    return match ? [{ local: Number(match[1]), remote: Number(match[2]), pid: Number(match[3]) }] : [];
  });
}

/**
 * Cuts every peer link of member `index` (the connections it dialled to its peers' peer ports and
 * those they dialled to its own) with `ss -K`, again and again for `forMs`, so each reconnection
 * is cut too: to its peers the member is gone while its process, database and API keep running.
 * Needs CAP_NET_ADMIN and a kernel with socket destruction (CONFIG_INET_DIAG_DESTROY); returns the
 * number of connections cut.
 */
export async function cutPeerLinks(net: TestNetwork, index: number, forMs: number): Promise<number> {
  const members = net.network.members.length;
  const peerPorts = new Set(Array.from({ length: members }, (_, member) => readMemberPorts(net.network.dataDir, member)!.peer));
  const ownPort = readMemberPorts(net.network.dataDir, index)!.peer;
  const pid = net.network.members[index]!.process.pid;
  let cut = 0;
  const until = Date.now() + forMs;
  while (Date.now() < until) {
    const links = (await connections()).filter((link) => link.pid === pid && (link.local === ownPort || (peerPorts.has(link.remote) && link.remote !== ownPort)));
    for (const link of links) {
      await run('ss', ['-K', 'src', `127.0.0.1:${link.local}`, 'dst', `127.0.0.1:${link.remote}`]).catch(() => undefined);
      cut++;
    }
    await sleep(200);
  }
  return cut;
}

