import { expect } from 'chai';
import { pendingReason, quorumShortfall, type FederationView, type MemberHeard, type MemberStatus } from '../../federation/api/client.ts';

const now = 1_800_000_000_000;
const status = (over: Partial<MemberStatus> = {}): MemberStatus => ({
  chainId: 'ab'.repeat(32),
  memberIndex: 0,
  height: 7,
  tipHash: 'cd'.repeat(32),
  mempool: 1,
  consensus: { height: 8, round: 0, started: true, startedMs: now - 50_000 },
  peersConnected: [1, 2, 3, 4],
  threshold: 4,
  members: [0, 1, 2, 3, 4].map((index) => ({ index, name: `member-${index}` })),
  bitcoin: { height: 400, mintingHalted: false, nodeError: null },
  ...over,
});
/** Member 0's view: 1 and 2 heard from just now, 3 and 4 last 46 s ago, every link still open. */
const heard: MemberHeard[] = [
  { index: 0, self: true, connected: true, lastSeenMs: null },
  { index: 1, self: false, connected: true, lastSeenMs: now - 300 },
  { index: 2, self: false, connected: true, lastSeenMs: now - 900 },
  { index: 3, self: false, connected: true, lastSeenMs: now - 46_200 },
  { index: 4, self: false, connected: true, lastSeenMs: now - 46_700 },
];
const twoStopped: FederationView = { members: heard, nowMs: now };
const tip = { height: 7, timeMs: String(now - 52_000) };

describe('why a transaction waiting in a mempool is not final', () => {
  it('says that two of five members stopped while their links stay open make no block, from what the member last heard of them, not that the next block holds it', () => {
    expect(pendingReason(status(), twoStopped, tip, 30_000, now)).to.equal(
      ": it waits in the member's mempool, and the chain has made no block for 52 s (since block 7): member 0 hears from only 3 of the 4 members (k of 5) a block needs: members 3 and 4, linked still, sent nothing for 5 s or more (stopped, hung, or cut off); blocks resume once enough of them answer (`strongbox status` shows which)",
    );
  });

  it('says so of members whose links are closed, as the member reaches them', () => {
    expect(pendingReason(status({ peersConnected: [1, 2] }), null, tip, 30_000, now)).to.equal(
      ": it waits in the member's mempool, and the chain has made no block for 52 s (since block 7): member 0 reaches only 3 of the 4 members (k of 5) a block needs; blocks resume once enough of them answer (`strongbox status` shows which)",
    );
  });

  it('counts no silence of a member deciding nothing, or from before the height started: an idle chain sends no votes', () => {
    expect(quorumShortfall(status({ consensus: { height: 8, round: 0, started: false, startedMs: null } }), twoStopped, now)).to.equal(null);
    // A height started 200 ms ago after an idle minute: no peer has had to send anything yet.
    const idleMinute: FederationView = { members: heard.map((member) => (member.self ? member : { ...member, lastSeenMs: now - 60_000 })), nowMs: now };
    expect(quorumShortfall(status({ consensus: { height: 8, round: 0, started: true, startedMs: now - 200 } }), idleMinute, now)).to.equal(null);
    // Five seconds into it, the two that still sent nothing are named, whatever the round.
    expect(quorumShortfall(status({ consensus: { height: 8, round: 0, started: true, startedMs: now - 5_000 } }), { ...idleMinute, members: idleMinute.members.map((member) => (member.index < 3 ? { ...member, lastSeenMs: now - 800 } : member)) }, now)).to.match(/: members 3 and 4, linked still, sent nothing for 5 s or more/);
    // A member that does not say when it started (an older release, or rebuilt at a restart): no guess.
    expect(quorumShortfall(status({ consensus: { height: 8, round: 2, started: true } }), twoStopped, now)).to.equal(null);
    expect(quorumShortfall(status({ consensus: { height: 8, round: 2, started: true, startedMs: null } }), twoStopped, now)).to.equal(null);
    // One silent member of five leaves the four a block needs.
    expect(quorumShortfall(status(), { members: heard.map((member) => (member.index === 4 ? { ...member, lastSeenMs: now - 100 } : member)), nowMs: now }, now)).to.equal(null);
  });

  it("judges silence by the member's clock, not the asker's, and says it the same way for as long as it lasts", () => {
    const allHeard: FederationView = { members: heard.map((member) => (member.self ? member : { ...member, lastSeenMs: now - 400 })), nowMs: now };
    // An asker whose clock is a minute ahead would otherwise find every member silent.
    expect(quorumShortfall(status(), allHeard, now + 60_000)).to.equal(null);
    // A member of an older release does not give its clock: the asker's is all there is.
    expect(quorumShortfall(status(), { members: allHeard.members }, now + 60_000)).to.match(/hears from only 1 of the 4 members/);
    // A progress line off a terminal writes a state once: its text must not count the seconds.
    const later: FederationView = { members: heard.map((member) => (member.index === 1 || member.index === 2 ? { ...member, lastSeenMs: member.lastSeenMs! + 20_000 } : member)), nowMs: now + 20_000 };
    expect(quorumShortfall(status(), later)).to.equal(quorumShortfall(status(), twoStopped));
  });

  it('says blocks were made without it when they were, and that none was when none was', () => {
    const recent = { height: 9, timeMs: String(now - 2_400) };
    expect(pendingReason(status({ height: 9 }), null, recent, 30_000, now)).to.equal(": it waits in the member's mempool; blocks were made meanwhile (the last, 9, 2 s ago) without it");
    expect(pendingReason(status(), null, tip, 30_000, now)).to.equal(": it waits in the member's mempool, and the chain has made no block for 52 s (since block 7)");
    expect(pendingReason(null, null, null, 30_000, now)).to.equal(": it waits in the member's mempool");
  });
});
