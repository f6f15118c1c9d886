import { expect } from 'chai';
import { ConfigError } from '../../sidechain/errors.ts';
import { checkChainOptions, DEFAULT_CHAIN_OPTIONS, type ChainOptions } from '../../federation/member/chain.ts';
import { LIMITS } from '../../sidechain/transaction/types.ts';

const defaults: ChainOptions = { ...DEFAULT_CHAIN_OPTIONS, now: () => 0n };

describe('chain options', () => {
  it('accepts the defaults', () => {
    expect(() => checkChainOptions(defaults)).not.to.throw();
  });

  // A block too small for the largest valid transaction would stall the mempool's FIFO behind it.
  const tooSmall: [keyof ChainOptions, number][] = [
    ['maxBlockTransactions', 0],
    ['maxBlockBytes', LIMITS.maxTxBytes - 1],
    ['maxBlockInputs', LIMITS.maxInputs - 1],
    ['maxBlockOutputs', LIMITS.maxOutputs - 1],
    ['maxBlockOutputs', 1_000.5],
  ];
  for (const [field, value] of tooSmall) {
    it(`refuses ${field} = ${value}, naming the field`, () => {
      expect(() => checkChainOptions({ ...defaults, [field]: value }))
        .to.throw(ConfigError)
        .with.property('message')
        .that.satisfies((message: string) => message.startsWith(`${field}: `));
    });
  }
});
