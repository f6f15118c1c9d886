import { expect } from 'chai';
import { byteaArray, int2Array, int4Array } from '../../sidechain/store/binary-array.ts';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.ts';

/** Each array as the server reads it, back in text so that nothing of node-postgres's own array parsing is in the way. */
describe('binary array parameters (real Postgres)', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  before(async () => {
    db = await freshDatabase('binaryarray');
  });
  after(() => db.drop());

  const readBack = async (parameter: Buffer, type: string) =>
    (await db.pool.query<{ text: string; length: number | null }>(`SELECT $1::${type}::text AS text, cardinality($1::${type}) AS length`, [parameter])).rows[0]!;

  const cases: { name: string; parameter: Buffer; type: string; text: string; length: number }[] = [
    { name: 'byteas, an empty one among them', parameter: byteaArray([Uint8Array.of(0xde, 0xad), new Uint8Array(0), Uint8Array.of(0)]), type: 'bytea[]', text: '{"\\\\xdead","\\\\x","\\\\x00"}', length: 3 },
    { name: 'no byteas', parameter: byteaArray([]), type: 'bytea[]', text: '{}', length: 0 },
    { name: 'int4s at both ends of their range', parameter: int4Array([0, -1, 2_147_483_647, -2_147_483_648]), type: 'int[]', text: '{0,-1,2147483647,-2147483648}', length: 4 },
    { name: 'no int4s', parameter: int4Array([]), type: 'int[]', text: '{}', length: 0 },
    { name: 'int2s', parameter: int2Array([6, -32_768, 32_767]), type: 'smallint[]', text: '{6,-32768,32767}', length: 3 },
  ];
  for (const { name, parameter, type, text, length } of cases) {
    it(`reads ${name} as the values sent`, async () => {
      expect(await readBack(parameter, type)).to.deep.equal({ text, length });
    });
  }

  it('refuses an array sent as another element type than the parameter it fills', async () => {
    let refused: unknown;
    await readBack(int4Array([1]), 'bytea[]').catch((error: unknown) => (refused = error));
    expect(String(refused)).to.match(/array element type 23 .* instead of expected 17/);
  });

  it('refuses, before anything is sent, a value its element type cannot hold', () => {
    expect(() => int4Array([2 ** 31])).to.throw(RangeError);
    expect(() => int2Array([40_000])).to.throw(RangeError);
  });
});
