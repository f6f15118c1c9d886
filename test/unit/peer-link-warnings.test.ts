import { expect } from 'chai';
import { PeerLinkWarnings } from '../../federation/member/peer-link-warnings.ts';
import type { TransportEvent } from '../../federation/transport/stats.ts';
import { capturedLog } from '../helpers/captured-log.ts';

const REFUSED = 'peer frames refused';

/**
 * strongbox_peer_messages_dropped_total pages (PeerFlooding, PeerMessagesRefused in OPERATOR.md)
 * without naming the member: the log must, or the operator paged cannot tell which one to look at.
 */
describe('peer link warnings: the member whose frames are refused is named in the log', () => {
  it('names the member flooding beyond the rate limit, or sending forged frames, once an interval and each reason apart', () => {
    const { lines, log } = capturedLog();
    const warnings = new PeerLinkWarnings(log, 60_000);
    const drop = (reason: Extract<TransportEvent, { type: 'drop' }>['reason'], peer: number) => warnings.observe({ type: 'drop', reason, peer });
    for (let i = 0; i < 500; i++) drop('rate', 3);
    drop('bad-mac', 3);
    drop('sender-mismatch', 1);
    drop('handshake-bad-signature', 2);
    const refused = lines.filter((line) => String(line.msg).startsWith(REFUSED));
    expect(refused.map(({ peer, code, reason }) => ({ peer, code, reason }))).to.deep.equal([
      { peer: 3, code: 'rate', reason: "member 3 sends more frames or bytes a second than this member's peer rate limit lets in (peer.rateLimitFramesPerSecond, peer.rateLimitBytesPerSecond); the rest are dropped unread" },
      { peer: 3, code: 'bad-mac', reason: "a frame on member 3's link does not carry the link's MAC: forged, or altered on its way" },
      { peer: 1, code: 'sender-mismatch', reason: "a frame on member 1's link names another member as its sender" },
      { peer: 2, code: 'handshake-bad-signature', reason: "a handshake as member 2 carries a signature that member's block key did not make" },
    ]);
    expect(refused.every((line) => line.level === 'warn')).to.equal(true);
    warnings.flush();
    const counted = lines.filter((line) => line.repeats !== undefined);
    expect(counted.map(({ peer, code, repeats }) => ({ peer, code, repeats }))).to.deep.equal([{ peer: 3, code: 'rate', repeats: 499 }]);
  });

  it('says of a hello closed without a welcome that a connection cut at the hello looks the same, as a peer killed or a reset on the way makes it', () => {
    const { lines, log } = capturedLog();
    const warnings = new PeerLinkWarnings(log, 60_000);
    warnings.observe({ type: 'drop', reason: 'handshake-refused', peer: 4 });
    expect(lines.map(({ peer, reason }) => ({ peer, reason }))).to.deep.equal([{ peer: 4, reason: 'member 4 closed the connection before its welcome' }]);
    expect(lines[0]!.msg).to.match(/it runs a release of another peer protocol version .*; or, if a `peer linked` line for it follows, the connection was only cut at the hello \(that member stopping, or the network between the two resetting connections\)$/);
  });

  it('adds no such line for what is not the peer sending: a link down, a silent peer, this member\'s own send queue full', () => {
    const { lines, log } = capturedLog();
    const warnings = new PeerLinkWarnings(log, 60_000);
    for (const reason of ['peer-disconnected', 'peer-backpressure', 'handshake-timeout'] as const) warnings.observe({ type: 'drop', reason, peer: 2 });
    warnings.flush();
    expect(lines).to.deep.equal([]);
  });
});
