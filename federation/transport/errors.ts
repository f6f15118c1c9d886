import { StrongboxError } from '../../sidechain/errors.ts';

/** A caller asked the transport for something it can never do (not a network condition). */
export class PeerTransportError extends StrongboxError {}
