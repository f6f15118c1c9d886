import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as bitcoin from 'bitcoinjs-lib';
import { BTC_ASSET_ID, BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import { encodeBlock } from '../../sidechain/block.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { sortedMultisig } from '../../watcher/escrow.ts';
import { depositMultisig } from '../../watcher/pegin-tweak.ts';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { Faucet } from '../../regtest/faucet.ts';
import { readKeyFile } from '../../federation/key-file.ts';
import { readGenesisFile } from '../../federation/genesis-file.ts';
import { memberDir } from '../../federation/local-network/ceremony.ts';
import { eventually, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { issuance, testWallet, transfer } from '../helpers/transactions.ts';
import { runCli } from '../helpers/cli.ts';
import { rewriteHistory, servedBlock, type SignedBlock, type Signers } from '../helpers/signed-blocks.ts';
import { coinPaying, spendEscrowCoins } from '../helpers/bitcoin-spends.ts';
import { serveHistory } from '../helpers/served-history.ts';
import { refusedUrls } from '../helpers/refused-port.ts';
import { findFreePort } from '../../regtest/free-port.ts';
import { startRegtestNode, type RegtestNode } from '../../regtest/node.ts';
import { FAUCET_ADDRESS } from '../../regtest/faucet.ts';
import { testFederation } from '../helpers/genesis.ts';
import { MemberClient } from '../../federation/api/client.ts';
import { memberBlockSource } from '../../federation/audit/block-source.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** The audit a user runs: the CLI in its own process, against a member URL, the regtest node and the genesis file. */
describe('strongbox audit of five member processes and a real regtest node', function () {
  this.timeout(300_000);
  let net: TestNetwork;
  let rpc: BitcoinRpc;
  let faucet: Faucet;
  let honest: SignedBlock[];
  let memberKeys: ReturnType<typeof readKeyFile>[];
  let heights: { send: number; mint: number; pay: number };
  let depositTxid: string;
  const alice = testWallet();
  const bob = testWallet();

  const audit = (member: string, ...flags: string[]) =>
    runCli(['audit', '--member', member, '--bitcoin-rpc', net.network.network.bitcoinRpcUrl, '--genesis', net.network.network.genesisFile!, ...flags]);
  const signers = (indexes: number[]): Signers => indexes.map((memberIndex) => ({ memberIndex, seed: memberKeys[memberIndex]!.blockSeed }));

  /** The audit of `blocks` fails at `height` with one line on stderr, exit 1, and the same failure as JSON. */
  async function expectAuditFailure(blocks: readonly Pick<SignedBlock, 'block' | 'commit'>[], expected: { height: number | null; check: string; message: RegExp }): Promise<void> {
    const server = await serveHistory(blocks);
    try {
      const human = await audit(server.url);
      expect(human.code, human.stderr).to.equal(1);
      expect(human.stdout).to.equal('');
      const where = expected.height === null ? '' : ` at height ${expected.height}`;
      expect(human.stderr).to.match(new RegExp(`^strongbox: audit failed${where}: ${expected.check}: [^\\n]+; blocks served by ${server.url}\\n$`));
      expect(human.stderr).to.match(expected.message);
      const json = await audit(server.url, '--json');
      expect(json.code).to.equal(1);
      expect(JSON.parse(json.stdout)).to.deep.include({ ok: false });
      expect(JSON.parse(json.stdout).failure).to.deep.include({ check: expected.check, height: expected.height, source: server.url });
      // The verdict itself, without the line's "audit failed at height …: check:" prefix and "; blocks served by" suffix the fields already give.
      expect(JSON.parse(json.stdout).failure.message).to.equal(human.stderr.replace(/^strongbox: audit failed( at height \d+)?: [a-z-]+: /, '').replace(/; blocks served by \S+\n$/, ''));
    } finally {
      await server.close();
    }
  }

  before(async () => {
    net = await startTestNetwork(5);
    rpc = new BitcoinRpc(net.network.network.bitcoinRpcUrl);
    faucet = new Faucet(rpc);
    memberKeys = net.network.network.members.map((_, index) => readKeyFile(join(memberDir(net.network.dataDir, index), 'key.json')));
    const chainId = net.genesis.chainId;
    const client = net.clients[0]!;
    const final = async (tx: Transaction) => (await client.waitForFinal(await client.submit(tx))).height!;

    const { tx: issue, asset } = issuance(chainId, alice, 1_000n);
    await final(issue);
    const sendHeight = await final(transfer(chainId, alice, { txid: txId(issue), index: 0, amount: 1_000n }, asset, bob.owner, 250n));
    const [depositAddress] = await Promise.all(net.clients.map((member) => member.registerDepositAddress(alice.address)));
    depositTxid = await faucet.fund(depositAddress!, 500_000n);
    await faucet.mine(2);
    const minted = await eventually('the mint on member 0', async () => (await client.utxos(alice.address)).find((utxo) => utxo.asset === BTC_ASSET_KEY), 60_000);
    const mintHeight = (await client.transaction(minted.txid)).height!;
    const payHeight = await final(transfer(chainId, alice, { txid: new Uint8Array(Buffer.from(minted.txid, 'hex')), index: minted.vout, amount: minted.amount }, BTC_ASSET_ID, bob.owner, 100_000n));
    heights = { send: sendHeight, mint: mintHeight, pay: payHeight };

    // The honest history as member 0 serves it, the raw material of every forgery below.
    honest = [];
    for (let height = 1; height <= payHeight; height++) {
      const { block, commit } = await client.finalBlock(height);
      honest.push(servedBlock(new Uint8Array(Buffer.from(block, 'hex')), new Uint8Array(Buffer.from(commit, 'hex'))));
    }
  });
  after(() => net?.stop());

  const reservesOf = async (member: string) => (await fetch(`${member}/reserves`).then((r) => r.json())) as Record<string, unknown> & { result: string; problem?: string };

  /** The block at `height` with its transfer's outputs changed to 900 and 100: value still conserved. */
  const changedTransfer = (transactions: Transaction[]): Transaction[] =>
    transactions.map((tx) => (tx.kind === 'transfer' ? { ...tx, outputs: tx.outputs.map((output, index) => ({ ...output, amount: index === 0 ? 900n : 100n })) } : tx));

  it('passes the honest chain any member serves, with the mint, the supply and the reserves in the report', async () => {
    const json = await audit(net.network.network.members[0]!.apiUrl, '--json');
    expect(json.stderr).to.equal('');
    expect(json.code).to.equal(0);
    const report = JSON.parse(json.stdout);
    expect(report).to.deep.include({ ok: true, network: net.genesis.file.network, chainId: hex(net.genesis.chainId) });
    expect(report.height).to.be.at.least(heights.pay);
    expect(report.transactions).to.be.at.least(4);
    expect(report.mints).to.deep.equal({ count: 1, sats: '500000' });
    expect(report.supply).to.deep.equal({ mintedSats: '500000', burnedSats: '0', outstandingSats: '500000' });
    expect(report.reserves).to.deep.equal({ escrowSats: '500000', unspentOutputs: 1, spentOutputs: 0, outstandingSats: '500000', unpaidBurns: { count: 0, sats: '0', oldestHeight: null } });

    const human = await audit(net.network.network.members[3]!.apiUrl);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(new RegExp(`^audit passed: chain ${net.genesis.file.network} \\(${hex(net.genesis.chainId)}\\) as served by ${net.network.network.members[3]!.apiUrl}`));
    expect(human.stdout).to.include('mints:       1 (500,000 sats)');
    expect(human.stdout).to.include('reserves:    500,000 sats unspent in 1 escrow output ≥ 500,000 sats pegged outstanding');

    // Each member shows the same proof of reserves for its own chain and Bitcoin node.
    const served = await reservesOf(net.network.network.members[2]!.apiUrl);
    expect(served).to.deep.include({ result: 'reserves cover the pegged supply', escrowSats: '500000', escrowOutputs: 1, missingOutputs: 0, outstandingSats: '500000' });
    expect(served).to.not.have.property('problem');
  });

  it('fails at the height of an amount changed under the members\' original signatures', async () => {
    const forged = rewriteHistory(honest, heights.send, changedTransfer, signers([0, 1, 2, 3]));
    forged[heights.send - 1] = { ...forged[heights.send - 1]!, commit: honest[heights.send - 1]!.commit };
    await expectAuditFailure(forged, { height: heights.send, check: 'finality', message: new RegExp(`block ${heights.send} is not final: invalid signature of member \\d`) });
  });

  it('fails at the height of a transaction dropped from a block', async () => {
    const original = honest[heights.send - 1]!;
    const forged = [...honest.slice(0, heights.send - 1), { block: encodeBlock({ header: original.header, transactions: original.transactions.slice(1) }), commit: original.commit }];
    await expectAuditFailure(forged, { height: heights.send, check: 'block', message: /header counts (1 transaction|\d+ transactions), body has \d+/ });
  });

  it('fails at the height of a block re-signed by a minority of members with their real keys', async () => {
    await expectAuditFailure(rewriteHistory(honest, heights.send, changedTransfer, signers([3, 4])), {
      height: heights.send,
      check: 'finality',
      message: new RegExp(`block ${heights.send} is not final: 2 signatures, 4 required`),
    });
  });

  it('fails at a transfer a colluding quorum changed: the owner never signed it', async () => {
    await expectAuditFailure(rewriteHistory(honest, heights.send, changedTransfer, signers([1, 2, 3, 4])), { height: heights.send, check: 'ledger', message: /signature/ });
  });

  it('fails at a mint a colluding quorum inflated: Bitcoin holds the deposit it really was', async () => {
    const inflated = (transactions: Transaction[]): Transaction[] => transactions.map((tx) => (tx.kind === 'pegin' ? { ...tx, amount: tx.amount * 10n } : tx));
    await expectAuditFailure(rewriteHistory(honest, heights.mint, inflated, signers([0, 1, 2, 3])), {
      height: heights.mint,
      check: 'mint',
      message: new RegExp(`mint of ${depositTxid}:\\d+: mints 5000000, the deposit allows 500000`),
    });
  });

  it('names the member that served the chain once the client has asked past one that is down', async () => {
    const [closed] = (await refusedUrls(1)) as [string];
    const member = net.network.network.members[1]!.apiUrl;
    const source = memberBlockSource(new MemberClient([closed, member]));
    expect(source.description).to.equal(closed);
    expect((await source.tip()).height).to.be.at.least(heights.pay);
    expect(source.description).to.equal(member);
  });

  it('stops with an error, not a verdict, when a member serves fewer blocks than the height it announces', async () => {
    const server = await serveHistory(honest.slice(0, 2), honest.length);
    try {
      const result = await audit(server.url, '--json');
      expect(result.code).to.equal(1);
      const reason = `${server.url} said its chain reaches height ${honest.length} but served blocks only up to 2: the audit cannot reach the tip it announced; audit another member`;
      expect(result.stderr).to.equal(`strongbox: ${reason}\n`);
      expect(JSON.parse(result.stdout)).to.deep.equal({ ok: false, error: { code: 'source-incomplete', message: reason } });
    } finally {
      await server.close();
    }
  });

  it('with --previous, says the chain holds the block the report of an earlier audit ends at, and fails at that height when a quorum signed another there', async () => {
    const honestServer = await serveHistory(honest);
    const dir = mkdtempSync(join(tmpdir(), 'strongbox-previous-'));
    try {
      const first = await audit(honestServer.url, '--json');
      expect(first.code, first.stderr).to.equal(0);
      const reportFile = join(dir, 'last-audit.json');
      writeFileSync(reportFile, first.stdout);
      const tipHash = hex(honest.at(-1)!.hash);
      const again = await audit(honestServer.url, '--previous', reportFile);
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.include(`\nhistory:     holds block ${heights.pay} (${tipHash}) as the previous audit passed it\n`);
      // The last block, a transfer, is one no anchor covers (none can yet): the line names the oldest such block and the genesis's cadence.
      const { unanchored } = JSON.parse(first.stdout).anchors as { unanchored: { blocks: number; oldestHeight: number; oldestTimeMs: string } };
      expect(unanchored.blocks).to.be.at.least(1);
      expect(unanchored.oldestHeight).to.be.at.most(heights.pay);
      expect(again.stdout).to.include(
        `\nunanchored:  ${unanchored.blocks} block${unanchored.blocks === 1 ? '' : 's'} with transactions after the last anchor, the oldest at height ${unanchored.oldestHeight} dated ${new Date(Number(unanchored.oldestTimeMs)).toISOString()}; anchors are due every ${net.genesis.file.anchor.intervalBlocks} blocks or ${net.genesis.file.anchor.intervalSeconds} s while the chain is active\n`,
      );

      // The last transfer dropped by four members re-signing the block: no anchor covers it, and alone it passes.
      const rewritten = rewriteHistory(honest, heights.pay, () => [], signers([0, 1, 2, 3]));
      const server = await serveHistory(rewritten);
      try {
        expect((await audit(server.url)).code).to.equal(0);
        const verdict = await audit(server.url, '--previous', reportFile);
        expect(verdict.code).to.equal(1);
        expect(verdict.stdout).to.equal('');
        expect(verdict.stderr).to.equal(
          `strongbox: audit failed at height ${heights.pay}: history: block ${heights.pay} is ${hex(rewritten.at(-1)!.hash)}, not ${tipHash} as the previous audit passed it: both are final under the genesis, so the federation signed two histories: fetch the block at height ${heights.pay} with its certificate from every member, and keep both audits' reports; blocks served by ${server.url}\n`,
        );
      } finally {
        await server.close();
      }

      const refusals: [string, string][] = [
        [JSON.stringify({ ok: false, failure: { check: 'block' } }), 'is the report of an audit that did not pass: give the report of the last audit that passed'],
        [JSON.stringify({ ...JSON.parse(first.stdout), chainId: 'ab'.repeat(32) }), `is the report of an audit of chain ${'ab'.repeat(32)}, not chain ${hex(net.genesis.chainId)} of the genesis file given`],
        [JSON.stringify({ valid: true }), 'is not the report of strongbox audit --json (ok: '],
        ['audit passed', 'is not JSON'],
      ];
      for (const [content, reason] of refusals) {
        const file = join(dir, 'refused.json');
        writeFileSync(file, content);
        const refused = await audit(honestServer.url, '--previous', file);
        expect([refused.code, refused.stdout]).to.deep.equal([1, '']);
        expect(refused.stderr).to.match(/^strongbox: --previous: [^\n]+\n$/);
        expect(refused.stderr).to.include(`${file} ${reason}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await honestServer.close();
    }
  });

  it('fails at the first block when the member serves bytes that are no block', async () => {
    await expectAuditFailure([{ block: Uint8Array.from([1, 2, 3]), commit: honest[0]!.commit }], { height: 1, check: 'block', message: /cannot decode/ });
  });

  it('refuses bad input with one line and exit code 1', async () => {
    const badUrl = await runCli(['audit', '--member', net.network.network.members[0]!.apiUrl, '--bitcoin-rpc', 'ftp://127.0.0.1:1', '--genesis', net.network.network.genesisFile!]);
    expect(badUrl.code).to.equal(1);
    expect(badUrl.stderr).to.equal('strongbox: the Bitcoin RPC URL must start with http://, not ftp://\n');
    const noGenesis = await runCli(['audit', '--member', net.network.network.members[0]!.apiUrl, '--bitcoin-rpc', net.network.network.bitcoinRpcUrl, '--genesis', '/nonexistent/genesis.json']);
    expect(noGenesis.code).to.equal(1);
    expect(noGenesis.stderr).to.equal('strongbox: --genesis: cannot read /nonexistent/genesis.json: no such file or directory\n');
    // With a member and a genesis but no Bitcoin node and no local network, the refusal names the option missing.
    const noNode = await runCli(['audit', '--member', net.network.network.members[0]!.apiUrl, '--genesis', net.network.network.genesisFile!, '--data-dir', '/nonexistent']);
    expect([noNode.code, noNode.stderr]).to.deep.equal([1, 'strongbox: no local network at /nonexistent: if one runs elsewhere, point at its folder with STRONGBOX_HOME or --data-dir (or name the Bitcoin node with --bitcoin-rpc); else start one with `npm start`\n']);
  });

  it('with --json, tells an audit that could not be finished from a failed one, on stdout', async () => {
    const [closed] = (await refusedUrls(1)) as [string];
    const result = await audit(closed, '--json');
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/^strongbox: member at http:\/\/127\.0\.0\.1:\d+ is unreachable \([^\n]+\)\n$/);
    const answer = JSON.parse(result.stdout) as { ok: boolean; error: { code: string; message: string } };
    expect(answer).to.deep.equal({ ok: false, error: { code: 'member-unreachable', message: result.stderr.replace(/^strongbox: /, '').trim() } });
  });

  it('stops before the first block, naming both chains, when the genesis file given is another chain\'s: an error, not a verdict', async () => {
    const file = JSON.parse(readFileSync(net.network.network.genesisFile!, 'utf8')) as { genesisTimeMs: string };
    const otherFile = join(net.network.dataDir, 'other-genesis.json');
    writeFileSync(otherFile, JSON.stringify({ ...file, genesisTimeMs: String(BigInt(file.genesisTimeMs) + 1n) }));
    const other = readGenesisFile(otherFile);
    const member = net.network.network.members[1]!.apiUrl;
    const result = await runCli(['audit', '--member', member, '--bitcoin-rpc', net.network.network.bitcoinRpcUrl, '--genesis', otherFile]);
    expect(result.code).to.equal(1);
    const reason = `${member} serves chain ${hex(net.genesis.chainId)}, not chain ${hex(other.chainId)} of the genesis file given: audit a member of the chain your genesis names, or audit this one with a genesis you obtained from its federation, never from the member itself`;
    expect(result.stderr).to.equal(`strongbox: ${reason}\n`);
    const json = await runCli(['audit', '--member', member, '--bitcoin-rpc', net.network.network.bitcoinRpcUrl, '--genesis', otherFile, '--json']);
    expect([json.code, JSON.parse(json.stdout)]).to.deep.equal([1, { ok: false, error: { code: 'other-chain', message: reason } }]);
  });

  it('fails the reserves once a deposit is spent from the escrow with the members\' keys and no peg-out', async () => {
    const escrow = sortedMultisig(net.genesis.members.threshold, net.genesis.pegKeys);
    const coin = await coinPaying(rpc, depositTxid, depositMultisig(escrow, alice.owner).scriptPubKey);
    const elsewhere = bitcoin.payments.p2wpkh({ hash: Buffer.alloc(20, 0x66), network: bitcoin.networks.regtest }).output!;
    const theft = spendEscrowCoins(escrow, memberKeys.map((keys) => keys.pegPrivateKey), [{ ...coin, recipient: alice.owner }], [{ script: elsewhere, value: coin.value - 2_000n }]);
    await rpc.sendRawTransaction(theft.toHex());
    await faucet.mine(1);
    const result = await audit(net.network.network.members[0]!.apiUrl);
    expect(result.code).to.equal(1);
    expect(result.stdout).to.equal('');
    const { height } = await net.clients[0]!.status();
    expect(result.stderr).to.equal(
      `strongbox: audit failed: reserves: the escrow holds 0 sats in 0 unspent outputs, 500000 sats of pegged bitcoin are outstanding (short by 500000); Bitcoin has spent the output the chain holds in reserve: ${coin.txid}:${coin.vout} (the chain as of height ${height}, the last block served); blocks served by ${net.network.network.members[0]!.apiUrl}\n`,
    );
    // A member says so too, once its last answer (cached for a few seconds) is out of date.
    const served = await eventually('a member reports the shortfall', async () => {
      const status = await reservesOf(net.network.network.members[1]!.apiUrl);
      return status.result === 'RESERVES SHORT' && status;
    }, 30_000);
    expect(served).to.deep.include({ escrowSats: '0', escrowOutputs: 0, missingOutputs: 1, outstandingSats: '500000' });
    expect(served.problem).to.match(/short by 500000/);
  });
});

/**
 * bcoin says neither that it is in initial block download nor that it knows headers past its
 * blocks: a node behind shows it by a peer further along. Two real nodes: the auditor's, with a
 * chain of its own, and one 5 blocks longer that connects to it. A node does not download from a
 * peer that connected to it, so the auditor's node stays behind until it connects out itself.
 */
describe('strongbox audit against a Bitcoin node behind its peer', function () {
  this.timeout(300_000);
  let auditorsNode: RegtestNode;
  let aheadNode: RegtestNode;
  let aheadPort: number;
  let dir: string;
  let genesisFile: string;
  let member: Awaited<ReturnType<typeof serveHistory>>;

  const audit = (...flags: string[]) => runCli(['audit', '--member', member.url, '--bitcoin-rpc', auditorsNode.rpcUrl, '--genesis', genesisFile, ...flags]);

  before(async () => {
    const auditorsPort = await findFreePort();
    aheadPort = await findFreePort();
    [auditorsNode, aheadNode] = await Promise.all([startRegtestNode({ p2pPort: auditorsPort }), startRegtestNode({ p2pPort: aheadPort })]);
    await aheadNode.rpc.generateToAddress(5, FAUCET_ADDRESS);
    await aheadNode.rpc.call('addnode', `127.0.0.1:${auditorsPort}`, 'onetry');
    const aheadHeight = await aheadNode.rpc.getBlockCount();
    await eventually('the peer further along connected to the auditor\'s node', async () => (await auditorsNode.rpc.getPeerStartingHeights()).includes(aheadHeight), 60_000);
    dir = mkdtempSync(join(tmpdir(), 'strongbox-audit-syncing-'));
    genesisFile = join(dir, 'genesis.json');
    writeFileSync(genesisFile, JSON.stringify(testFederation().genesis.file));
    // A federation with no block yet: the audit's only question is the node.
    member = await serveHistory([]);
  });

  after(async () => {
    await member?.close();
    await Promise.all([auditorsNode?.stop(), aheadNode?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses, before the first block, a node a peer is ahead of, with one line and exit 1, and audits once the node has caught up', async () => {
    const [blocks, ahead] = await Promise.all([auditorsNode.rpc.getBlockCount(), aheadNode.rpc.getBlockCount()]);
    expect(blocks).to.be.below(ahead);
    const reason = `the Bitcoin node at ${auditorsNode.rpc.displayUrl} has blocks up to ${blocks}, and a peer it is connected to had ${ahead} when it connected: a node still syncing lacks recent deposits, anchors and payments and counts escrow coins spent since as unspent; audit once it has caught up`;
    const human = await audit();
    expect([human.code, human.stdout, human.stderr]).to.deep.equal([1, '', `strongbox: ${reason}\n`]);
    const json = await audit('--json');
    expect([json.code, JSON.parse(json.stdout)]).to.deep.equal([1, { ok: false, error: { code: 'bitcoin-syncing', message: reason } }]);

    await auditorsNode.rpc.call('addnode', `127.0.0.1:${aheadPort}`, 'onetry');
    // Catching up replaces the node's own chain by its peer's, some 440 blocks: slow on a busy machine.
    await eventually('the auditor\'s node caught up with its peer', async () => (await auditorsNode.rpc.getBlockCount()) === ahead, 180_000);
    const caughtUp = await audit();
    expect(caughtUp.code, caughtUp.stderr).to.equal(0);
    expect(caughtUp.stdout).to.match(new RegExp(`^audit passed: chain test \\([0-9a-f]{64}\\) as served by ${member.url}, Bitcoin from ${auditorsNode.rpc.displayUrl} at block ${ahead} `));
  });
});
