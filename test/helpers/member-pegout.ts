import { Anchoring } from '../../federation/member/anchoring.ts';
import { feeRateOfBlock } from '../../federation/member/fee-rate.ts';
import { FederationSigner } from '../../federation/member/federation-signer.ts';
import { DEFAULT_PEGOUT_OPTIONS, Pegout } from '../../federation/member/pegout.ts';
import { applyTransaction, LedgerState } from '../../sidechain/ledger/index.ts';
import type { ChainStore } from '../../sidechain/store/chain-store.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { capturedLog } from './captured-log.ts';
import type { TestFederation } from './genesis.ts';
import { sharedRegtest } from './regtest.ts';
import { genesisParent, nextHeader, type BlockParent } from './signed-blocks.ts';

/**
 * Member 0's Pegout over `store` and the shared regtest node, and `final`, which applies a block of
 * `transactions` to `ledger` and tells the Pegout it is final, as the member does with each block,
 * and `prepare`, which builds what the member would ask a block for, as its signing step does
 * before it asks (hasPendingSettlement).
 */
export async function memberPegout(federation: TestFederation, store: ChainStore, batchWindowMs: number) {
  const { genesis } = federation;
  const { node } = await sharedRegtest();
  const rpc = new BitcoinRpc(node.rpcUrl);
  const { log } = capturedLog();
  const signer = new FederationSigner(genesis, rpc, { memberIndex: 0, pegPrivateKey: federation.keys[0]!.pegPrivateKey }, log);
  const anchoring = await Anchoring.start(genesis, rpc, store, signer, { afterMs: 600_000 }, log);
  const pegout = await Pegout.start(genesis, rpc, store, signer, anchoring, { afterMs: 600_000 }, log, { ...DEFAULT_PEGOUT_OPTIONS, batchWindowMs });
  const ledger = new LedgerState();
  let parent: BlockParent = genesisParent(genesis);
  const final = (transactions: Transaction[]) => {
    for (const tx of transactions) applyTransaction(ledger, tx, { chainId: genesis.chainId, height: parent.height + 1 });
    const header = nextHeader(genesis, parent, transactions);
    pegout.blockFinal({ header, transactions });
    parent = { height: header.height, hash: new Uint8Array(32).fill(header.height), timeMs: header.timeMs };
  };
  const prepare = () => pegout.prepare(ledger, feeRateOfBlock(rpc, genesis));
  return { pegout, ledger, final, prepare };
}
