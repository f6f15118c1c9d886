import { expect } from 'chai';
import { table } from '../../cli/table.ts';

describe('a table the CLI prints', () => {
  const cases: [string, string[][], boolean[], string[]][] = [
    [
      'lines figures up on their last digit, whatever their width, and text on its first letter',
      [['base units', 'amount', 'address'], ['1234', '12.34', 'sbx1a'], ['98766', '987.66', 'sbx1bb'], ['9223372036854775807', '92233720368547758.07', 'sbx1c']],
      [true, true, false],
      [
        '         base units                amount  address',
        '               1234                 12.34  sbx1a',
        '              98766                987.66  sbx1bb',
        '9223372036854775807  92233720368547758.07  sbx1c',
      ],
    ],
    ['pads a text column that is not the last, and leaves no line ending in spaces', [['name', 'amount'], ['Acme AB', '5'], ['X', '100']], [false, true], ['name     amount', 'Acme AB       5', 'X           100']],
    ['is no lines for no rows', [], [true], []],
  ];
  for (const [what, rows, rightAligned, lines] of cases) {
    it(what, () => expect(table(rows, rightAligned)).to.deep.equal(lines));
  }
});
