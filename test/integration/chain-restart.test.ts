import { expect } from 'chai';
import pg from 'pg';
import { ChainStore } from '../../sidechain/store/chain-store.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import { Chain, DEFAULT_CHAIN_OPTIONS } from '../../federation/member/chain.ts';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { testFederation } from '../helpers/genesis.ts';
import { issuance, testWallet, transfer } from '../helpers/transactions.ts';
import { appendFinalBlock } from '../helpers/final-blocks.ts';

const options = { ...DEFAULT_CHAIN_OPTIONS, now: () => BigInt(Date.now()) };

function snapshot(chain: Chain) {
  const { ledger } = chain;
  return {
    tip: chain.tip,
    utxos: [...ledger.utxos.entries()].sort(([a], [b]) => a.localeCompare(b)),
    assets: [...ledger.assets.entries()].sort(([a], [b]) => a.localeCompare(b)),
    minted: [...ledger.minted].sort(),
    supply: ledger.supply(),
  };
}

describe('member chain on Postgres across a restart', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  beforeEach(async () => {
    db = await freshDatabase('chain');
  });
  afterEach(() => db.drop());

  it('rebuilds exactly the same ledger, tip and balances from the store', async () => {
    const federation = testFederation(5);
    const store = new ChainStore(db.pool);
    await store.migrate();
    const chain = await Chain.open(federation.genesis, store, options);
    const alice = testWallet();
    const bob = testWallet();
    const { tx: issue, asset } = issuance(federation.genesis.chainId, alice, 1_000n);
    await appendFinalBlock(chain, federation, [issue]);
    const pay = transfer(federation.genesis.chainId, alice, { txid: txId(issue), index: 0, amount: 1_000n }, asset, bob.owner, 300n);
    await appendFinalBlock(chain, federation, [pay]);
    const before = snapshot(chain);

    const reopenedPool = new pg.Pool({ connectionString: db.url });
    try {
      const reopened = await Chain.open(federation.genesis, new ChainStore(reopenedPool), options);
      expect(snapshot(reopened)).to.deep.equal(before);
      expect(reopened.tip.height).to.equal(2);
      const balances = await new ChainStore(reopenedPool).balances(bob.owner);
      expect(balances.map((b) => b.amount)).to.deep.equal([300n]);
    } finally {
      await reopenedPool.end();
    }
  });

  it('refuses a block whose certificate is short of k signatures, and nothing is stored', async () => {
    const federation = testFederation(5);
    const store = new ChainStore(db.pool);
    await store.migrate();
    const chain = await Chain.open(federation.genesis, store, options);
    const { tx } = issuance(federation.genesis.chainId, testWallet(), 5n);
    // The helper signs with as many members as the threshold it is given: three, one short.
    const threeSigners = { ...federation, genesis: { ...federation.genesis, members: { ...federation.genesis.members, threshold: 3 } } };
    const error = await appendFinalBlock(chain, threeSigners, [tx]).then(() => null, (e: Error) => e);
    expect(error?.message).to.match(/3 signatures, 4 required/);
    expect(await store.tipHeight()).to.equal(0);
    expect(chain.tip.height).to.equal(0);
  });
});
