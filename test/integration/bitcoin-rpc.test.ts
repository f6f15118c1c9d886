import { expect } from 'chai';
import { connect, createServer, type Socket } from 'node:net';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import * as bitcoin from 'bitcoinjs-lib';
import * as ecc from 'tiny-secp256k1';
import { ECPairFactory } from 'ecpair';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { RpcCallError, RpcUnreachableError } from '../../watcher/errors.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { sharedRegtest } from '../helpers/regtest.ts';

bitcoin.initEccLib(ecc);
const ECPair = ECPairFactory(ecc);
const network = bitcoin.networks.regtest;

function newAddress(): { address: string; output: Uint8Array; key: ReturnType<typeof ECPair.makeRandom> } {
  const key = ECPair.makeRandom({ network });
  const payment = bitcoin.payments.p2wpkh({ pubkey: Buffer.from(key.publicKey), network });
  return { address: payment.address!, output: payment.output!, key };
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  expect(outcome, 'expected a rejection').to.be.instanceOf(Error);
  return outcome as Error;
}

/** Listens on a free port of 127.0.0.1 until `use` returns, and gives `use` the port. */
async function listening<T>(server: ReturnType<typeof createServer> | ReturnType<typeof createHttpServer>, use: (port: number) => Promise<T>): Promise<T> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await use((server.address() as { port: number }).port);
  } finally {
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
}

/**
 * A TCP relay to the real node on a port of its own until `use` returns, giving `use` its port and
 * each connection the client opened, with whether the node had ended it when the client did.
 */
