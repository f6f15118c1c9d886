import { expect } from 'chai';
import { PeerLinkFailures, type PeerDown } from '../../federation/member/peer-link-failures.ts';
import { FRAME_VERSION } from '../../federation/transport/frame.ts';
import type { TransportEvent } from '../../federation/transport/stats.ts';

const STARTED_MS = 1_000;
// Member 1 of four: member 0 dials it, it dials members 2 and 3.
const PEERS = [{ memberIndex: 0 }, { memberIndex: 2, url: 'ws://10.0.0.2:8301' }, { memberIndex: 3, url: 'ws://10.0.0.3:8301' }];
const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.2:8301'), { code: 'ECONNREFUSED' });

function downAfter(events: [TransportEvent, number][], connected: number[] = []): PeerDown[] {
  const failures = new PeerLinkFailures(PEERS, STARTED_MS);
  for (const [event, atMs] of events) failures.observe(event, atMs);
  return failures.down(connected);
}

const neverLinked = (memberIndex: number): PeerDown =>
  memberIndex === 0
    ? { memberIndex, sinceMs: STARTED_MS, code: 'never-linked', reason: 'it has not connected since this member started (member 0 dials this one: see its status)' }
    : { memberIndex, sinceMs: STARTED_MS, code: 'never-linked', reason: `not linked yet since this member started, dialling ws://10.0.0.${memberIndex}:8301` };

