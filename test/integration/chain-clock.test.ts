import { expect } from 'chai';
import { blockHash } from '../../sidechain/block-header.ts';
import { decodeBlock } from '../../sidechain/block.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { chainFixture, type ChainFixture } from '../helpers/chain-fixture.ts';
import { paymentChain } from '../helpers/payment-chain.ts';

/**
 * How far a block's time may lead a member's clock is a rule of voting (PROTOCOL.md, Part II §4):
 * a member does not vote for a proposal dated too far ahead of it. A block k members certified is
 * final whatever a member's clock reads, and a member whose clock is slow must follow the chain at
 * once rather than refuse every block its peers made until its clock catches up.
 */
describe("a member's clock bounds the blocks it votes for, not the final blocks it appends (real Postgres)", function () {
  this.timeout(120_000);
  const { chain: signed } = paymentChain(2);
  let fixture: ChainFixture;
  beforeEach(async () => {
    fixture = await chainFixture('chainclock');
  });
  afterEach(() => fixture?.drop());

  it('refuses to vote for a block dated beyond its drift ahead of its clock, yet appends the same block once certified, and the next', async () => {
    // This member's clock reads a minute before the first block's time.
    const firstTimeMs = decodeBlock(signed.blocks[0]!.block).header.timeMs;
    const chain = await fixture.open(signed.federation.genesis, { now: () => firstTimeMs - 60_000n, maxClockDriftMs: 10_000 });
    const proposal = decodeBlock(signed.blocks[0]!.block);
    expect(() => chain.checkBlock(1, blockHash(proposal.header), proposal))
      .to.throw(ValidationError, "is ahead of this member's clock by more than 10000 ms");
    for (const [index, { block, commit }] of signed.blocks.entries()) {
      expect((await chain.applyFinalBlock(block, commit)).header.height, `final block ${index + 1}`).to.equal(index + 1);
    }
    expect(chain.tip.height).to.equal(2);
  });
});
