// Run as its own process by transport.test.ts: three transports meet and close, with nothing else
// in the process that could open or close a socket or a timer meanwhile. Prints the sockets,
// servers and timers alive before and after; the process must then exit by itself.
import { makeFederation, startFederation, waitFor } from './transport-harness.ts';

const activeHandles = () => process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap' || name === 'TCPServerWrap' || name === 'Timeout');

const before = activeHandles();
const transports = await startFederation(makeFederation(3));
await waitFor(() => transports.every((transport) => transport.connectedPeers().length === 2), 'mesh');
await Promise.all(transports.map((transport) => transport.close()));
await new Promise((resolve) => setImmediate(resolve));
process.stdout.write(`${JSON.stringify({ before, after: activeHandles() })}\n`);
