import { expect } from 'chai';
import type { Command } from 'commander';
import fc from 'fast-check';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strongboxProgram } from '../../cli/program.ts';
import { generateMemberKeys, writeKeyFile } from '../../federation/key-file.ts';
import { createWalletFile } from '../../federation/wallet/wallet-file.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { runCliInProcess } from '../helpers/cli-in-process.ts';
import { fuzzInParallel, fuzzRuns } from '../helpers/fuzz.ts';
import { hostileText } from '../helpers/fuzz-http.ts';
import { startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { issuance } from '../helpers/transactions.ts';

// Command lines run in this process through the entry point's own `runStrongbox`: milliseconds
// each, so FUZZ_RUNS sets their count (docs/RELIABILITY.md). A few also run as real processes
// (seconds each here), for what only a process shows: the exit code the shell sees.
const RUNS = fuzzRuns(10_000);
const PROCESS_RUNS = 16;
// Commands that run until stopped: `strongbox up` and `regtest node` have tests of their own
// (test/e2e/up-smoke.test.ts, test/integration/regtest-cli.test.ts). `wallet restore` reads its
// words from standard input, which would wait here on the test runner's own; its test pipes words
// in (test/unit/recovery-words.test.ts).
const NOT_FUZZED = new Set(['up', 'help', 'node', 'restore']);

interface CommandSpec {
  name: string;
  options: { long: string; takesValue: boolean; mandatory: boolean }[];
  args: { name: string; required: boolean; variadic: boolean }[];
  commands: CommandSpec[];
}

/** What commander knows of a command, so commands added later are fuzzed as well. */
function describeCommand(command: Command): CommandSpec {
  return {
    name: command.name(),
    options: command.options.map((option) => ({ long: option.long!, takesValue: Boolean(option.required || option.optional), mandatory: Boolean(option.mandatory) })),
    args: command.registeredArguments.map((argument) => ({ name: argument.name(), required: argument.required, variadic: argument.variadic })),
    commands: command.commands.map(describeCommand),
  };
}

function leaves(command: CommandSpec, path: string[] = []): { path: string[]; spec: CommandSpec }[] {
  if (command.commands.length === 0) return [{ path, spec: command }];
  return command.commands.filter((sub) => !NOT_FUZZED.has(sub.name)).flatMap((sub) => leaves(sub, [...path, sub.name]));
}

describe(`fuzzing the strongbox command's arguments (${RUNS} in process, ${PROCESS_RUNS} as processes)`, function () {
  this.timeout(3_600_000);
  let net: TestNetwork;
  let dir: string;
  let commands: { path: string[]; spec: CommandSpec }[];
  const pools: Record<string, string[]> = {};

  before(async () => {
    // Three members: what is fuzzed is the command's handling of its arguments, which the
    // federation's size does not change, and three start and run on less CPU than five.
    net = await startTestNetwork(3);
    dir = mkdtempSync(join(tmpdir(), 'strongbox-fuzz-cli-'));
    commands = leaves(describeCommand(strongboxProgram()));

    const file = (name: string, text: string, mode = 0o600) => {
      const path = join(dir, name);
      writeFileSync(path, text, { mode });
      chmodSync(path, mode);
      return path;
    };
    const walletPath = join(dir, 'funded.wallet.json');
    const wallet = createWalletFile(walletPath);
    const issued = issuance(net.genesis.chainId, wallet, 1_000_000n);
    await net.clients[0]!.waitForFinal(await net.clients[0]!.submit(issued.tx));
    const readable = file('readable.wallet.json', JSON.stringify({ version: 1, seed: 'ab'.repeat(32) }), 0o644);
    writeKeyFile(join(dir, 'member.key.json'), generateMemberKeys());
    mkdirSync(join(dir, 'a-directory'));
    const paths = [walletPath, readable, join(dir, 'member.key.json'), file('garbage.json', '{"version":'), file('empty.json', ''), file('array.json', '[1,2]'), join(dir, 'a-directory'), join(dir, 'new-file.json'), '/nonexistent/folder/file.json', join(dir, 'line\nbreak.json'), ''];
    const genesis = net.network.network.genesisFile!;
    const sbx = wallet.address;
    Object.assign(pools, {
      path: [...paths, genesis],
      member: [net.network.network.members[1]!.apiUrl, 'http://127.0.0.1:1', 'not a url', 'ftp://127.0.0.1/', 'http://127.0.0.1:1/%zz'],
      rpc: ['http://u:p@127.0.0.1:1', 'http://127.0.0.1:1', 'nonsense', 'http://u:%zz@127.0.0.1:1'],
      address: [sbx, sbx.toUpperCase(), `${sbx.slice(0, -1)}q`, 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', 'sbx1', ''],
      number: ['1', '0', '-1', '1.5', '2', '21', '1000', '99999999999999999999', '0x10', '1e3', 'abc', ''],
      id: ['BTC', 'btc', Buffer.from(issued.asset).toString('hex'), '00'.repeat(32), 'zz'.repeat(32), '00', `${'00'.repeat(32)}:0`, `${'00'.repeat(32)}:x`],
      text: ['Acme AB', 'US0378331005', 'US0378331006', 'share', 'bond', 'auditor', 'regtest', 'mainnet', ''],
    });
  });
  after(async () => {
    await net?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // Values for an option or argument by what its name says it holds, or anything at all.
  function valuesFor(name: string): fc.Arbitrary<string> {
    const kind = /file|out|config|genesis|dir|offer|credential/.test(name)
      ? 'path'
      : /member/.test(name)
        ? 'member'
        : /rpc/.test(name)
          ? 'rpc'
          : /address|^--to$/.test(name)
            ? 'address'
            : /amount|supply|decimals|threshold|members|height|confirmations|price|total|expires|^n$|btc/.test(name)
              ? 'number'
              : /asset|txid|outpoint|^id$/.test(name)
                ? 'id'
                : 'text';
    return fc.oneof({ arbitrary: fc.constantFrom(...pools[kind]!), weight: 3 }, { arbitrary: hostileText, weight: 1 });
  }

  const argv = () =>
    fc.constantFrom(...commands).chain(({ path, spec }) => {
      const options = spec.options.map((option) =>
        fc.option(option.takesValue ? valuesFor(option.long).map((value): string[] => [option.long, value]) : fc.constant<string[]>([option.long]), { nil: undefined, freq: option.mandatory ? 6 : 2 }),
      );
      const args = spec.args.map((argument) => fc.option(valuesFor(argument.name), { nil: undefined, freq: argument.required ? 8 : 2 }));
      const extra = fc.array(fc.oneof(fc.constantFrom('--bogus', '-x', '--json', '--', '--help'), hostileText), { maxLength: 1 });
      return fc.tuple(fc.tuple(...options), fc.tuple(...args), extra, fc.boolean()).map(([chosen, positional, more, garbledNetwork]) => ({
        args: [
          ...path,
          ...positional.filter((value): value is string => value !== undefined),
          ...chosen.flatMap((option) => option ?? []),
          // Waiting for Bitcoin confirmations would wait for blocks nobody mines here.
          ...(spec.options.some((o) => o.long === '--no-wait') ? ['--no-wait'] : []),
          ...more,
        ],
        garbledNetwork,
      }));
    });

  const environment = { STRONGBOX_HOME: '', STRONGBOX_MEMBER_URL: '', STRONGBOX_GENESIS_FILE: '' };
  let cwdWithoutNetwork: string;
  let cwdWithGarbledNetwork: string;
  before(() => {
    cwdWithoutNetwork = join(dir, 'cwd-empty');
    cwdWithGarbledNetwork = join(dir, 'cwd-garbled');
    mkdirSync(cwdWithoutNetwork);
    mkdirSync(join(cwdWithGarbledNetwork, '.strongbox'), { recursive: true });
    writeFileSync(join(cwdWithGarbledNetwork, '.strongbox', 'network.json'), '{"members": [');
  });

  /** Runs generated command lines and holds each to the contract; prints how they ended. */
  async function fuzzCommandLines(
    lines: ReturnType<typeof argv>,
    runs: number,
    concurrency: number,
    run: (args: string[], options: { cwd: string; env: Record<string, string> }) => Promise<CliResult>,
  ) {
    const outcomes = new Map<number, number>();
    await fuzzInParallel(lines, runs, concurrency, async ({ args, garbledNetwork }) => {
      const result = await run(args, { cwd: garbledNetwork ? cwdWithGarbledNetwork : cwdWithoutNetwork, env: environment });
      outcomes.set(result.code, (outcomes.get(result.code) ?? 0) + 1);
      const where = `strongbox ${JSON.stringify(args)} → exit ${result.code}: ${result.stderr.slice(0, 500)}`;
      expect(result.code, where).to.be.oneOf([0, 1, 3]);
      if (result.code === 1) expect(result.stderr, where).to.match(/^strongbox: [^\n]+\n$/);
      // A transaction submitted and not final within the wait (a --wait of a few seconds): after the wait's progress, one line saying it may still be.
      if (result.code === 3) expect(result.stderr, where).to.match(/(^|\n)strongbox: [^\n]*(it may still become final|was submitted and may be final)[^\n]*\n$/);
    });
    console.log(`      exit codes: ${JSON.stringify(Object.fromEntries(outcomes))} over ${commands.length} commands`);
  }

  it('answers every command line with exit 0, exit 1 and one line on stderr naming the problem, or exit 3 saying that a transaction sent may still become final — never an internal error', async () => {
    await fuzzCommandLines(argv(), RUNS, 1, runCliInProcess);
  });

  it('answers the same way as a process, with the exit code the shell sees', async () => {
    // An argument is a C string: no shell or exec can hand a process one holding a NUL byte
    // (spawn refuses it before any process starts), so those lines are only run in process.
    const deliverable = argv().filter(({ args }) => args.every((arg) => !arg.includes('\0')));
    await fuzzCommandLines(deliverable, PROCESS_RUNS, 2, runCli);
  });
});
