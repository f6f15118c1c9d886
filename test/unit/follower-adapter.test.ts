import { expect } from 'chai';
import type { Block } from 'bitcoinjs-lib';
import { ChainFollower, ChainSourceError, followerStartAt } from '../../watcher/follower/chain-follower.ts';
import { followerTip, type FollowerEffect, type FollowerState } from '../../watcher/follower/machine.ts';
import { parseFollowerState, serializeFollowerState } from '../../watcher/follower/state-codec.ts';
import { GENESIS_PARENT, SyntheticChain, SyntheticChainSource } from '../helpers/synthetic-chain.ts';

const DEPOSIT_SCRIPT = Uint8Array.from(Buffer.from(`0020${'cd'.repeat(32)}`, 'hex'));
const RECIPIENT = Uint8Array.from([0, ...new Uint8Array(32).fill(9)]);
const watched = new Map([[Buffer.from(DEPOSIT_SCRIPT).toString('hex'), RECIPIENT]]);
const CONFIRMATIONS = 3;

const confirmedTxids = (effects: FollowerEffect[]) =>
  effects.flatMap((effect) => (effect.type === 'confirmed' ? [effect.deposit.txid] : []));

async function setup(length: number, txs: Parameters<SyntheticChain['blocks']>[2] = []) {
  const chain = new SyntheticChain();
  const best = chain.blocks(GENESIS_PARENT, length, txs);
  const source = new SyntheticChainSource(best);
  const stored: string[] = [];
  const start = await followerStartAt(source, 0, { confirmations: CONFIRMATIONS });
  const follower = (state: FollowerState = start, batchSize?: number) =>
    new ChainFollower(source, state, {
      watched: () => watched,
      commit: async (state) => void stored.push(serializeFollowerState(state)),
      ...(batchSize ? { batchSize } : {}),
    });
  const deposit = (value = 50_000n) => chain.payment([{ script: DEPOSIT_SCRIPT, value }]);
  return { chain, best, source, stored, follower, deposit };
}

