export { startPeerTransport, type MessageHandler, type PeerTransport } from './peer-transport.ts';
export type { PeerTransportMember, PeerTransportOptions } from './options.ts';
export type { DropReason, PeerTransportStats, TransportEvent } from './stats.ts';
export { PeerTransportError } from './errors.ts';
