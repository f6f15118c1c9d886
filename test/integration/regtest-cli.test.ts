import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as bitcoin from 'bitcoinjs-lib';
import { findFreePorts } from '../../regtest/free-port.ts';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { sharedRegtest } from '../helpers/regtest.ts';

const CLI = fileURLToPath(new URL('../../bin/strongbox.js', import.meta.url));

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `strongbox …` as a user would, with only the environment given here. */
function strongbox(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const { STRONGBOX_BITCOIN_RPC_URL: _ignored, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...inherited, ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const ADDRESS = bitcoin.payments.p2wsh({ hash: Buffer.alloc(32, 9), network: bitcoin.networks.regtest }).address!;

describe('strongbox regtest fund|mine', function () {
  this.timeout(60_000);

  it('funds an address with an exact BTC amount and mines it in', async () => {
    const { node } = await sharedRegtest();
    const funded = await strongbox(['regtest', 'fund', ADDRESS, '0.5', '--rpc', node.rpcUrl, '--json']);
    expect(funded.stderr).to.equal('');
    expect(funded.code).to.equal(0);
    const { txid, address, amountSats } = JSON.parse(funded.stdout) as { txid: string; address: string; amountSats: string };
    expect(address).to.equal(ADDRESS);
    expect(amountSats).to.equal('50000000');

    const mined = await strongbox(['regtest', 'mine', '2', '--json'], { STRONGBOX_BITCOIN_RPC_URL: node.rpcUrl });
    expect(mined.code).to.equal(0);
    const { blocks, height } = JSON.parse(mined.stdout) as { blocks: string[]; height: number };
    expect(blocks).to.have.length(2);
    expect(height).to.equal(await node.rpc.getBlockCount());
    const confirmations = await node.rpc.getTransactionConfirmations(txid);
    expect(confirmations).to.be.at.least(2);
  });

  it('prints a line for people without --json', async () => {
    const { node } = await sharedRegtest();
    const run = await strongbox(['regtest', 'fund', ADDRESS, '1.00000001', '--rpc', node.rpcUrl]);
    expect(run.code).to.equal(0);
    expect(run.stdout).to.match(new RegExp(`^sent 1\\.00000001 BTC to ${ADDRESS} in [0-9a-f]{64} \\(mine a block to confirm it\\)\\n$`));
  });

  const refusals: Array<{ name: string; args: (rpcUrl: string) => string[]; line: RegExp }> = [
    { name: 'an amount with more than 8 decimals', args: (url) => ['regtest', 'fund', ADDRESS, '0.123456789', '--rpc', url], line: /^strongbox: not a BTC amount: expected digits, with at most 8 decimals after a point and a digit before it \(such as 0\.5 or 21\), got "0\.123456789"$/ },
    { name: 'an amount without a digit before its point, saying the form it takes', args: (url) => ['regtest', 'fund', ADDRESS, '.5', '--rpc', url], line: /^strongbox: not a BTC amount: expected digits, with at most 8 decimals after a point and a digit before it \(such as 0\.5 or 21\), got "\.5"$/ },
    { name: 'a negative amount', args: (url) => ['regtest', 'fund', ADDRESS, '-1', '--rpc', url], line: /^strongbox: .*/ },
    { name: 'an address of another network', args: (url) => ['regtest', 'fund', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', '0.1', '--rpc', url], line: /^strongbox: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4" is not a Bitcoin address on regtest \(it is a mainnet address\)$/ },
    { name: 'a coinbase address of another network', args: (url) => ['regtest', 'mine', '1', '--to', 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', '--rpc', url], line: /^strongbox: "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx" is not a Bitcoin address on regtest \(it is a testnet address\)$/ },
    { name: 'an amount in sats where BTC belongs', args: (url) => ['regtest', 'fund', ADDRESS, '50000000', '--rpc', url], line: /^strongbox: regtest fund takes BTC, not sats: 50000000 BTC is more than the 21,000,000 there will ever be$/ },
    { name: 'a Strongbox address', args: (url) => ['regtest', 'fund', 'sbx1qqnzdehgt75yn5hxxuwyzgpuwqrapfaxdgdut2fcc8jt6esvfpt8qtparju', '0.1', '--rpc', url], line: /^strongbox: sbx1qqnz\S+ is a Strongbox address: BTC reaches it by a peg-in \(strongbox pegin-address sbx1qqnz\S+ gives the bcrt1… address to fund\)$/ },
    { name: 'a block count that is not a number', args: (url) => ['regtest', 'mine', 'ten', '--rpc', url], line: /^strongbox: number of blocks must be a whole number, got "ten"$/ },
    { name: 'a wrong RPC password', args: (url) => ['regtest', 'mine', '1', '--rpc', url.replace(/:[^:@]+@/, ':wrong-secret@')], line: /^strongbox: Bitcoin node at http:\/\/127\.0\.0\.1:\d+ refused the RPC credentials/ },
  ];
  for (const refusal of refusals) {
    it(`refuses ${refusal.name} with one line and exit code 1`, async () => {
      const { node } = await sharedRegtest();
      const run = await strongbox(refusal.args(node.rpcUrl));
      expect(run.code).to.equal(1);
      expect(run.stdout).to.equal('');
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines, run.stderr).to.have.length(1);
      expect(lines[0]).to.match(refusal.line);
      expect(run.stderr).to.not.include(node.password);
      expect(run.stderr).to.not.include('wrong-secret');
    });
  }
});

describe('strongbox regtest node', function () {
  this.timeout(120_000);
  let chainDir: string;

  beforeEach(() => {
    chainDir = mkdtempSync(join(tmpdir(), 'strongbox-regtest-node-'));
  });
  afterEach(() => rmSync(chainDir, { recursive: true, force: true }));

  /** `regtest node` as an operator runs it, once it says where it answers. */
  async function runNode(port: number): Promise<{ child: ChildProcess; said: string }> {
    const child = spawn(process.execPath, [CLI, 'regtest', 'node', '--chain-dir', chainDir, '--port', String(port), '--password', 'node-secret']);
    const lines = createInterface({ input: child.stdout! });
    const said = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`regtest node exited with ${code} before it answered`)));
    });
    return { child, said };
  }
  /**
   * A supervisor's SIGTERM, then the same again and again while the node stops and as it ends (a
   * second Ctrl-C, a repeated docker stop): it must exit with 0 all the same. This process is its
   * parent and has not yet reaped it while exitCode and signalCode are null, so its pid is its own.
   */
  const stop = async (child: ChildProcess) => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    while (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return exited;
  };

  it('runs a node with a transaction index that members and the regtest commands use, keeping its chain across restarts', async () => {
    const [port] = (await findFreePorts(1)) as [number];
    const rpcUrl = `http://strongbox:node-secret@127.0.0.1:${port}`;
    const first = await runNode(port);
    expect(first.said).to.match(new RegExp(`^regtest node at ${rpcUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, height \\d+; Ctrl-C stops it$`));
    const funded = await strongbox(['regtest', 'fund', ADDRESS, '0.5', '--rpc', rpcUrl, '--json']);
    const { txid } = JSON.parse(funded.stdout) as { txid: string };
    const mined = JSON.parse((await strongbox(['regtest', 'mine', '1', '--rpc', rpcUrl, '--json'])).stdout) as { height: number };
    expect(await stop(first.child)).to.equal(0);

    const again = await runNode(port);
    try {
      expect(again.said).to.include(`height ${mined.height};`);
      // The transaction index the members' peg-in check needs.
      expect(await new BitcoinRpc(rpcUrl).getTransactionConfirmations(txid)).to.equal(1);
    } finally {
      expect(await stop(again.child)).to.equal(0);
    }
  });

  it('refuses a port that is no port, and one another program holds, with one line and exit code 1', async () => {
    const wrong = await strongbox(['regtest', 'node', '--chain-dir', chainDir, '--port', '99999']);
    expect([wrong.code, wrong.stderr]).to.deep.equal([1, 'strongbox: --port must be a port number from 1 to 65535, got "99999"\n']);
    const { node } = await sharedRegtest();
    const taken = await strongbox(['regtest', 'node', '--chain-dir', chainDir, '--port', String(node.rpcPort)]);
    expect([taken.code, taken.stderr]).to.deep.equal([1, `strongbox: the embedded Bitcoin regtest node could not start: RPC port 127.0.0.1:${node.rpcPort} is already in use (choose another port)\n`]);
  });
});
