import { expect } from 'chai';
import { decodeBlock } from '../../sidechain/block.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import type { ChainOptions } from '../../federation/member/chain.ts';
import { split } from '../../bench/federation.ts';
import { chainFixture, type ChainFixture } from '../helpers/chain-fixture.ts';
import { testFederation } from '../helpers/genesis.ts';
import { appendFinalBlock } from '../helpers/final-blocks.ts';
import { quorum, signCommit } from '../helpers/signed-blocks.ts';
import { issuance, testWallet } from '../helpers/transactions.ts';

describe('a member bounds its mempool and the blocks it proposes by outputs and by build time', function () {
  this.timeout(120_000);
  let fixture: ChainFixture;
  beforeEach(async () => {
    fixture = await chainFixture('chain_limits');
  });
  afterEach(() => fixture.drop());

  /** A chain whose alice holds three final coins of 1,000, opened with `options`; `open` opens another on its store. */
  const chainWithThreeCoins = async (options: Partial<ChainOptions>) => {
    const federation = testFederation(5);
    const chainId = federation.genesis.chainId;
    const open = (opened: Partial<ChainOptions>) => fixture.open(federation.genesis, opened);
    const chain = await open(options);
    const alice = testWallet();
    const { tx: issue, asset } = issuance(chainId, alice, 3_000n);
    const coins = split(chainId, alice, { txid: txId(issue), index: 0 }, asset, 3, 1_000n, 0n);
    await appendFinalBlock(chain, federation, [issue]);
    await appendFinalBlock(chain, federation, [coins]);
    return { federation, chainId, chain, alice, asset, coins, open };
  };

  it('refuses a transaction past the mempool bound, proposes a block that stops at the block bound, and admits again once it is final', async () => {
    const { federation, chainId, chain, alice, asset, coins } = await chainWithThreeCoins({ maxBlockOutputs: 1_500, mempoolMaxOutputs: 2_000 });
    // 800 outputs each: two fill the mempool's 2,000 but not a third; one fills a block's 1,500 but not two.
    const fans = [0, 1, 2].map((index) => split(chainId, alice, { txid: txId(coins), index }, asset, 799, 1n, 201n));

    chain.submit(fans[0]!);
    chain.submit(fans[1]!);
    expect(() => chain.submit(fans[2]!)).to.throw(ValidationError).with.property('code', 'mempool-full');
    expect([chain.mempool.count, chain.mempool.outputCount]).to.deep.equal([2, 1_600]);

    const { hash, bytes } = chain.buildBlock(3, 0);
    const block = decodeBlock(bytes);
    expect(block.transactions.map((tx) => txId(tx))).to.deep.equal([txId(fans[0]!)]);
    await chain.commitBlock(hash, bytes, signCommit(block.header, quorum(federation)));

    expect(chain.mempool.outputCount).to.equal(800);
    chain.submit(fans[2]!);
    expect(decodeBlock(chain.buildBlock(4, 1).bytes).transactions.map((tx) => txId(tx))).to.deep.equal([txId(fans[1]!)]);
  });

  it('ends a proposed block at its build time with the transactions already run, the federation’s and one user transaction at least, and proposes the rest next', async () => {
    // No time at all to build: a build stops after the first user transaction.
    const { federation, chainId, chain, alice, asset, coins, open } = await chainWithThreeCoins({ maxBlockBuildMs: 0 });
    const spends = [0, 1, 2].map((index) => split(chainId, alice, { txid: txId(coins), index }, asset, 2, 500n, 0n));
    for (const spend of spends) chain.submit(spend);
    const ids = (block: { bytes: Uint8Array }) => decodeBlock(block.bytes).transactions.map((tx) => txId(tx));

    const first = chain.buildBlock(3, 0);
    expect(ids(first)).to.deep.equal([txId(spends[0]!)]);
    // The federation's own transactions always go in, first, with one user transaction after them.
    const { tx: reserved } = issuance(chainId, testWallet(), 7n);
    expect(ids(chain.buildBlock(3, 0, [reserved]))).to.deep.equal([txId(reserved), txId(spends[0]!)]);
    const block = decodeBlock(first.bytes);
    await chain.commitBlock(first.hash, first.bytes, signCommit(block.header, quorum(federation)));
    expect(ids(chain.buildBlock(4, 1))).to.deep.equal([txId(spends[1]!)]);

    // With a minute, the rest goes in one block.
    const reopened = await open({ maxBlockBuildMs: 60_000 });
    for (const spend of spends.slice(1)) reopened.submit(spend);
    expect(ids(reopened.buildBlock(4, 1))).to.deep.equal(spends.slice(1).map((spend) => txId(spend)));
  });
});
