import { expect } from 'chai';
import { anchorsTable } from '../../cli/actions/anchors.ts';

describe('strongbox anchors, as a person reads it', () => {
  const blockHash = 'ab'.repeat(32);
  const bitcoinTxid = 'cd'.repeat(32);

  it('gives confirmations as a figure under the header that names them, and an anchor not on Bitcoin as such', () => {
    const lines = anchorsTable([
      { height: 7, blockHash, bitcoinTxid, confirmations: 12 },
      { height: 1234, blockHash, bitcoinTxid, confirmations: null },
      { height: 1240, blockHash, bitcoinTxid, confirmations: 0 },
    ]);
    expect(lines).to.deep.equal([
      `height  ${'block hash'.padEnd(64)}  ${'bitcoin txid'.padEnd(64)}   confirmations`,
      `     7  ${blockHash}  ${bitcoinTxid}              12`,
      `  1234  ${blockHash}  ${bitcoinTxid}  not on Bitcoin`,
      `  1240  ${blockHash}  ${bitcoinTxid}               0`,
    ]);
  });
});
