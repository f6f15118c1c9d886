import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateMemberKeys, writeKeyFile } from '../../federation/key-file.ts';
import { createWalletFile } from '../../federation/wallet/wallet-file.ts';
import { runCli } from '../helpers/cli.ts';
import { fuzzInParallel, fuzzRuns } from '../helpers/fuzz.ts';
import { hostileText } from '../helpers/fuzz-http.ts';
import { startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { issuance } from '../helpers/transactions.ts';

// Every case starts a process (two to five seconds here next to five members), so the default is
// small; FUZZ_RUNS sets the count (docs/RELIABILITY.md).
const RUNS = fuzzRuns(40);
const CLI = fileURLToPath(new URL('../../bin/strongbox.js', import.meta.url));
const TREE_DUMPER = fileURLToPath(new URL('../helpers/cli-command-tree.mjs', import.meta.url));
// Commands that start long-running processes; `strongbox up` has its own end-to-end test.
const NOT_FUZZED = new Set(['up', 'help']);

interface CommandSpec {
  name: string;
  options: { long: string; takesValue: boolean; mandatory: boolean }[];
  args: { name: string; required: boolean; variadic: boolean }[];
  commands: CommandSpec[];
}

function leaves(command: CommandSpec, path: string[] = []): { path: string[]; spec: CommandSpec }[] {
  if (command.commands.length === 0) return [{ path, spec: command }];
  return command.commands.filter((sub) => !NOT_FUZZED.has(sub.name)).flatMap((sub) => leaves(sub, [...path, sub.name]));
}

describe(`fuzzing the strongbox command's arguments (${RUNS} runs)`, function () {
  this.timeout(3_600_000);
  let net: TestNetwork;
  let dir: string;
  let commands: { path: string[]; spec: CommandSpec }[];
  const pools: Record<string, string[]> = {};

  before(async () => {
    net = await startTestNetwork(5);
    dir = mkdtempSync(join(tmpdir(), 'strongbox-fuzz-cli-'));
    // The CLI describes its own commands, so commands added later are fuzzed as well.
    commands = leaves(JSON.parse(execFileSync(process.execPath, ['--import', TREE_DUMPER, CLI], { encoding: 'utf8' })) as CommandSpec);

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

  it('answers every command line with exit 0, or exit 1 and one line on stderr naming the problem — never an internal error', async () => {
    const cwdWithoutNetwork = join(dir, 'cwd-empty');
    const cwdWithGarbledNetwork = join(dir, 'cwd-garbled');
    mkdirSync(cwdWithoutNetwork);
    mkdirSync(join(cwdWithGarbledNetwork, '.strongbox'), { recursive: true });
    writeFileSync(join(cwdWithGarbledNetwork, '.strongbox', 'network.json'), '{"members": [');
    const outcomes = new Map<number, number>();
    await fuzzInParallel(argv(), RUNS, 2, async ({ args, garbledNetwork }) => {
      const result = await runCli(args, { cwd: garbledNetwork ? cwdWithGarbledNetwork : cwdWithoutNetwork, env: { STRONGBOX_HOME: '', STRONGBOX_MEMBER_URL: '', STRONGBOX_GENESIS_FILE: '' } });
      outcomes.set(result.code, (outcomes.get(result.code) ?? 0) + 1);
      const where = `strongbox ${JSON.stringify(args)} → exit ${result.code}: ${result.stderr.slice(0, 500)}`;
      expect(result.code, where).to.be.oneOf([0, 1]);
      if (result.code === 1) expect(result.stderr, where).to.match(/^strongbox: [^\n]+\n$/);
    });
    console.log(`      exit codes: ${JSON.stringify(Object.fromEntries(outcomes))} over ${commands.length} commands`);
  });
});