describe('chain follower adapter', () => {
  it('catches up in batches, committing each step, and confirms deposits at depth', async () => {
    const chain = new SyntheticChain();
    const tx = chain.payment([{ script: DEPOSIT_SCRIPT, value: 7n }]);
    const best = chain.blocks(GENESIS_PARENT, 12, [[], [], [], [], [tx]]);
    const source = new SyntheticChainSource(best);
    const commits: FollowerEffect[][] = [];
    const follower = new ChainFollower(source, await followerStartAt(source, 0, { confirmations: CONFIRMATIONS }), {
      watched: () => watched,
      commit: async (_state, effects) => void commits.push(effects),
      batchSize: 4,
    });
    const effects = await follower.sync();
    expect(followerTip(follower.state)).to.include({ height: 11, hash: best[11]!.getId() });
    expect(confirmedTxids(effects)).to.deep.equal([tx.getId()]);
    expect(commits.filter((step) => step.some((e) => e.type === 'connected')).map((step) => step.length)).to.deep.equal([4, 5, 3]);
    expect(await follower.sync()).to.deep.equal([]);
  });

  it('commits nothing while the node\'s tip stays where the follower is, so frequent polls write nothing', async () => {
    const { stored, follower } = await setup(5);
    const f = follower();
    await f.sync();
    const steps = stored.length;
    expect(steps).to.be.greaterThan(0);
    for (let poll = 0; poll < 3; poll++) expect(await f.sync()).to.deep.equal([]);
    expect(stored).to.have.length(steps);
  });

  it('walks back to the fork on a reorg, unconfirms, and confirms the re-mined deposit once', async () => {
    const { chain, best, source, follower, deposit } = await setup(5);
    const tx = deposit();
    best.push(chain.block(best[4]!.getId(), [tx]));
    const f = follower();
    await f.sync();
    source.best = [...best.slice(0, 5), ...chain.blocks(best[4]!.getId(), 2, [[], [tx]])];
    const reorg = await f.sync();
    expect(reorg.filter((e) => e.type !== 'behind').map((e) => e.type)).to.deep.equal(['disconnected', 'unconfirmed', 'connected', 'connected']);
    source.best.push(...chain.blocks(source.best[6]!.getId(), 4));
    const later = await f.sync();
    expect(confirmedTxids(later)).to.deep.equal([tx.getId()]);
    expect(f.state.halted).to.equal(false);
  });

  it('halts on a reorg deeper than the confirmation depth until resumed', async () => {
    const { chain, best, source, follower, deposit } = await setup(3);
    const tx = deposit();
    best.push(...chain.blocks(best[2]!.getId(), 4, [[tx]]));
    const f = follower();
    expect(confirmedTxids(await f.sync())).to.deep.equal([tx.getId()]);
    source.best = [...best.slice(0, 3), ...chain.blocks(best[2]!.getId(), 5)];
    const effects = await f.sync();
    const alert = effects.find((e) => e.type === 'deepReorg');
    expect(alert).to.deep.include({ depth: 4, forkHeight: 2 });
    expect(f.state.halted).to.equal(true);
    await f.resume();
    expect(f.state.halted).to.equal(false);
  });

  it('surfaces a failing source and finishes on retry without repeating a confirmation', async () => {
    const { chain, best, source, stored, follower, deposit } = await setup(2);
    const tx = deposit();
    best.push(...chain.blocks(best[1]!.getId(), 6, [[tx]]));
    const f = follower(undefined, 2);
    const effects: FollowerEffect[] = [];
    let failures = 0;
    for (let call = 0; ; call++) {
      source.failures = call < 4 ? 1 : 0;
      source.calls = 0;
      try {
        effects.push(...(await f.sync()));
        break;
      } catch (error) {
        failures++;
        expect((error as Error).message).to.equal('connection refused');
      }
    }
    expect(failures).to.equal(4);
    expect(followerTip(f.state).height).to.equal(7);
    expect(confirmedTxids(effects)).to.deep.equal([tx.getId()]);
    expect(parseFollowerState(stored[stored.length - 1]!)).to.deep.equal(f.state);
  });

  it('survives the source failing part-way through a batch, keeping the last committed step', async () => {
    const { best, source, follower } = await setup(10);
    const f = follower(undefined, 3);
    const original = source.getBlock.bind(source);
    let served = 0;
    source.getBlock = async (hash: string): Promise<Block> => {
      if (++served === 5) throw new Error('socket hang up');
      return original(hash);
    };
    await f.sync().then(() => expect.fail('sync hid the failure'), (error: Error) => expect(error.message).to.equal('socket hang up'));
    expect(followerTip(f.state).height).to.equal(3);
    await f.sync();
    expect(followerTip(f.state).hash).to.equal(best[9]!.getId());
  });

  it('keeps its state when committing a step fails', async () => {
    const { source } = await setup(4);
    const start = await followerStartAt(source, 0, { confirmations: CONFIRMATIONS });
    const f = new ChainFollower(source, start, { watched: () => watched, commit: async () => { throw new Error('database is down'); } });
    await f.sync().then(() => expect.fail('sync hid the failure'), (error: Error) => expect(error.message).to.equal('database is down'));
    expect(f.state).to.equal(start);
  });

  it('resumes from stored state after a restart', async () => {
    const { chain, best, stored, follower, deposit } = await setup(2);
    const tx = deposit();
    await follower().sync();
    best.push(...chain.blocks(best[1]!.getId(), 5, [[tx]]));
    const restarted = follower(parseFollowerState(stored[stored.length - 1]!));
    expect(confirmedTxids(await restarted.sync())).to.deep.equal([tx.getId()]);
    expect(followerTip(restarted.state).height).to.equal(6);
  });

  it('gives up with a typed error when the source keeps changing its chain mid-read', async () => {
    const { chain, best, source, follower } = await setup(1);
    const branches = [chain.blocks(best[0]!.getId(), 4), chain.blocks(best[0]!.getId(), 4)].map((branch) => [best[0]!, ...branch]);
    const f = follower();
    source.best = branches[0]!;
    let flips = 0;
    const original = source.getBlockHash.bind(source);
    source.getBlockHash = async (height: number) => {
      source.best = branches[flips++ % 2]!;
      return original(height);
    };
    source.getBlock = async (hash: string) => branches.flat().find((block) => block.getId() === hash)!;
    await f.sync().then(() => expect.fail('followed a chain that never held still'), (error: Error) => {
      expect(error).to.be.instanceOf(ChainSourceError);
      expect(error.message).to.match(/kept changing/);
    });
  });

  it('refuses a block that is not the one it asked for', async () => {
    const { best, source, follower } = await setup(3);
    source.getBlock = async () => best[0]!;
    await follower().sync().then(() => expect.fail('accepted the wrong block'), (error: Error) => expect(error).to.be.instanceOf(ChainSourceError));
  });
});
