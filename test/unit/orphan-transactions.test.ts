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
  /** Held as relayed: none of the outputs it spends exists here. */
  const none = () => false;

  it('holds one entry per txid, counted in transactions and bytes', () => {
    const orphans = held();
    expect(orphans.keep('a', bytes(10), ['p:0'], none)).to.equal(true);
    expect(orphans.keep('a', bytes(10), ['p:0'], none)).to.equal(false);
    expect(orphans.keep('b', bytes(20), ['p:1'], none)).to.equal(true);
    expect([orphans.count, orphans.bytes, orphans.has('a'), orphans.has('c')]).to.deep.equal([2, 30, true, false]);
    expect(left).to.deep.equal([]);
  });

  it('evicts the oldest to make room when the count or the bytes would go over, and holds nothing larger than the whole set', () => {
    const orphans = held();
    for (const txid of ['a', 'b', 'c', 'd']) orphans.keep(txid, bytes(10), [], none);
    expect([orphans.has('a'), orphans.count]).to.deep.equal([false, 3]);
    expect(orphans.keep('e', bytes(85), [], none)).to.equal(true);
    // 85 bytes beside 20 would be 105: b and c leave, d stays.
    expect([orphans.has('b'), orphans.has('c'), orphans.has('d'), orphans.count, orphans.bytes]).to.deep.equal([false, false, true, 2, 95]);
    expect(orphans.keep('f', bytes(101), [], none)).to.equal(false);
    expect([orphans.count, orphans.bytes]).to.deep.equal([2, 95]);
    expect(left).to.deep.equal([
      ['evicted', 1],
      ['evicted', 2],
    ]);
  });

  it('expires what it held longer than the expiry, at the next keep or retry', () => {
    const orphans = held();
    orphans.keep('a', bytes(), ['p:0'], none);
    clock = 30_000;
    orphans.keep('b', bytes(), ['p:0'], none);
    clock = 60_000;
    orphans.keep('c', bytes(), ['p:0'], none);
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
    orphans.keep('a', numbered(1), ['x:0'], none);
    orphans.keep('b', numbered(2), ['y:0', 'x:1'], none);
    orphans.keep('c', numbered(3), ['y:1'], none);
    orphans.keep('d', numbered(4), ['z:0'], none);
    orphans.keep('e', numbered(5), ['w:0'], none);
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
    orphans.keep('parent', numbered(1), ['x:0'], none);
    orphans.keep('child', numbered(2), ['parent:0'], none);
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
    orphans.keep('a', numbered(1), [], none);
    orphans.keep('b', numbered(2), [], none);
    orphans.keep('c', numbered(3), [], none);
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

  it('retries one once the transactions creating the outputs it lacked are known final, whether those outputs exist or a final block spent them, and drops it refused then', () => {
    const orphans = held({ count: 10 });
    // a spends x:0, which a final block spent before a came: a double spend reaching a member behind.
    orphans.keep('a', numbered(1), ['x:0'], none);
    // b spends y:0 and z:0, whose creators become final one block apart; y:0 is spent by then.
    orphans.keep('b', numbered(2), ['y:0', 'z:0'], none);
    // c spends an output of a transaction never final here.
    orphans.keep('c', numbered(3), ['w:0'], none);
    const tried: number[] = [];
    // Admission refuses both: each spends an output a final block spent.
    const admit = (transaction: Uint8Array) => {
      tried.push(transaction[0]!);
      throw new ValidationError('missing-input', 'input is not in the UTXO set');
    };
    expect(orphans.retry(['x'], () => false, admit, (error) => expect.fail(String(error)))).to.equal(0);
    expect([tried, orphans.has('a'), orphans.count]).to.deep.equal([[1], false, 2]);
    expect(left).to.deep.equal([['refused', 1]]);
    // y is known final from the block before, z from this one: b's every output is accounted for.
    orphans.retry(['y'], () => false, admit, (error) => expect.fail(String(error)));
    expect([tried, orphans.count]).to.deep.equal([[1], 2]);
    orphans.retry(['z'], (key) => key === 'z:0', admit, (error) => expect.fail(String(error)));
    expect([tried, orphans.has('b'), orphans.has('c')]).to.deep.equal([[1, 2], false, true]);
    expect(left).to.deep.equal([
      ['refused', 1],
      ['refused', 1],
    ]);
  });

  it('counts as lacking only the outputs not spendable when it came', () => {
    const orphans = held();
    // p:0 was spendable (pending here, say) when it came, q:0 was not; q's creator final lets it be tried.
    orphans.keep('a', numbered(1), ['p:0', 'q:0'], (key) => key === 'p:0');
    const tried: number[] = [];
    orphans.retry(['q'], () => false, (transaction) => tried.push(transaction[0]!), (error) => expect.fail(String(error)));
    expect([tried, orphans.count]).to.deep.equal([[1], 0]);
  });

  it('names the txids to look up once each, whole transactions at a time, its own beside the creators of what it lacks', () => {
    const orphans = held({ count: 10 });
    orphans.keep('a', numbered(1), ['x:0', 'x:1', 'y:0'], none);
    orphans.keep('b', numbered(2), ['y:1', 'p:0'], (key) => key === 'p:0');
    orphans.keep('c', numbered(3), ['z:0'], none);
    expect(orphans.toLookUp(5)).to.deep.equal(['a', 'x', 'y', 'b']);
    expect(orphans.toLookUp(1)).to.deep.equal(['c', 'z']);
    expect(orphans.toLookUp(5)).to.deep.equal([]);
    orphans.keep('d', numbered(4), ['z:1'], none);
    expect(orphans.toLookUp(5)).to.deep.equal(['d', 'z']);
    // The store says a is final (a block took it and spent its outputs before it came), and x too.
    orphans.retry(['a', 'x'], () => false, () => expect.fail('nothing to admit'), (error) => expect.fail(String(error)));
    expect([orphans.has('a'), orphans.count]).to.deep.equal([false, 3]);
    expect(left).to.deep.equal([['final', 1]]);
  });

  it('says which outputs a held transaction spends that are not spendable now', () => {
    const orphans = held();
    orphans.keep('a', numbered(1), ['x:0', 'y:0'], none);
    expect(orphans.waitingFor('a', (key) => key === 'y:0')).to.deep.equal(['x:0']);
    expect(orphans.waitingFor('b', () => false)).to.equal(undefined);
  });
});
