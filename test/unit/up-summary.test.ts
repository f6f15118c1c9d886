import { expect } from 'chai';
import { upSummary, type UpSummary } from '../../cli/up-summary.ts';
import type { DemoWallet } from '../../federation/local-network/demo-wallet.ts';

/** The summary `strongbox up` prints for a network in ./.strongbox, its demo wallet as given. */
function demoWalletLine(demoWallet: Omit<DemoWallet, 'file' | 'address'>): string {
  const summary: UpSummary = {
    dataDir: '/srv/strongbox/.strongbox',
    seconds: '10.2',
    network: { bitcoinRpcUrl: 'http://strongbox:secret@127.0.0.1:18443', postgres: { port: 5432 }, members: [{ memberIndex: 0, apiUrl: 'http://127.0.0.1:8200' }] },
    postgresPort: 5432,
    escrow: { descriptor: 'wsh(sortedmulti(…))', address: 'bcrt1q…' },
    demoWallet: { file: '/srv/strongbox/.strongbox/demo-wallet.json', address: 'sbx1q…', ...demoWallet },
  };
  return upSummary(summary).split('\n').find((line) => line.startsWith('  Demo wallet'))!;
}

describe('the summary strongbox up prints', () => {
  it("says what the demo wallet holds, or that this start's deposit is not minted yet, and never names a deposit it did not make", () => {
    const txid = 'ab'.repeat(32);
    expect(demoWalletLine({ balanceSats: 100_000_000n, depositTxid: txid })).to.match(/\(1\.00000000 pegged BTC\)$/);
    expect(demoWalletLine({ balanceSats: 0n, depositTxid: txid })).to.match(new RegExp(`\\(deposit ${txid} not minted yet\\)$`));
    // A network started again whose demo wallet was spent meanwhile.
    expect(demoWalletLine({ balanceSats: 0n })).to.match(/\(0\.00000000 pegged BTC\)$/);
  });
});
