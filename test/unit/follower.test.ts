import { expect } from 'chai';
import type { Block } from 'bitcoinjs-lib';
import { findDeposits, type Deposit } from '../../watcher/deposits.ts';
import { blockRefOf } from '../../watcher/follower/chain-follower.ts';
import {
  applyFollowerEvent,
  confirmationsAt,
  followerTip,
  initialFollowerState,
  type ConnectedBlock,
  type FollowerEffect,
  type FollowerState,
} from '../../watcher/follower/machine.ts';
import { parseFollowerState, serializeFollowerState } from '../../watcher/follower/state-codec.ts';
import { GENESIS_PARENT, SyntheticChain } from '../helpers/synthetic-chain.ts';

const DEPOSIT_SCRIPT = Uint8Array.from(Buffer.from(`0020${'ab'.repeat(32)}`, 'hex'));
const RECIPIENT = Uint8Array.from([0, ...new Uint8Array(32).fill(7)]);
const watched = new Map([[Buffer.from(DEPOSIT_SCRIPT).toString('hex'), RECIPIENT]]);
const CONFIRMATIONS = 3;

/** A chain of `length` blocks above a start block at height 100, and a follower positioned on the start. */
function setup(options: { keep?: number } = {}) {
  const chain = new SyntheticChain();
  const start = chain.block(GENESIS_PARENT);
  const state = initialFollowerState(blockRefOf(start, 100), { confirmations: CONFIRMATIONS, ...options });
  const deposit = (value = 100_000n) => chain.payment([{ script: DEPOSIT_SCRIPT, value }]);
  return { chain, start, state, deposit };
}

function connected(blocks: Block[], firstHeight: number): ConnectedBlock[] {
  return blocks.map((block, i) => ({ ...blockRefOf(block, firstHeight + i), deposits: findDeposits(block, firstHeight + i, watched) }));
}

/** Feeds blocks one event each, as a follower at the tip sees them; returns all effects. */
function feed(state: FollowerState, blocks: Block[], firstHeight: number): { state: FollowerState; effects: FollowerEffect[] } {
  const effects: FollowerEffect[] = [];
  for (const block of connected(blocks, firstHeight)) {
    const step = applyFollowerEvent(state, { type: 'connect', blocks: [block] });
    state = step.state;
    effects.push(...step.effects);
  }
  return { state, effects };
}

const ofType = <T extends FollowerEffect['type']>(effects: FollowerEffect[], type: T) =>
  effects.filter((effect): effect is Extract<FollowerEffect, { type: T }> => effect.type === type);

