import { txId } from '../../sidechain/transaction/ids.ts';
import { testFederation } from './genesis.ts';
import { SignedChain } from './signed-blocks.ts';
import { issuance, testWallet, transfer, type TestWallet } from './transactions.ts';

/** A chain of payments and what a test needs to forge one of them. */
export interface PaymentChain {
  chain: SignedChain;
  alice: TestWallet;
  bob: TestWallet;
  asset: Uint8Array;
}

/**
 * A chain of `length` final blocks signed by 4 of 5 members: block 1 issues a share to alice,
 * and every later block holds one signed transfer in which alice pays bob one unit from the
 * change of the block before, so each block spends an output the previous one created. Built
 * without verifying anything, so no signature is in a cache when it is audited.
 */
export function paymentChain(length: number): PaymentChain {
  const federation = testFederation(5);
  const chainId = federation.genesis.chainId;
  const alice = testWallet();
  const bob = testWallet();
  const chain = new SignedChain(federation);
  const supply = BigInt(length) * 10n;
  const { tx: issue, asset } = issuance(chainId, alice, supply);
  chain.append([issue]);
  let coin = { txid: txId(issue), index: 0, amount: supply };
  while (chain.blocks.length < length) {
    const pay = transfer(chainId, alice, coin, asset, bob.owner, 1n);
    chain.append([pay]);
    coin = { txid: txId(pay), index: 1, amount: coin.amount - 1n };
  }
  return { chain, alice, bob, asset };
}
