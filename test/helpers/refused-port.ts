import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';

/**
 * Binds each socket to a port of 127.0.0.1 the kernel chooses, without listening, prints the
 * ports on one line, and holds them until its standard input closes.
 */
const HOLDER = `
use Socket;
my @held;
for (1 .. $ARGV[0]) {
  socket(my $socket, PF_INET, SOCK_STREAM, 0) or die "socket: $!\\n";
  bind($socket, pack_sockaddr_in(0, inet_aton('127.0.0.1'))) or die "bind: $!\\n";
  push @held, $socket;
}
$| = 1;
print join(' ', map { (unpack_sockaddr_in(getsockname($_)))[0] } @held), "\\n";
<STDIN>;
`;

/**
 * `count` TCP ports of 127.0.0.1 on which every connection is refused, for as long as this process
 * runs: for a member, a Bitcoin node or a database that is down. Each is held by a socket bound to
 * it that does not listen, and that does not let its address be reused: nothing else can listen
 * on the port meanwhile, and the kernel never gives it to an outgoing connection either, which
 * could otherwise meet itself there. A port found free and let go, as these tests took before,
 * could be taken by another process (another test's member or Postgres) before the connection,
 * and answer it. Node binds a TCP socket only to listen or connect, and always lets its address be
 * reused, so a perl one-liner holds the ports; it exits once its standard input closes, however
 * this process ends.
 */
export async function refusedPorts(count: number): Promise<number[]> {
  const holder = spawn('perl', ['-e', HOLDER, String(count)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  holder.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: holder.stdout }).once('line', resolve);
    holder.once('error', (error) => reject(new Error(`refusedPorts needs perl to hold the ports: ${error.message}`)));
    holder.once('exit', (code) => reject(new Error(`the perl holding the refused ports exited with ${code}: ${stderr.trim()}`)));
  });
  // Held for the rest of the run, neither keeping this process alive nor read any more.
  holder.unref();
  (holder.stdin as Socket).unref();
  holder.stdout.destroy();
  holder.stderr.destroy();
  return line.split(' ').map(Number);
}

/** One port from refusedPorts. */
export async function refusedPort(): Promise<number> {
  const [port] = await refusedPorts(1);
  return port!;
}

/** `count` http:// addresses of ports from refusedPorts: members down. */
export async function refusedUrls(count: number): Promise<string[]> {
  return (await refusedPorts(count)).map((port) => `http://127.0.0.1:${port}`);
}
