import { expect } from 'chai';
import { mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as bitcoin from 'bitcoinjs-lib';
import * as ecc from 'tiny-secp256k1';
import { ECPairFactory } from 'ecpair';
import { startRegtestNode } from '../../regtest/node.ts';
import { FAUCET_ADDRESS, Faucet, fund, waitForConfirmations } from '../../regtest/faucet.ts';
import { ConfirmationTimeoutError, RegtestStartError } from '../../regtest/errors.ts';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { RpcAuthError, RpcMethodError, RpcUnreachableError } from '../../watcher/errors.ts';
import { sharedRegtest } from '../helpers/regtest.ts';
import { refusedPort } from '../helpers/refused-port.ts';

bitcoin.initEccLib(ecc);
const ECPair = ECPairFactory(ecc);
const network = bitcoin.networks.regtest;

function multisig(k: number, n: number) {
  const keys = Array.from({ length: n }, () => ECPair.makeRandom({ network }));
  const pubkeys = keys.map((key) => Buffer.from(key.publicKey)).sort(Buffer.compare);
  const payment = bitcoin.payments.p2wsh({ redeem: bitcoin.payments.p2ms({ m: k, pubkeys, network }), network });
  return { keys, payment };
}

async function outputIndexPaying(rpc: BitcoinRpc, txid: string, script: Uint8Array): Promise<{ vout: number; value: bigint }> {
  const tx = await rpc.getRawTransaction(txid);
  const vout = tx.outs.findIndex((out) => Buffer.from(out.script).equals(Buffer.from(script)));
  expect(vout).to.be.at.least(0);
  return { vout, value: BigInt(tx.outs[vout]!.value) };
}

describe('embedded regtest node (real bcoin)', function () {
  this.timeout(60_000);

  it('starts with segwit active and mines blocks', async () => {
    const { node, faucet } = await sharedRegtest();
    const before = await node.rpc.getBlockCount();
    expect(before).to.be.at.least(432);
    const hashes = await faucet.mine(3);
    expect(hashes).to.have.length(3);
    expect(await node.rpc.getBlockCount()).to.equal(before + 3);
    expect((await node.rpc.getBlockchainInfo()).chain).to.equal('regtest');
  });

  for (const [k, n] of [[2, 3], [4, 5]] as const) {
    it(`round-trips a ${k}-of-${n} P2WSH deposit and its PSBT spend signed by ${k} keys`, async () => {
      const { node, faucet } = await sharedRegtest();
      const { keys, payment } = multisig(k, n);
      const depositTxid = await faucet.fund(payment.address!, 1_000_000n);
      await faucet.mine(1);
      expect(await waitForConfirmations(node.rpc, depositTxid, 1)).to.equal(1);
      const { vout, value } = await outputIndexPaying(node.rpc, depositTxid, payment.output!);
      expect(value).to.equal(1_000_000n);

      const destination = bitcoin.payments.p2wpkh({ pubkey: Buffer.from(ECPair.makeRandom({ network }).publicKey), network });
      const psbt = new bitcoin.Psbt({ network })
        .addInput({ hash: depositTxid, index: vout, witnessUtxo: { script: payment.output!, value }, witnessScript: payment.redeem!.output! })
        .addOutput({ script: destination.output!, value: value - 2_000n });
      for (const key of keys.slice(0, k)) psbt.signInput(0, key);
      psbt.finalizeAllInputs();
      const spendTxid = await node.rpc.sendRawTransaction(psbt.extractTransaction().toHex());
      await faucet.mine(1);
      const spent = await node.rpc.getTxOut(spendTxid, 0, false);
      expect(spent?.valueSats).to.equal(998_000n);
      expect(spent?.confirmations).to.equal(1);
      expect(await node.rpc.getTxOut(depositTxid, vout, false)).to.equal(null);
    });
  }

  it('accepts a transaction with an OP_RETURN output', async () => {
    const { node, faucet } = await sharedRegtest();
    const key = ECPair.makeRandom({ network });
    const payment = bitcoin.payments.p2wpkh({ pubkey: Buffer.from(key.publicKey), network });
    const fundTxid = await faucet.fund(payment.address!, 100_000n);
    const { vout, value } = await outputIndexPaying(node.rpc, fundTxid, payment.output!);
    const data = Buffer.alloc(44, 7);
    const embed = bitcoin.payments.embed({ data: [data] });
    const psbt = new bitcoin.Psbt({ network })
      .addInput({ hash: fundTxid, index: vout, witnessUtxo: { script: payment.output!, value } })
      .addOutput({ script: embed.output!, value: 0n })
      .addOutput({ script: payment.output!, value: value - 1_000n });
    psbt.signAllInputs(key).finalizeAllInputs();
    const txid = await node.rpc.sendRawTransaction(psbt.extractTransaction().toHex());
    expect(await node.rpc.getRawMempool()).to.include(txid);
    const [blockHash] = await faucet.mine(1);
    const block = await node.rpc.getBlock(blockHash!);
    const mined = block.transactions!.find((tx) => tx.getId() === txid)!;
    expect(Buffer.from(mined.outs[0]!.script).subarray(2).equals(data)).to.equal(true);
  });

  it('funds many addresses at once, each payment confirmed with its exact amount', async () => {
    const { node, faucet } = await sharedRegtest();
    const recipients = Array.from({ length: 20 }, (_, i) => ({ ...multisig(1, 1).payment, amount: 10_000n + BigInt(i) }));
    const txids = await Promise.all(recipients.map((r) => fund(node.rpc, r.address!, r.amount)));
    expect(new Set(txids).size).to.equal(recipients.length);
    await faucet.mine(1);
    for (const [i, recipient] of recipients.entries()) {
      expect(await waitForConfirmations(node.rpc, txids[i]!, 1, { timeoutMs: 5_000 })).to.equal(1);
      expect((await outputIndexPaying(node.rpc, txids[i]!, recipient.output!)).value).to.equal(recipient.amount);
    }
  });

  it('never pays twice with one coin when separate faucets (as separate processes hold) share a node', async () => {
    const { node } = await sharedRegtest();
    const payments = [];
    for (let i = 0; i < 3; i++) payments.push(await new Faucet(node.rpc).fund(multisig(1, 1).payment.address!, 30_000n));
    expect(new Set(payments).size).to.equal(3);
    const mempool = await node.rpc.getRawMempool();
    for (const txid of payments) expect(mempool).to.include(txid);
  });

  it('makes every payment once when separate faucets pay at the same moment, each picking coins before the others broadcast', async () => {
    const { node, faucet } = await sharedRegtest();
    // Coins enough for every payment; each faucet, reading the same mempool, picks the same one first.
    await faucet.mine(101);
    const recipients = Array.from({ length: 4 }, () => multisig(1, 1).payment.address!);
    const payments = await Promise.all(recipients.map((address) => new Faucet(node.rpc).fund(address, 20_000n)));
    expect(new Set(payments).size).to.equal(recipients.length);
    const mempool = await node.rpc.getRawMempool();
    for (const txid of payments) expect(mempool).to.include(txid);
  });

  it('refuses to pay more than the faucet can spend, in BTC, saying to ask for less or mine more, and keeps its coins', async () => {
    const { node, faucet } = await sharedRegtest();
    const address = bitcoin.payments.p2wpkh({ pubkey: Buffer.from(ECPair.makeRandom().publicKey), network: bitcoin.networks.regtest }).address!;
    const refusal = await faucet.fund(address, 2_000_000_000_000_000n).then(() => '', (error: Error) => error.message);
    expect(refusal).to.match(/^the faucet can spend \d+\.\d{8} BTC, not the 20000000\.00000000 BTC asked and its fee: ask for less, or mine more to it \(`strongbox regtest mine 101`: a block's reward can be spent 100 blocks later\)$/);
    // The coins it looked at are still its own: a payment it can make goes through.
    const txid = await faucet.fund(address, 10_000n);
    expect((await node.rpc.getRawTransaction(txid)).outs.some((out) => out.value === 10_000n)).to.equal(true);
  });

  it('gives up waiting for confirmations after the timeout with a typed error', async () => {
    const { node, faucet } = await sharedRegtest();
    const txid = await faucet.fund(FAUCET_ADDRESS, 5_000n);
    const error = await waitForConfirmations(node.rpc, txid, 1, { timeoutMs: 200 }).then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(ConfirmationTimeoutError);
    expect((error as Error).message).to.equal(`transaction ${txid} has 0, not 1 confirmations, after 200 ms`);
  });

  it('sees a reorg made with invalidateblock and a longer competing branch', async () => {
    const { node, faucet } = await sharedRegtest();
    await faucet.mine(2);
    const height = await node.rpc.getBlockCount();
    const oldTip = await node.rpc.getBlockHash(height);
    const oldParent = await node.rpc.getBlockHash(height - 1);
    await node.rpc.invalidateBlock(oldParent);
    expect(await node.rpc.getBlockCount()).to.equal(height - 2);
    await faucet.mine(3);
    expect(await node.rpc.getBlockCount()).to.equal(height + 1);
    expect(await node.rpc.getBlockHash(height)).to.not.equal(oldTip);
    expect(await node.rpc.getBlockHash(height - 1)).to.not.equal(oldParent);
  });

  it('keeps its chain in a data directory across a restart', async () => {
    const dataDir = join(tmpdir(), `strongbox-regtest-${process.pid}`);
    mkdirSync(dataDir, { recursive: true });
    try {
      const first = await startRegtestNode({ dataDir });
      await first.rpc.generateToAddress(5, FAUCET_ADDRESS);
      const height = await first.rpc.getBlockCount();
      const tip = await first.rpc.getBlockHash(height);
      await first.stop();
      const second = await startRegtestNode({ dataDir });
      try {
        expect(await second.rpc.getBlockCount()).to.equal(height);
        expect(await second.rpc.getBlockHash(height)).to.equal(tip);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('stops, and restarts on its port, while a client holds a request half sent', async () => {
    const dataDir = join(tmpdir(), `strongbox-regtest-stop-${process.pid}`);
    mkdirSync(dataDir, { recursive: true });
    try {
      const first = await startRegtestNode({ dataDir });
      // Headers never finished: the server waits for the rest of this request, forever unless told otherwise.
      const client = connect(first.rpcPort, '127.0.0.1');
      await new Promise<void>((resolve) => client.once('connect', () => resolve()));
      client.on('error', () => undefined);
      client.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n');
      await first.stop();
      const second = await startRegtestNode({ dataDir, port: first.rpcPort, password: first.password });
      try {
        expect(await second.rpc.getBlockCount()).to.be.greaterThan(0);
      } finally {
        client.destroy();
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses an RPC port in use and a data directory held by a running node, with clear errors', async () => {
    const { node } = await sharedRegtest();
    const portError = await startRegtestNode({ port: node.rpcPort }).then(() => null, (e: unknown) => e);
    expect(portError).to.be.instanceOf(RegtestStartError);
    expect((portError as Error).message).to.include(`RPC port 127.0.0.1:${node.rpcPort} is already in use`);

    const dataDir = join(tmpdir(), `strongbox-regtest-lock-${process.pid}`);
    const first = await startRegtestNode({ dataDir });
    try {
      const lockError = await startRegtestNode({ dataDir }).then(() => null, (e: unknown) => e);
      expect(lockError).to.be.instanceOf(RegtestStartError);
      expect((lockError as Error).message).to.include(`data directory ${dataDir} is in use by another running node`);
      expect(await first.rpc.getBlockCount()).to.be.at.least(432);
    } finally {
      await first.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('reports a wrong RPC password as an authentication error without the password', async () => {
    const { node } = await sharedRegtest();
    const wrong = new BitcoinRpc(`http://strongbox:not-the-password@127.0.0.1:${node.rpcPort}`);
    const error = await wrong.getBlockCount().then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(RpcAuthError);
    expect((error as Error).message).to.equal(`Bitcoin node at http://127.0.0.1:${node.rpcPort} refused the RPC credentials (wrong user or password)`);
    expect((error as Error).message).to.not.include('not-the-password');
  });

  it('reports an unreachable node as connection refused', async () => {
    const port = await refusedPort();
    const error = await new BitcoinRpc(`http://u:secret@127.0.0.1:${port}`).getBlockCount().then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(RpcUnreachableError);
    expect((error as Error).message).to.equal(`Bitcoin node at http://127.0.0.1:${port} is unreachable (connection refused)`);
  });

  it('reports an unknown RPC method clearly', async () => {
    const { node } = await sharedRegtest();
    const error = await node.rpc.call('nosuchmethod').then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(RpcMethodError);
    expect((error as Error).message).to.match(/does not support the RPC method nosuchmethod/);
  });
});
