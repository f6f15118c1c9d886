import { expect } from 'chai';
import { endPool } from '../../federation/postgres/end-pool.ts';

// Node 20 can require() an ES module, and mocha then loads test files through require(), which
// tsx compiles to CommonJS, while a module a test reaches through import() (a command's action)
// comes in a second time as an ES module, with its own state. .mocharc.json turns that off.
describe('the test run', () => {
  it('loads a module once, whether a test imports it statically or through import()', async () => {
    const loaded = await import('../../federation/postgres/end-pool.ts');
    expect(loaded.endPool).to.equal(endPool);
  });
});
