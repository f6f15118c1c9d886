import { expect } from 'chai';
import { CommanderError } from 'commander';
import { errorLine } from '../../cli/error-line.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { NotFinalError } from '../../cli/not-final-error.ts';
import { runCli } from '../helpers/cli.ts';

describe('CLI error line', () => {
  const cases: Array<[string, unknown, { line: string | null; exitCode: number }]> = [
    ['a refusal', new ValidationError('bad-amount', 'amount must be positive'), { line: 'strongbox: amount must be positive', exitCode: 1 }],
    ['an unknown option', new CommanderError(1, 'commander.unknownOption', "error: unknown option '--bogus'"), { line: "strongbox: unknown option '--bogus' (see --help)", exitCode: 1 }],
    ['an unknown command, with the one commander suggests', new CommanderError(1, 'commander.unknownCommand', "error: unknown command 'sned'\n(Did you mean send?)"), { line: "strongbox: unknown command 'sned' (did you mean send?) (see --help)", exitCode: 1 }],
    ['a group without its command', new CommanderError(1, 'commander.help', '(outputHelp)'), { line: 'strongbox: a command is missing (see --help for the commands)', exitCode: 1 }],
    ['help that was asked for', new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), { line: null, exitCode: 0 }],
    ['a file that cannot be written', Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', syscall: 'open', path: '/no/such/dir/key.json' }), { line: 'strongbox: cannot open /no/such/dir/key.json: no such file or directory', exitCode: 1 }],
    ['a wait that ended before the transaction was final', new NotFinalError('not-final', 'transaction ab is not final after 1 s'), { line: 'strongbox: transaction ab is not final after 1 s', exitCode: 3 }],
    ['a message with a line break from an argument', new ValidationError('bad', 'bad name "a\nb"'), { line: 'strongbox: bad name "a\\x0ab"', exitCode: 1 }],
  ];
  for (const [what, error, expected] of cases) {
    it(`prints one line for ${what}`, () => expect(errorLine(error)).to.deep.equal(expected));
  }

  it('joins the suggestion commander makes for a mistyped command or option to its line', async () => {
    const mistyped = await runCli(['sned']);
    expect([mistyped.code, mistyped.stderr]).to.deep.equal([1, "strongbox: unknown command 'sned' (did you mean send?) (see --help)\n"]);
    const option = await runCli(['send', '--to', 'sbx1q', '--amount', '5', '--fiel', 'alice.wallet.json']);
    expect([option.code, option.stderr]).to.deep.equal([1, "strongbox: unknown option '--fiel' (did you mean --file?) (see --help)\n"]);
  });

  it('reports anything else as an internal error with exit code 2', () => {
    const { line, exitCode } = errorLine(new TypeError('x is undefined'));
    expect(exitCode).to.equal(2);
    expect(line).to.match(/^strongbox: internal error: TypeError: x is undefined/);
  });
});