describe('chain follower machine', () => {
  it('confirms a deposit exactly when it reaches the confirmation depth, once', () => {
    const { chain, start, state, deposit } = setup();
    const tx = deposit(123_456n);
    const blocks = chain.blocks(start.getId(), 6, [[tx]]);
    let current = state;
    const confirmedAt: number[] = [];
    for (const [i, block] of blocks.entries()) {
      const step = feed(current, [block], 101 + i);
      current = step.state;
      if (ofType(step.effects, 'confirmed').length > 0) confirmedAt.push(101 + i);
      expect(ofType(step.effects, 'connected')).to.have.length(1);
    }
    expect(confirmedAt).to.deep.equal([101 + CONFIRMATIONS - 1]);
    const all = feed(state, blocks, 101).effects;
    const [confirmed] = ofType(all, 'confirmed');
    expect(confirmed!.confirmations).to.equal(CONFIRMATIONS);
    expect(confirmed!.deposit).to.include({ txid: tx.getId(), vout: 0, amountSats: 123_456n, height: 101, blockHash: blocks[0]!.getId() });
    expect(followerTip(current).height).to.equal(106);
    expect(confirmationsAt(current, 101)).to.equal(6);
  });

  it('reports a one-block reorg before depth as unconfirmed, then confirms the re-mined deposit once', () => {
    const { chain, start, state, deposit } = setup();
    const tx = deposit();
    const [a1] = chain.blocks(start.getId(), 1, [[tx]]);
    let current = feed(state, [a1!], 101).state;
    const [b1, b2, b3] = chain.blocks(start.getId(), 3, [[], [tx]]);
    const reorg = applyFollowerEvent(current, { type: 'connect', blocks: connected([b1!, b2!], 101) });
    expect(reorg.effects.map((e) => e.type)).to.deep.equal(['disconnected', 'unconfirmed', 'connected', 'connected']);
    expect(ofType(reorg.effects, 'unconfirmed')[0]!.deposit.blockHash).to.equal(a1!.getId());
    current = reorg.state;
    const rest = feed(current, [b3!], 103);
    expect(ofType(rest.effects, 'confirmed')).to.have.length(0);
    const more = feed(rest.state, chain.blocks(b3!.getId(), 3), 104);
    const confirmed = ofType(more.effects, 'confirmed');
    expect(confirmed).to.have.length(1);
    expect(confirmed[0]!.deposit).to.include({ height: 102, blockHash: b2!.getId() });
    expect(more.state.halted).to.equal(false);
  });

  it('handles a multi-block reorg below depth fed as one branch', () => {
    const { chain, start, state, deposit } = setup();
    const tx = deposit();
    const a = chain.blocks(start.getId(), 2, [[], [tx]]);
    const before = feed(state, a, 101).state;
    const b = chain.blocks(a[0]!.getId(), 3);
    const step = applyFollowerEvent(before, { type: 'connect', blocks: connected(b, 102) });
    expect(step.effects.map((e) => e.type)).to.deep.equal(['disconnected', 'unconfirmed', 'connected', 'connected', 'connected']);
    expect(ofType(step.effects, 'disconnected')[0]!.block.hash).to.equal(a[1]!.getId());
    expect(step.state.halted).to.equal(false);
    expect(followerTip(step.state).hash).to.equal(b[2]!.getId());
  });

  it('alerts and halts on a reorg reaching the confirmation depth, withholding confirmations until resumed', () => {
    const { chain, start, state, deposit } = setup();
    const early = deposit(5n);
    const a = chain.blocks(start.getId(), 4, [[early]]);
    const before = feed(state, a, 101);
    expect(ofType(before.effects, 'confirmed')).to.have.length(1);

    const late = deposit(9n);
    const b = chain.blocks(start.getId(), 5, [[], [late]]);
    const step = applyFollowerEvent(before.state, { type: 'connect', blocks: connected(b, 101) });
    const [alert] = ofType(step.effects, 'deepReorg');
    expect(step.effects[0]!.type).to.equal('deepReorg');
    expect(alert).to.deep.include({ depth: 4, forkHeight: 100 });
    expect(alert!.revoked.map((d) => d.txid)).to.deep.equal([early.getId()]);
    expect(ofType(step.effects, 'disconnected')).to.have.length(4);
    expect(step.state.halted).to.equal(true);
    expect(step.state.deepReorg?.depth).to.equal(4);
    expect(ofType(step.effects, 'confirmed')).to.have.length(0);

    const resumed = applyFollowerEvent(step.state, { type: 'resume' });
    expect(resumed.state.halted).to.equal(false);
    expect(resumed.state.deepReorg).to.equal(null);
    const confirmed = ofType(resumed.effects, 'confirmed');
    expect(confirmed.map((c) => [c.deposit.txid, c.confirmations])).to.deep.equal([[late.getId(), 4]]);
    expect(ofType(feed(resumed.state, chain.blocks(b[4]!.getId(), 2), 106).effects, 'confirmed')).to.have.length(0);
  });

  it('treats a fork below every remembered block as a deep reorg of unknown depth', () => {
    const { chain, start, state } = setup({ keep: CONFIRMATIONS });
    const a = chain.blocks(start.getId(), 8);
    const before = feed(state, a, 101).state;
    expect(before.chain).to.have.length(CONFIRMATIONS);
    const other = chain.blocks(GENESIS_PARENT, 10);
    const step = applyFollowerEvent(before, { type: 'connect', blocks: connected(other.slice(5), 105) });
    expect(ofType(step.effects, 'deepReorg')[0]).to.deep.include({ depth: null, forkHeight: null });
    expect(ofType(step.effects, 'disconnected')).to.have.length(CONFIRMATIONS);
    expect(step.state.halted).to.equal(true);
    expect(followerTip(step.state).hash).to.equal(other[9]!.getId());
  });

  it('forgets settled blocks beyond the kept depth', () => {
    const { chain, start, state } = setup({ keep: 5 });
    const after = feed(state, chain.blocks(start.getId(), 20), 101).state;
    expect(after.chain.map((entry) => entry.height)).to.deep.equal([116, 117, 118, 119, 120]);
  });

  describe('duplicate and out-of-order input', () => {
    it('ignores a block it already holds, and drops held blocks from an overlapping batch', () => {
      const { chain, start, state } = setup();
      const a = chain.blocks(start.getId(), 3);
      const two = feed(state, a.slice(0, 2), 101).state;
      const again = applyFollowerEvent(two, { type: 'connect', blocks: connected([a[1]!], 102) });
      expect(again.effects).to.deep.equal([{ type: 'ignored', reason: 'duplicate', height: 102, hash: a[1]!.getId() }]);
      expect(again.state).to.deep.equal(two);
      const overlap = applyFollowerEvent(two, { type: 'connect', blocks: connected(a, 101) });
      expect(overlap.effects.map((e) => e.type)).to.deep.equal(['connected']);
    });

    it('ignores a block beyond the tip (a gap) and one whose parent it does not hold', () => {
      const { chain, start, state } = setup();
      const a = chain.blocks(start.getId(), 3);
      expect(applyFollowerEvent(state, { type: 'connect', blocks: connected([a[2]!], 103) }).effects[0]).to.include({ type: 'ignored', reason: 'gap' });
      const one = feed(state, [a[0]!], 101).state;
      const stranger = chain.block(GENESIS_PARENT);
      expect(applyFollowerEvent(one, { type: 'connect', blocks: connected([stranger], 102) }).effects[0]).to.include({ type: 'ignored', reason: 'unlinked' });
      expect(applyFollowerEvent(one, { type: 'connect', blocks: connected([a[0]!, a[2]!], 101) }).effects[0]).to.include({ type: 'ignored', reason: 'unlinked' });
    });

    it('ignores a late orphan that would shorten the chain, unless the node reports it as its tip', () => {
      const { chain, start, state } = setup();
      const a = chain.blocks(start.getId(), 3);
      const three = feed(state, a, 101).state;
      const orphan = connected([chain.block(a[0]!.getId())], 102);
      const late = applyFollowerEvent(three, { type: 'connect', blocks: orphan });
      expect(late.effects).to.deep.equal([{ type: 'ignored', reason: 'stale', height: 102, hash: orphan[0]!.hash }]);
      const reported = applyFollowerEvent(three, { type: 'tip', height: 102, hash: orphan[0]!.hash });
      expect(reported.effects).to.deep.equal([{ type: 'behind', height: 102, hash: orphan[0]!.hash }]);
      const switched = applyFollowerEvent(reported.state, { type: 'connect', blocks: orphan });
      expect(switched.effects.map((e) => e.type)).to.deep.equal(['disconnected', 'disconnected', 'connected']);
    });

    it('treats a tip report of a block it has passed as stale and of its own tip as nothing new', () => {
      const { chain, start, state } = setup();
      const a = chain.blocks(start.getId(), 2);
      const two = feed(state, a, 101).state;
      expect(applyFollowerEvent(two, { type: 'tip', height: 101, hash: a[0]!.getId() }).effects[0]).to.include({ type: 'ignored', reason: 'stale' });
      expect(applyFollowerEvent(two, { type: 'tip', height: 102, hash: a[1]!.getId() }).effects).to.deep.equal([]);
    });
  });

  describe('claims', () => {
    /** Blocks read before the deposit address was watched: its payment is in none of their deposits. */
    const unwatched = (blocks: Block[], firstHeight: number) => connected(blocks, firstHeight).map((block) => ({ ...block, deposits: [] }));
    const claimOf = (block: Block, height: number) => findDeposits(block, height, watched)[0]!;
    const claim = (state: FollowerState, deposit: Deposit) => applyFollowerEvent(state, { type: 'claim', deposit });

    it('follows a claimed deposit of a block already read to the depth and confirms it there once, however often claimed, across a restart', () => {
      const { chain, start, state, deposit } = setup();
      const blocks = chain.blocks(start.getId(), 4, [[deposit(40_000n)]]);
      const read = applyFollowerEvent(state, { type: 'connect', blocks: unwatched(blocks.slice(0, 1), 101) }).state;
      const claimed = claim(read, claimOf(blocks[0]!, 101));
      expect(claimed.effects, 'nothing confirmed below the depth').to.deep.equal([]);
      expect(claimed.state.chain.at(-1)!.deposits).to.deep.equal([claimOf(blocks[0]!, 101)]);
      expect(claim(claimed.state, claimOf(blocks[0]!, 101)), 'claimed twice').to.deep.equal({ state: claimed.state, effects: [] });

      const restored = parseFollowerState(serializeFollowerState(claimed.state));
      const first = feed(restored, blocks.slice(1, 2), 102);
      expect(ofType(first.effects, 'confirmed')).to.deep.equal([]);
      const deep = feed(first.state, blocks.slice(2), 103);
      expect(ofType(deep.effects, 'confirmed').map((c) => [c.deposit, c.confirmations])).to.deep.equal([[claimOf(blocks[0]!, 101), CONFIRMATIONS]]);
      expect(claim(deep.state, claimOf(blocks[0]!, 101)).effects, 'claimed again at the depth').to.deep.equal([]);
    });

    it('revokes a claimed deposit whose block a reorg removes, and never confirms it on a branch without it', () => {
      const { chain, start, state, deposit } = setup();
      const [a1] = chain.blocks(start.getId(), 1, [[deposit()]]);
      const read = applyFollowerEvent(state, { type: 'connect', blocks: unwatched([a1!], 101) }).state;
      const claimed = claim(read, claimOf(a1!, 101)).state;
      const b = chain.blocks(start.getId(), 5);
      const reorg = applyFollowerEvent(claimed, { type: 'connect', blocks: connected(b, 101) });
      expect(ofType(reorg.effects, 'unconfirmed').map((u) => u.deposit)).to.deep.equal([claimOf(a1!, 101)]);
      expect(ofType(reorg.effects, 'confirmed')).to.deep.equal([]);
      expect(reorg.state.halted).to.equal(false);
      expect(claim(reorg.state, claimOf(a1!, 101)), 'claimed again, of the removed block').to.deep.equal({ state: reorg.state, effects: [] });
    });

    it('confirms at once a claim of a block at the depth or below every block remembered; leaves one of a block not read yet, or any while halted', () => {
      const { chain, start, state, deposit } = setup();
      const blocks = chain.blocks(start.getId(), 4, [[deposit()]]);
      const read = applyFollowerEvent(state, { type: 'connect', blocks: unwatched(blocks.slice(0, 3), 101) }).state;
      const deep = claim(read, claimOf(blocks[0]!, 101));
      expect(ofType(deep.effects, 'confirmed').map((c) => [c.deposit, c.confirmations])).to.deep.equal([[claimOf(blocks[0]!, 101), CONFIRMATIONS]]);
      const unread = { ...claimOf(blocks[0]!, 101), blockHash: blocks[3]!.getId(), height: 104 };
      expect(claim(read, unread), 'a block not read yet').to.deep.equal({ state: read, effects: [] });
      const old = { ...claimOf(blocks[0]!, 101), blockHash: 'cd'.repeat(32), height: 60 };
      expect(ofType(claim(read, old).effects, 'confirmed').map((c) => c.confirmations)).to.deep.equal([44]);
      const halted = { ...read, halted: true };
      expect(claim(halted, claimOf(blocks[0]!, 101)), 'while halted').to.deep.equal({ state: halted, effects: [] });
    });
  });

  describe('persisted state', () => {
    it('resumes after a restart exactly as if it had never stopped', () => {
      const { chain, start, state, deposit } = setup();
      const blocks = chain.blocks(start.getId(), 6, [[deposit(1n)], [deposit(2n)], [], [deposit(3n)]]);
      const straight = feed(state, blocks, 101);
      const half = feed(state, blocks.slice(0, 2), 101);
      const stored = serializeFollowerState(half.state);
      expect(stored).to.not.match(/\d+n/);
      const restored = parseFollowerState(stored);
      expect(restored).to.deep.equal(half.state);
      const rest = feed(restored, blocks.slice(2), 103);
      expect([...half.effects, ...rest.effects]).to.deep.equal(straight.effects);
      expect(rest.state).to.deep.equal(straight.state);
    });

    it('keeps a halt across a restart', () => {
      const { chain, start, state } = setup();
      const before = feed(state, chain.blocks(start.getId(), 3), 101).state;
      const halted = applyFollowerEvent(before, { type: 'connect', blocks: connected(chain.blocks(start.getId(), 4), 101) }).state;
      const restored = parseFollowerState(serializeFollowerState(halted));
      expect(restored.halted).to.equal(true);
      expect(restored.deepReorg).to.deep.equal(halted.deepReorg);
    });

    it('refuses a corrupted record with a clear error', () => {
      const { chain, start, state, deposit } = setup();
      const stored = JSON.parse(serializeFollowerState(feed(state, chain.blocks(start.getId(), 2, [[deposit()]]), 101).state)) as {
        chain: { prevHash: string; deposits: { amountSats: string }[] }[];
      };
      expect(() => parseFollowerState('{')).to.throw('not JSON');
      const badAmount = structuredClone(stored);
      badAmount.chain[1]!.deposits[0]!.amountSats = '1.5';
      expect(() => parseFollowerState(JSON.stringify(badAmount))).to.throw('chain.1.deposits.0.amountSats');
      const unlinked = structuredClone(stored);
      unlinked.chain[2]!.prevHash = 'ff'.repeat(32);
      expect(() => parseFollowerState(JSON.stringify(unlinked))).to.throw('block 102 does not link');
    });
  });

  it('refuses settings that could miss a reorg', () => {
    const start = blockRefOf(new SyntheticChain().block(GENESIS_PARENT), 0);
    expect(() => initialFollowerState(start, { confirmations: 0 })).to.throw('confirmations must be a positive integer');
    expect(() => initialFollowerState(start, { confirmations: 6, keep: 5 })).to.throw('keep must be an integer of at least');
  });
});
