import { expect } from 'chai';
import { decodeBlock } from '../../sidechain/block.ts';
import { encodeCommit } from '../../sidechain/commit.ts';
import { signatureWork, type SignatureWork } from '../../sidechain/ed25519.ts';
import { decodeTransaction, encodeTransaction } from '../../sidechain/transaction/codec.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import type { Transaction, TransferBody } from '../../sidechain/transaction/types.ts';
import type { Chain } from '../../federation/member/chain.ts';
import { chainFixture, type ChainFixture } from '../helpers/chain-fixture.ts';
import { testFederation, type TestFederation } from '../helpers/genesis.ts';
import { appendFinalBlock } from '../helpers/final-blocks.ts';
import { quorum, signCommit } from '../helpers/signed-blocks.ts';
import { issuance, testWallet } from '../helpers/transactions.ts';

const TRANSFERS = 20;

/** The signature work done since `before`. */
function since(before: SignatureWork): SignatureWork {
  const now = signatureWork();
  return {
    verified: now.verified - before.verified,
    verifiedInBackground: now.verifiedInBackground - before.verifiedInBackground,
    cacheHits: now.cacheHits - before.cacheHits,
    cacheMisses: now.cacheMisses - before.cacheMisses,
  };
}

/** Three members' chains holding an issuance split into TRANSFERS coins, and one transfer of each coin, signed and not yet submitted. */
async function membersWithCoins(fixtures: ChainFixture[], federation: TestFederation): Promise<{ chains: Chain[]; transfers: Transaction[] }> {
  const chainId = federation.genesis.chainId;
  const alice = testWallet();
  const bob = testWallet();
  const { tx: issue, asset } = issuance(chainId, alice, BigInt(TRANSFERS) * 10n);
  const splitBody: TransferBody = { kind: 'transfer', inputs: [{ txid: txId(issue), index: 0 }], outputs: Array.from({ length: TRANSFERS }, () => ({ owner: alice.owner, asset, amount: 10n })) };
  const split = { ...splitBody, witnesses: [keyWitness(chainId, splitBody, alice.keys.seed)] };
  const chains = await Promise.all(fixtures.map((fixture) => fixture.open(federation.genesis)));
  for (const chain of chains) {
    await appendFinalBlock(chain, federation, [issue]);
    await appendFinalBlock(chain, federation, [split]);
  }
  const transfers = Array.from({ length: TRANSFERS }, (_, index) => {
    const body: TransferBody = { kind: 'transfer', inputs: [{ txid: txId(split), index }], outputs: [{ owner: bob.owner, asset, amount: 6n }, { owner: alice.owner, asset, amount: 4n }] };
    return { ...body, witnesses: [keyWitness(chainId, body, alice.keys.seed)] } as Transaction;
  });
  return { chains, transfers };
}

describe('signatures a member verifies per transfer, on Postgres', function () {
  this.timeout(60_000);
  let fixtures: ChainFixture[];
  beforeEach(async () => {
    fixtures = await Promise.all([chainFixture('sigs'), chainFixture('sigs'), chainFixture('sigs')]);
  });
  afterEach(() => Promise.all(fixtures.map((fixture) => fixture.drop())));

  it('verifies a transfer once, when it is admitted: building, checking, storing and applying its block, and the mempool after it, verify none and look none up', async () => {
    const federation = testFederation(5);
    const { chains, transfers } = await membersWithCoins(fixtures, federation);
    const [proposer, other, behind] = chains as [Chain, Chain, Chain];

    // The members share this process and so its signature cache: the proposer's admission
    // verifies each transfer, the other member's admission of a relayed copy (its own bytes,
    // decoded) finds it there, as a member process finds what it verified itself.
    const admitting = signatureWork();
    for (const tx of transfers) {
      proposer.submit(tx);
      other.submit(decodeTransaction(encodeTransaction(tx)));
    }
    expect(since(admitting)).to.deep.equal({ verified: TRANSFERS, verifiedInBackground: 0, cacheHits: TRANSFERS, cacheMisses: TRANSFERS });

    const deciding = signatureWork();
    const height = proposer.tip.height + 1;
    const { hash, bytes } = proposer.buildBlock(height, 0);
    other.checkBlock(height, hash, other.decodeBlock(bytes));
    expect(decodeBlock(bytes).transactions).to.have.length(TRANSFERS);
    expect(since(deciding)).to.deep.equal({ verified: 0, verifiedInBackground: 0, cacheHits: 0, cacheMisses: 0 });

    // The certificate's signatures are the members' votes, which a member has verified (or made)
    // before; the helper signs them apart from any vote, so they are verified here, once.
    const committing = signatureWork();
    const commit = signCommit(decodeBlock(bytes).header, quorum(federation));
    await proposer.commitBlock(hash, bytes, commit);
    await other.commitBlock(hash, bytes, commit);
    const threshold = federation.genesis.members.threshold;
    expect(since(committing)).to.deep.equal({ verified: threshold, verifiedInBackground: 0, cacheHits: threshold, cacheMisses: threshold });
    expect(proposer.mempool.count).to.equal(0);
    expect(other.mempool.count).to.equal(0);

    // A member that holds none of the transfers (catching up) decodes its own copies: the
    // warm-up ahead of the block looks each signature up, and so does executing the block.
    const catchingUp = signatureWork();
    await behind.applyFinalBlock(bytes, encodeCommit(commit));
    expect(since(catchingUp)).to.deep.equal({ verified: 0, verifiedInBackground: 0, cacheHits: 2 * TRANSFERS + threshold, cacheMisses: 0 });
    expect(behind.tip).to.deep.equal(proposer.tip);
  });
});