describe('the last reason each peer link failed', () => {
  it('lists every other member as never linked since the start until it connects', () => {
    expect(downAfter([])).to.deep.equal([neverLinked(0), neverLinked(2), neverLinked(3)]);
    expect(downAfter([[{ type: 'connected', peer: 2 }, 2_000]], [2])).to.deep.equal([neverLinked(0), neverLinked(3)]);
  });

  it('says a refused dial with the address, and keeps the time of the first refusal while the dialer retries', () => {
    const events: [TransportEvent, number][] = [
      [{ type: 'socket-error', peer: 2, error: refused }, 2_000],
      [{ type: 'socket-error', peer: 2, error: refused }, 4_000],
    ];
    expect(downAfter(events)[1]).to.deep.equal({ memberIndex: 2, sinceMs: 2_000, code: 'dial-error', reason: 'connection refused at ws://10.0.0.2:8301 (not running?)' });
  });

  it('says which peer protocol a member of another release runs, and which of the two to upgrade', () => {
    const events: [TransportEvent, number][] = [
      [{ type: 'drop', reason: 'handshake-version', peer: 3 }, 2_000],
      [{ type: 'other-version', version: FRAME_VERSION - 1, peer: 3 }, 2_000],
    ];
    expect(downAfter(events)[2]).to.deep.equal({
      memberIndex: 3,
      sinceMs: 2_000,
      code: 'other-version',
      reason: `refuses this member's handshake: it runs peer protocol ${FRAME_VERSION - 1}, this member ${FRAME_VERSION} (another release: upgrade it)`,
    });
    expect(downAfter([[{ type: 'other-version', version: FRAME_VERSION + 1, peer: 3 }, 2_000]])[2]!.reason).to.equal(
      `refuses this member's handshake: it runs peer protocol ${FRAME_VERSION + 1}, this member ${FRAME_VERSION} (another release: upgrade this member)`,
    );
  });

  it('names a member of another release that dials this one by the member its hello says it is, unless that member is linked now', () => {
    const claim: TransportEvent = { type: 'other-version', version: FRAME_VERSION - 1, address: '10.0.0.9', claimedMember: 0 };
    expect(downAfter([[claim, 2_000]])[0]).to.deep.equal({
      memberIndex: 0,
      sinceMs: 2_000,
      code: 'other-version',
      reason: `it dials from 10.0.0.9 with peer protocol ${FRAME_VERSION - 1}, and this member, of ${FRAME_VERSION}, refuses it (another release: upgrade it); known by what its hello says, which cannot be checked across versions`,
    });
    // Member 0 linked: a claim to be it is someone else's, and the close of its link is said as such.
    const whileLinked: [TransportEvent, number][] = [
      [{ type: 'connected', peer: 0 }, 2_000],
      [claim, 3_000],
      [{ type: 'disconnected', peer: 0 }, 4_000],
    ];
    expect(downAfter(whileLinked)[0]).to.deep.equal({ memberIndex: 0, sinceMs: 4_000, code: 'link-closed', reason: 'its link closed; it dials this member again' });
    // A hello that names no member that may dial this one says nothing of any.
    expect(downAfter([[{ type: 'other-version', version: FRAME_VERSION - 1, address: '10.0.0.9' }, 2_000]])).to.deep.equal([neverLinked(0), neverLinked(2), neverLinked(3)]);
  });

  it("keeps a handshake failing in a linked member's name (a stranger claiming it) from standing for that link's next close", () => {
    const events: [TransportEvent, number][] = [
      [{ type: 'connected', peer: 0 }, 2_000],
      [{ type: 'drop', reason: 'handshake-bad-signature', peer: 0 }, 3_000],
      [{ type: 'disconnected', peer: 0 }, 4_000],
    ];
    expect(downAfter(events)[0]).to.deep.equal({ memberIndex: 0, sinceMs: 4_000, code: 'link-closed', reason: 'its link closed; it dials this member again' });
    // Once its link is down, the same failure is the reason.
    expect(downAfter([...events, [{ type: 'drop', reason: 'handshake-bad-signature', peer: 0 }, 5_000]])[0]!.code).to.equal('handshake-bad-signature');
  });

  it('says a handshake refusal by its reason', () => {
    expect(downAfter([[{ type: 'drop', reason: 'handshake-refused', peer: 2 }, 2_000]])[1]).to.deep.equal({
      memberIndex: 2,
      sinceMs: 2_000,
      code: 'handshake-refused',
      reason: "it closed the connection at this member's hello without a welcome: it runs peer protocol 1 (another release: upgrade it), has another genesis file, or does not know this member's key (its log says which); or the connection was only cut at the hello (that member stopping, or the network between the two resetting connections), and the next dial links or says why not",
    });
    expect(downAfter([[{ type: 'drop', reason: 'handshake-bad-signature', peer: 0 }, 2_000]])[0]!.reason).to.equal('its handshake is not signed by its key in the genesis: it runs with another key file');
  });

  it("says a refusal of this member's hello in the acceptor's words when its close names it", () => {
    const said = (acceptorSaid: 'handshake-wrong-chain' | 'handshake-unknown-member' | 'handshake-wrong-direction') => downAfter([[{ type: 'drop', reason: 'handshake-refused', peer: 2, acceptorSaid }, 2_000]])[1]!;
    expect(said('handshake-wrong-chain')).to.deep.equal({
      memberIndex: 2,
      sinceMs: 2_000,
      code: 'handshake-refused',
      reason: "refuses this member's hello as one of another chain: one of the two runs with another genesis file",
    });
    expect(said('handshake-unknown-member').reason).to.equal(
      "refuses this member's hello: it is not the member this one meant to reach, or its genesis has no member of this one's index (a peer list names the wrong address, or another genesis file)",
    );
    expect(said('handshake-wrong-direction').reason).to.equal("refuses this member's hello: the member at that address has the lower index, so it dials this one (the peer list of one of the two is wrong)");
  });

  it('keeps the cause of a closed link rather than the close that follows it, and says a plain close as such', () => {
    const silent: [TransportEvent, number][] = [
      [{ type: 'connected', peer: 3 }, 2_000],
      [{ type: 'silent', peer: 3 }, 9_000],
      [{ type: 'disconnected', peer: 3 }, 9_000],
    ];
    expect(downAfter(silent)[2]).to.deep.equal({ memberIndex: 3, sinceMs: 9_000, code: 'silent', reason: 'it answered no ping, so its link was closed (hung, or the network drops its traffic)' });
    const closed: [TransportEvent, number][] = [
      [{ type: 'connected', peer: 0 }, 2_000],
      [{ type: 'disconnected', peer: 0 }, 5_000],
    ];
    expect(downAfter(closed)[0]).to.deep.equal({ memberIndex: 0, sinceMs: 5_000, code: 'link-closed', reason: 'its link closed; it dials this member again' });
  });

  it('forgets the failure once the link is back, and ignores events of no configured peer and frame drops', () => {
    const events: [TransportEvent, number][] = [
      [{ type: 'socket-error', peer: 2, error: refused }, 2_000],
      [{ type: 'connected', peer: 2 }, 3_000],
      [{ type: 'drop', reason: 'peer-disconnected', peer: 3 }, 3_000],
      [{ type: 'drop', reason: 'handshake-unknown-member' }, 3_000],
      [{ type: 'socket-error', error: refused }, 3_000],
    ];
    expect(downAfter(events, [2])).to.deep.equal([neverLinked(0), neverLinked(3)]);
  });
});
