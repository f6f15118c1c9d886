import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import type { TestNetwork } from './local-network.ts';

/**
 * When a relay kills its member during a submission (POST /tx): once the member has answered it
 * (`answered`: it admitted the transaction, and the answer is dropped), or once the request is in
 * the member's socket but not yet read (`received`: the member is stopped with SIGSTOP before the
 * request is passed on, then killed, so it never takes the transaction).
 */
export type KillMoment = 'answered' | 'received';

/**
 * A relay to member `index` of `net` that SIGKILLs it once, at `moment` of a submission; every
 * other request passes, before and after, so a command named the relay meets the member as it
 * would meet it directly: answering, then gone, then back once the member is restarted.
 */
export async function killingRelay(net: TestNetwork, index: number, moment: KillMoment): Promise<{ url: string; close: () => void }> {
  const target = new URL(net.network.network.members[index]!.apiUrl);
  const sockets = new Set<Socket>();
  let killed = false;
  const kill = (signal: NodeJS.Signals) => net.network.members[index]!.process.kill(signal);
  const relay = createServer((user) => {
    const member = connect(Number(target.port), target.hostname);
    for (const socket of [user, member]) {
      sockets.add(socket);
      socket.on('error', () => undefined).on('close', () => (user.destroy(), member.destroy(), sockets.delete(socket)));
    }
    let submitting = false;
    user.on('data', (chunk: Buffer) => {
      const head = /^([A-Z]+ \S+) HTTP/.exec(chunk.toString('latin1'));
      if (head) submitting = !killed && head[1] === 'POST /tx';
      if (!(submitting && moment === 'received' && !killed)) return void member.write(chunk);
      killed = true;
      // Stopped first, the member cannot read what reaches its socket before the kill.
      kill('SIGSTOP');
      member.write(chunk, () => kill('SIGKILL'));
    });
    member.on('data', (chunk: Buffer) => {
      if (!(submitting && moment === 'answered' && !killed)) return void user.write(chunk);
      killed = true;
      kill('SIGKILL');
      user.destroy();
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`,
    close() {
      relay.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}
