import { expect } from 'chai';
import { ValidationError } from '../../sidechain/errors.ts';
import { OrphanTransactions, type OrphanLimits, type OrphanOutcome } from '../../federation/member/orphan-transactions.ts';

describe('relayed transactions held until the outputs they spend exist', () => {
  let clock: number;
  let left: [OrphanOutcome, number][];
  const held = (limits: Partial<OrphanLimits> = {}) => {
    clock = 0;
    left = [];
    return new OrphanTransactions({ count: 3, bytes: 100, expiryMs: 60_000, ...limits }, (outcome, count) => left.push([outcome, count]), () => clock);
  };
  const bytes = (length = 10) => new Uint8Array(length);
  /** Retries with these outputs existing, admitting everything; returns the txids admitted, in order. */
  const retry = (orphans: OrphanTransactions, existing: string[], included: string[] = []) => {
    const admitted: string[] = [];
    return { admitted, count: orphans.retry(included, (key) => existing.includes(key), (transaction) => admitted.push(String(transaction[0])), (error) => expect.fail(String(error))) };
  };
  const numbered = (tag: number, length = 10) => new Uint8Array(length).fill(tag);

  it('holds one entry per txid, counted in transactions and bytes', () => {
    const orphans = held();
    expect(orphans.keep('a', bytes(10), ['p:0'])).to.equal(true);
    expect(orphans.keep('a', bytes(10), ['p:0'])).to.equal(false);
    expect(orphans.keep('b', bytes(20), ['p:1'])).to.equal(true);
    expect([orphans.count, orphans.bytes, orphans.has('a'), orphans.has('c')]).to.deep.equal([2, 30, true, false]);
    expect(left).to.deep.equal([]);
  });

  it('evicts the oldest to make room when the count or the bytes would go over, and holds nothing larger than the whole set', () => {
    const orphans = held();
    for (const txid of ['a', 'b', 'c', 'd']) orphans.keep(txid, bytes(10), []);
    expect([orphans.has('a'), orphans.count]).to.deep.equal([false, 3]);
    expect(orphans.keep('e', bytes(85), [])).to.equal(true);
    // 85 bytes beside 20 would be 105: b and c leave, d stays.
    expect([orphans.has('b'), orphans.has('c'), orphans.has('d'), orphans.count, orphans.bytes]).to.deep.equal([false, false, true, 2, 95]);
    expect(orphans.keep('f', bytes(101), [])).to.equal(false);
    expect([orphans.count, orphans.bytes]).to.deep.equal([2, 95]);
    expect(left).to.deep.equal([
      ['evicted', 1],
      ['evicted', 2],
    ]);
  });

  it('expires what it held longer than the expiry, at the next keep or retry', () => {
    const orphans = held();
    orphans.keep('a', bytes(), ['p:0']);
    clock = 30_000;
    orphans.keep('b', bytes(), ['p:0']);
    clock = 60_000;
    orphans.keep('c', bytes(), ['p:0']);
    expect([orphans.has('a'), orphans.count]).to.deep.equal([false, 2]);
    clock = 90_000;
    expect(retry(orphans, []).count).to.equal(0);
    expect([orphans.has('b'), orphans.has('c')]).to.deep.equal([false, true]);
    expect(left).to.deep.equal([
      ['expired', 1],
      ['expired', 1],
    ]);
  });

  it('retries, in arrival order, only those every output of which exists, through admission, and drops those a block took', () => {
    const orphans = held({ count: 10 });
    orphans.keep('a', numbered(1), ['x:0']);
    orphans.keep('b', numbered(2), ['y:0', 'x:1']);
    orphans.keep('c', numbered(3), ['y:1']);
    orphans.keep('d', numbered(4), ['z:0']);
    orphans.keep('e', numbered(5), ['w:0']);
    const { admitted, count } = retry(orphans, ['x:0', 'x:1', 'y:1', 'z:0'], ['e']);
    expect([admitted, count]).to.deep.equal([['1', '3', '4'], 3]);
    expect([orphans.has('b'), orphans.count]).to.deep.equal([true, 1]);
    expect(left).to.deep.equal([
      ['final', 1],
      ['admitted', 3],
    ]);
  });

  it('sees an output a transaction admitted just before creates: a parent held before its child lets the child in at the same retry', () => {
    const orphans = held();
    orphans.keep('parent', numbered(1), ['x:0']);
    orphans.keep('child', numbered(2), ['parent:0']);
    const existing = new Set(['x:0']);
    const admitted: number[] = [];
    orphans.retry([], (key) => existing.has(key), (transaction) => {
      admitted.push(transaction[0]!);
      if (transaction[0] === 1) existing.add('parent:0');
    }, (error) => expect.fail(String(error)));
    expect([admitted, orphans.count]).to.deep.equal([[1, 2], 0]);
  });

  it('drops one admission refuses, counting it, and reports an error that is no refusal', () => {
    const orphans = held();
    orphans.keep('a', numbered(1), []);
    orphans.keep('b', numbered(2), []);
    orphans.keep('c', numbered(3), []);
    const broken = new Error('database away');
    const failures: unknown[] = [];
    const count = orphans.retry([], () => true, (transaction) => {
      if (transaction[0] === 1) throw new ValidationError('double-spend', 'input is already spent by pending transaction');
      if (transaction[0] === 2) throw broken;
    }, (error) => failures.push(error));
    expect([count, orphans.count, failures]).to.deep.equal([1, 0, [broken]]);
    expect(left).to.deep.equal([
      ['admitted', 1],
      ['refused', 2],
    ]);
  });
});
