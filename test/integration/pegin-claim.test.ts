import { expect } from 'chai';
import { Pegin, PeginError } from '../../federation/member/pegin.ts';
import { PeginStore } from '../../federation/member/pegin-store.ts';
import { LedgerState } from '../../sidechain/ledger/index.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { capturedLog } from '../helpers/captured-log.ts';
import { testFederation } from '../helpers/genesis.ts';
import { testKey } from '../helpers/ledger-fixtures.ts';
import type { TestDatabase } from '../helpers/postgres.ts';
import { chainFixture } from '../helpers/chain-fixture.ts';
import { sharedRegtest } from '../helpers/regtest.ts';

/**
 * A claim of a deposit in a Bitcoin block the member read before its address was watched, made
 * before the deposit has its confirmations: remembered in the member's database and minted at
 * the depth, as a watched deposit is, across a restart, once.
 */
describe('a peg-in claim made before the deposit is deep enough', function () {
  this.timeout(60_000);
  const { genesis } = testFederation(5, 4);
  let db: TestDatabase;
  let store: PeginStore;

  beforeEach(async () => {
    ({ db } = await chainFixture('pegin_claim'));
    store = new PeginStore(db.pool);
  });
  afterEach(async () => {
    await db?.drop();
  });

  const outpoints = (mints: Transaction[]) => mints.map((tx) => (tx.kind === 'pegin' ? `${Buffer.from(tx.bitcoinTxid).toString('hex')}:${tx.bitcoinVout}:${tx.amount}` : tx.kind));

  /** A member that has read the block paying an address nobody registered with it. */
  async function paidBeforeRegistered(recipient: Uint8Array, amountSats: bigint) {
    const { node, faucet } = await sharedRegtest();
    const pegin = await Pegin.start(genesis, node.rpc, store, capturedLog().log);
    const txid = await faucet.fund(pegin.depositAddress(recipient).address, amountSats);
    await faucet.mine(1);
    await pegin.poll();
    const vout = (await node.rpc.getRawTransaction(txid)).outs.findIndex((out) => BigInt(out.value) === amountSats);
    return { node, faucet, pegin, txid, vout };
  }

  it('mints an early claim at the depth after the member restarts, once however often it is claimed', async () => {
    const recipient = testKey(5).owner;
    const { node, faucet, pegin, txid, vout } = await paidBeforeRegistered(recipient, 400_000n);
    const ledger = new LedgerState();
    // Registered after the member read its block, the payment is not followed: it takes a claim.
    await pegin.register(recipient);
    expect((await pegin.depositStatus(txid, ledger)).map((d) => d.claimNeeded)).to.deep.equal([true]);

    expect(await pegin.claim(txid, vout, recipient, ledger)).to.deep.equal({ confirmations: 1, required: 2, minted: false });
    expect(await pegin.mintsToPropose(ledger), 'nothing minted below the depth').to.deep.equal([]);
    expect((await pegin.depositStatus(txid, ledger)).map((d) => [d.confirmations, d.claimNeeded])).to.deep.equal([[1, false]]);

    // The member restarts before the deposit is deep enough: its database remembers the claim.
    const restarted = await Pegin.start(genesis, node.rpc, store, capturedLog().log);
    await faucet.mine(1);
    await restarted.poll();
    expect(outpoints(await restarted.mintsToPropose(ledger))).to.deep.equal([`${txid}:${vout}:400000`]);

    // Claimed again, to this member or after the deposit is deep: still one mint.
    expect(await restarted.claim(txid, vout, recipient, ledger)).to.deep.equal({ confirmations: 2, required: 2, minted: false });
    expect(outpoints(await restarted.mintsToPropose(ledger))).to.deep.equal([`${txid}:${vout}:400000`]);
  });

  it('refuses at once, remembering nothing, a claim of an output that does not pay the named recipient', async () => {
    const recipient = testKey(6).owner;
    const { pegin, txid, vout } = await paidBeforeRegistered(recipient, 300_000n);
    const other = testKey(7).owner;
    const refused = await pegin.claim(txid, vout, other, new LedgerState()).catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(PeginError);
    expect((refused as PeginError).message).to.equal(`mint of ${txid}:${vout}: the output does not pay the recipient's deposit address`);
    expect((await store.registrations()).size).to.equal(0);
    expect(await store.followerState()).to.not.include(txid);
  });
});