async function throughRelay(nodePort: number, use: (port: number, connections: RelayedConnection[]) => Promise<void>): Promise<void> {
  const connections: RelayedConnection[] = [];
  const relay = createServer((client) => {
    const upstream = connect(nodePort, '127.0.0.1');
    const connection: RelayedConnection = { client, nodeEnded: false, clientEnded: new Promise((resolve) => client.on('end', () => resolve({ nodeEndedFirst: connection.nodeEnded }))) };
    connections.push(connection);
    upstream.on('end', () => (connection.nodeEnded = true));
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await listening(relay, async (port) => {
    try {
      await use(port, connections);
    } finally {
      for (const { client } of connections) client.destroy();
    }
  });
}

interface RelayedConnection {
  client: Socket;
  nodeEnded: boolean;
  /** Settles when the client ends the connection, saying whether the node had ended it before. */
  clientEnded: Promise<{ nodeEndedFirst: boolean }>;
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('BitcoinRpc against the real embedded node', function () {
  this.timeout(30_000);

  it('reports output amounts as exact satoshis, including odd ones', async () => {
    const { node, faucet } = await sharedRegtest();
    for (const amount of [546n, 123_456_789n, 100_000_001n]) {
      const { address, output } = newAddress();
      const txid = await faucet.fund(address, amount);
      const tx = await node.rpc.getRawTransaction(txid);
      const vout = tx.outs.findIndex((out) => Buffer.from(out.script).equals(Buffer.from(output)));
      const out = await node.rpc.getTxOut(txid, vout, true);
      expect(out).to.deep.equal({ confirmations: 0, valueSats: amount, scriptPubKeyHex: Buffer.from(output).toString('hex'), coinbase: false });
    }
  });

  it('parses raw blocks and transactions with bitcoinjs-lib', async () => {
    const { node, faucet } = await sharedRegtest();
    const txid = await faucet.fund(newAddress().address, 10_000n);
    expect(await node.rpc.getRawMempool()).to.include(txid);
    const [hash] = await faucet.mine(1);
    const block = await node.rpc.getBlock(hash!);
    expect(block.getId()).to.equal(hash);
    expect(block.checkTxRoots()).to.equal(true);
    expect(block.transactions!.map((tx) => tx.getId())).to.include(txid);
    expect((await node.rpc.getRawTransaction(txid)).getId()).to.equal(txid);
    expect(await node.rpc.getRawMempool()).to.not.include(txid);
    const info = await node.rpc.getBlockchainInfo();
    expect(info.bestBlockHash).to.equal(hash);
    expect(info.blocks).to.equal(await node.rpc.getBlockCount());
  });

  it('counts confirmations by txid: unknown, in the mempool, then mined', async () => {
    const { node, faucet } = await sharedRegtest();
    expect(await node.rpc.getTransactionConfirmations('11'.repeat(32))).to.equal(null);
    const txid = await faucet.fund(newAddress().address, 20_000n);
    expect(await node.rpc.getTransactionConfirmations(txid)).to.equal(0);
    await faucet.mine(3);
    expect(await node.rpc.getTransactionConfirmations(txid)).to.equal(3);
  });

  it('reads a transaction with its confirmations and block in one answer: unknown, in the mempool, then mined', async () => {
    const { node, faucet } = await sharedRegtest();
    expect(await node.rpc.getTransactionAndConfirmations('11'.repeat(32))).to.equal(null);
    const txid = await faucet.fund(newAddress().address, 20_000n);
    const pending = await node.rpc.getTransactionAndConfirmations(txid);
    expect(pending?.confirmations).to.equal(0);
    expect(pending?.blockHash).to.equal(null);
    expect(pending?.tx.getId()).to.equal(txid);
    await faucet.mine(1);
    const block = await node.rpc.getBestBlockHash();
    await faucet.mine(1);
    const mined = await node.rpc.getTransactionAndConfirmations(txid);
    expect(mined?.confirmations).to.equal(2);
    expect(mined?.blockHash).to.equal(block);
    expect(mined?.tx.toHex()).to.equal((await node.rpc.getRawTransaction(txid)).toHex());
  });

  it('has no fee estimate on the embedded regtest node, so callers use their fallback rate', async () => {
    const { node } = await sharedRegtest();
    expect(await node.rpc.estimateSmartFee(6)).to.equal(null);
  });

  it('reports a transaction the node drops (a double spend) as not accepted', async () => {
    const { node, faucet } = await sharedRegtest();
    const owner = newAddress();
    const fundTxid = await faucet.fund(owner.address, 50_000n);
    const vout = (await node.rpc.getRawTransaction(fundTxid)).outs.findIndex((out) => Buffer.from(out.script).equals(Buffer.from(owner.output)));
    const spend = (to: string) => {
      const psbt = new bitcoin.Psbt({ network })
        .addInput({ hash: fundTxid, index: vout, witnessUtxo: { script: owner.output, value: 50_000n } })
        .addOutput({ address: to, value: 49_000n });
      return psbt.signAllInputs(owner.key).finalizeAllInputs().extractTransaction().toHex();
    };
    await node.rpc.sendRawTransaction(spend(newAddress().address));
    const error = await rejectionOf(node.rpc.sendRawTransaction(spend(newAddress().address), { acceptTimeoutMs: 300 }));
    expect(error).to.be.instanceOf(RpcCallError);
    expect((error as RpcCallError).rpcCode).to.equal(-26);
    expect(error.message).to.match(/^Bitcoin node at http:\/\/127\.0\.0\.1:\d+: sendrawtransaction failed \(-26\): transaction [0-9a-f]{64} was not accepted/);
  });

  it('reads a range of blocks in one batch each of hashes and blocks, the same as one call per block', async () => {
    const { node, faucet } = await sharedRegtest();
    const txid = await faucet.fund(newAddress().address, 10_000n);
    const [minedHash] = await faucet.mine(1);
    const tip = await node.rpc.getBlockCount();
    const read = await node.rpc.getBlocks(tip - 11, tip);
    expect(read.map(({ height }) => height)).to.deep.equal(Array.from({ length: 12 }, (_, index) => tip - 11 + index));
    for (const { height, hash, block } of read) {
      expect(hash).to.equal(await node.rpc.getBlockHash(height));
      expect(block.toHex()).to.equal((await node.rpc.getBlock(hash)).toHex());
    }
    expect(read.at(-1)!.hash).to.equal(minedHash);
    expect(read.at(-1)!.block.transactions!.map((tx) => tx.getId())).to.include(txid);
    expect(await node.rpc.getBlocks(tip + 1, tip)).to.deep.equal([]);

    // One height past the tip fails the whole read, as that call alone would.
    const error = await rejectionOf(node.rpc.getBlocks(tip - 1, tip + 1));
    expect(error).to.be.instanceOf(RpcCallError);
    expect(error.message).to.include(`Bitcoin node at http://127.0.0.1:${node.rpcPort}: getblockhash failed (`);
  });

  it('reports an RPC error with its code, the method and the node, never the password', async () => {
    const { node } = await sharedRegtest();
    const error = await rejectionOf(node.rpc.getBlockHash(10_000_000));
    expect(error).to.be.instanceOf(RpcCallError);
    expect((error as RpcCallError).rpcCode).to.be.a('number').and.not.equal(0);
    expect(error.message).to.include(`Bitcoin node at http://127.0.0.1:${node.rpcPort}: getblockhash failed (`);
    expect(error.message).to.not.include(node.password);
  });

  it('connects from host, port and credentials as well as from a URL', async () => {
    const { node } = await sharedRegtest();
    const rpc = new BitcoinRpc({ host: '127.0.0.1', port: node.rpcPort, username: 'anyone', password: node.password });
    expect(await rpc.getBlockCount()).to.equal(await node.rpc.getBlockCount());
    expect(rpc.displayUrl).to.equal(`http://127.0.0.1:${node.rpcPort}`);
  });

  it('rejects a malformed RPC URL without echoing it', () => {
    for (const url of ['not a url', 'https://u:hunter2@127.0.0.1:1', 'ftp://u:hunter2@127.0.0.1:1']) {
      expect(() => new BitcoinRpc(url)).to.throw(ValidationError).that.satisfies((error: Error) => !error.message.includes('hunter2'));
    }
  });

  it('says in words why a connection failed: one the server resets (another service on the port) as connection reset', async () => {
    const resetting = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
    const port = (resetting.address() as { port: number }).port;
    try {
      const error = await rejectionOf(new BitcoinRpc(`http://u:hunter2@127.0.0.1:${port}`).getBlockCount());
      expect(error).to.be.instanceOf(RpcUnreachableError);
      expect(error.message).to.equal(`Bitcoin node at http://127.0.0.1:${port} is unreachable (connection reset)`);
    } finally {
      await new Promise((resolve) => resetting.close(resolve));
    }
  });

  it('reports a node that accepts connections but never answers as unreachable once the timeout passes, saying so in words', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const error = await rejectionOf(new BitcoinRpc(`http://u:hunter2@127.0.0.1:${port}`, { timeoutMs: 300 }).getBlockCount());
      expect(error).to.be.instanceOf(RpcUnreachableError);
      expect(error.message).to.equal(`Bitcoin node at http://127.0.0.1:${port} is unreachable (no answer within 0.3 s)`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("ends the wait on a node that never answers once the caller's signal aborts, failing with the signal's reason rather than calling the node unreachable", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const asked = new Promise((resolve) => silent.once('connection', resolve));
    const stop = new AbortController();
    const reason = new Error('asked to stop');
    try {
      const waiting = rejectionOf(new BitcoinRpc(`http://u:hunter2@127.0.0.1:${port}`).getBlockchainInfo(stop.signal));
      await asked;
      stop.abort(reason);
      expect(await waiting).to.equal(reason);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('asks whether a server answering HTTP 404 (a member\'s API, say) is a Bitcoin node at all', async () => {
    // As a member's API answers a path it does not serve, and as a plain web server does.
    let plain = false;
    const other = createHttpServer((_request, response) => {
      plain = !plain;
      if (plain) response.writeHead(404).end('Not Found');
      else response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not-found","message":"no route"}}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const port = (other.address() as { port: number }).port;
    try {
      for (let answer = 0; answer < 2; answer++) {
        const error = await rejectionOf(new BitcoinRpc(`http://u:p@127.0.0.1:${port}`).getBlockCount());
        expect(error).to.be.instanceOf(RpcUnreachableError);
        expect(error.message).to.equal(`Bitcoin node at http://127.0.0.1:${port} is unreachable (it answers HTTP, but not as a Bitcoin node: is that a Bitcoin node's RPC address?)`);
      }
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('asks every question of one client over one kept-alive connection, one after another or in a batch', async () => {
    const { node } = await sharedRegtest();
    await throughRelay(node.rpcPort, async (port, connections) => {
      const rpc = new BitcoinRpc(`http://strongbox:${encodeURIComponent(node.password)}@127.0.0.1:${port}`);
      const tip = await rpc.getBlockCount();
      for (let call = 0; call < 20; call++) expect(await rpc.getBestBlockHash()).to.equal(await node.rpc.getBestBlockHash());
      expect(await rpc.getBlocks(tip - 2, tip)).to.have.length(3);
      expect(connections).to.have.length(1);
    });
  });

  it('closes a connection left idle before the node does, and asks the next question over a new one', async () => {
    const { node } = await sharedRegtest();
    await throughRelay(node.rpcPort, async (port, connections) => {
      const rpc = new BitcoinRpc(`http://strongbox:${encodeURIComponent(node.password)}@127.0.0.1:${port}`);
      await rpc.getBestBlockHash();
      // The client closes it after 4 s idle, told by bcoin's Keep-Alive header that the node
      // does at 5 s: a question sent at that moment would meet a connection being closed.
      expect(await connections[0]!.clientEnded).to.deep.equal({ nodeEndedFirst: false });
      expect(await rpc.getBestBlockHash()).to.equal(await node.rpc.getBestBlockHash());
      expect(connections).to.have.length(2);
    });
  });

  it('asks once more, on a new connection, a question that met its kept-alive connection closed under it', async () => {
    const { node } = await sharedRegtest();
    // Between client and node, a relay that answers the first question of each connection and
    // resets the connection when a second one comes on it, as a node closing it at that moment does.
    const questionsOn = new Map<Socket, number>();
    const closing = createHttpServer(async (request, response) => {
      const asked = (questionsOn.get(request.socket) ?? 0) + 1;
      questionsOn.set(request.socket, asked);
      if (asked > 1) return request.socket.resetAndDestroy();
      const answer = await fetch(`http://127.0.0.1:${node.rpcPort}/`, { method: 'POST', headers: { authorization: request.headers.authorization ?? '', 'content-type': 'application/json' }, body: await bodyOf(request) });
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
    });
    await listening(closing, async (port) => {
      const rpc = new BitcoinRpc(`http://strongbox:${encodeURIComponent(node.password)}@127.0.0.1:${port}`);
      await rpc.getBestBlockHash();
      expect(await rpc.getBestBlockHash()).to.equal(await node.rpc.getBestBlockHash());
      expect([...questionsOn.values()]).to.deep.equal([2, 1]);
    });
  });

  it('does not ask again a question whose new connection the node resets', async () => {
    let connections = 0;
    const resetting = createServer((socket) => {
      connections++;
      socket.resetAndDestroy();
    });
    await listening(resetting, async (port) => {
      const error = await rejectionOf(new BitcoinRpc(`http://u:p@127.0.0.1:${port}`).getBlockCount());
      expect(error).to.be.instanceOf(RpcUnreachableError);
      expect(connections).to.equal(1);
    });
  });

  it("matches a batch's answers to its calls by id, whatever order the node writes them in", async () => {
    const { node } = await sharedRegtest();
    // Between client and node, a relay that writes a batch's answers last first, as JSON-RPC allows.
    const reversing = createHttpServer(async (request, response) => {
      const answer = await fetch(`http://127.0.0.1:${node.rpcPort}/`, { method: 'POST', headers: { authorization: request.headers.authorization ?? '', 'content-type': 'application/json' }, body: await bodyOf(request) });
      const body = (await answer.json()) as unknown;
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(Array.isArray(body) ? body.reverse() : body));
    });
    await listening(reversing, async (port) => {
      const rpc = new BitcoinRpc(`http://strongbox:${encodeURIComponent(node.password)}@127.0.0.1:${port}`);
      const tip = await node.rpc.getBlockCount();
      const read = await rpc.getBlocks(tip - 4, tip);
      expect(read.map(({ height, hash }) => [height, hash])).to.deep.equal(await Promise.all(read.map(async ({ height }) => [height, await node.rpc.getBlockHash(height)])));
    });
  });

  it("connects with a password and no user name, as bcoin's API key is given", async () => {
    const { node } = await sharedRegtest();
    const rpc = new BitcoinRpc(`http://:${encodeURIComponent(node.password)}@127.0.0.1:${node.rpcPort}`);
    expect(await rpc.getBlockCount()).to.equal(await node.rpc.getBlockCount());
  });

  it('asks whether a server answering HTTP 200 with something other than JSON-RPC (a web page, say) is a Bitcoin node at all', async () => {
    let page = false;
    const web = createHttpServer((_request, response) => {
      page = !page;
      if (page) response.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome</body></html>');
      else response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
    await listening(web, async (port) => {
      for (let answer = 0; answer < 2; answer++) {
        const error = await rejectionOf(new BitcoinRpc(`http://u:p@127.0.0.1:${port}`).getBlockCount());
        expect(error).to.be.instanceOf(RpcUnreachableError);
        expect(error.message).to.equal(`Bitcoin node at http://127.0.0.1:${port} is unreachable (it answers HTTP, but not as a Bitcoin node: is that a Bitcoin node's RPC address?)`);
      }
    });
  });
});
