import { expect } from 'chai';
import { toHex } from '../../sidechain/bytes.ts';

describe('toHex', () => {
  it('gives the lowercase hex of every byte value, of an empty array and of a view inside a larger buffer', () => {
    const every = Uint8Array.from({ length: 256 }, (_, byte) => byte);
    expect(toHex(every)).to.equal(Buffer.from(every).toString('hex'));
    expect(toHex(new Uint8Array(0))).to.equal('');
    const view = every.subarray(250, 254);
    expect(toHex(view)).to.equal('fafbfcfd');
    expect(toHex(new Uint8Array(every.buffer, 1, 2))).to.equal('0102');
  });
});
