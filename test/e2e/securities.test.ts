import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressPayload } from '../../sidechain/address.ts';
import { BTC_ASSET_ID, BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import { offerFromJson, offerToJson } from '../../sidechain/dvp-offer.ts';
import { decodeTransaction, encodeTransaction } from '../../sidechain/transaction/codec.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import type { DividendBody, Output, Transaction, TransferBody } from '../../sidechain/transaction/types.ts';
import { issuerAuthorization } from '../../federation/roles/issuer-request.ts';
import { acceptOffer } from '../../federation/wallet/dvp.ts';
import { buildTransfer, selectCoins } from '../../federation/wallet/build-transfer.ts';
import { readKeyFile } from '../../federation/key-file.ts';
import { encodeMessage, signProposal } from '../../federation/consensus/index.ts';
import { startPeerTransport, type PeerTransport } from '../../federation/transport/index.ts';
import { blockHash } from '../../sidechain/block-header.ts';
import { decodeBlock, encodeBlock, transactionRoot } from '../../sidechain/block.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { readOfferHolds, readWalletFile, type Wallet } from '../../federation/wallet/wallet-file.ts';
import { takePidLock } from '../../federation/pid-lock.ts';
import { eventually, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { runCli, startCli } from '../helpers/cli.ts';
import { pegIn } from '../helpers/pegged-btc.ts';

const CONSENSUS_PAYLOAD = 1;

/**
 * Issuance, allowlists, delivery versus payment, dividends and registry roles, as users drive
 * them through the `strongbox` command against five member processes, with every refusal the
 * ledger and the API owe them. The tests share one network and run in order.
 */
describe('securities through the CLI against five members', function () {
  this.timeout(300_000);
  let net: TestNetwork;
  let dir: string;
  let flags: string[];
  const files: Record<string, string> = {};
  const addresses: Record<string, string> = {};
  let asset: string;
  let issuedAt: number;
  let otherAsset: string;
  // The 2-decimal bond the issuer issues: its amounts are shown with their decimal figure.
  let bond: { asset: string; txid: string; height: number };
  let recordHeight: number;

  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
  const wallet = (name: string): Wallet => readWalletFile(files[name]!);

  async function ok(args: string[], extra: string[] = flags): Promise<Record<string, any>> {
    const result = await runCli([...args, '--json', ...extra]);
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).to.equal(0);
    return JSON.parse(result.stdout) as Record<string, any>;
  }

  async function refused(args: string[], message: RegExp, extra: string[] = flags): Promise<void> {
    const result = await runCli([...args, ...extra]);
    expect(result.code, `${args.join(' ')} should be refused; stdout: ${result.stdout}`).to.equal(1);
    expect(result.stderr).to.match(/^strongbox: [^\n]+\n$/);
    expect(result.stderr).to.match(message);
  }

  /** The issuer's dividend of 1000 sats at the record height, with alice's and bob's shares swapped. */
  async function skewedDividend(): Promise<Transaction> {
    const issuer = wallet('issuer');
    const { inputs, change } = selectCoins(await net.clients[0]!.utxos(issuer.address), BTC_ASSET_ID, 1000n);
    const owner = (name: string) => addressPayload(addresses[name]!);
    const skewed: Output[] = [
      { owner: owner('alice'), asset: BTC_ASSET_ID, amount: 333n },
      { owner: owner('bob'), asset: BTC_ASSET_ID, amount: 556n },
      { owner: owner('carol'), asset: BTC_ASSET_ID, amount: 111n },
    ].sort((a, b) => hex(a.owner).localeCompare(hex(b.owner)));
    const body: DividendBody = { kind: 'dividend', asset: Buffer.from(asset, 'hex'), recordHeight, inputs, outputs: change > 0n ? [...skewed, { owner: issuer.owner, asset: BTC_ASSET_ID, amount: change }] : skewed };
    return { ...body, witnesses: inputs.map((_, inputIndex) => keyWitness(net.genesis.chainId, body, issuer.keys.seed, { inputIndex })) };
  }

  /** Waits until every member holds the highest block any of them holds: a command reports a block final from one member, and the others store it moments later. */
  async function membersAtTip(): Promise<void> {
    const tip = Math.max(...(await Promise.all(net.clients.map(async (client) => (await client.status()).height))));
    await eventually(`every member at height ${tip}`, async () => (await Promise.all(net.clients.map(async (client) => (await client.status()).height))).every((height) => height >= tip));
  }

  /** An address's balance of one asset, the same on every member (or the test fails). */
  async function balance(name: string, assetKey: string): Promise<bigint> {
    await membersAtTip();
    const all = await Promise.all(net.clients.map(async (client) => (await client.balances(addresses[name]!)).find((b) => b.asset === assetKey)?.amount ?? 0n));
    expect(new Set(all.map(String)).size, `${name} has one balance of ${assetKey} on every member: ${all}`).to.equal(1);
    return all[0]!;
  }

  async function submitEverywhere(tx: Transaction): Promise<{ status: number; code: string; message: string }[]> {
    const hexTx = hex(encodeTransaction(tx));
    return Promise.all(
      net.clients.map(async (client) => {
        const response = await fetch(`${client.baseUrl}/tx`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hex: hexTx }) });
        const body = (await response.json()) as { error?: { code: string; message: string } };
        return { status: response.status, code: body.error?.code ?? '', message: body.error?.message ?? '' };
      }),
    );
  }

  before(async () => {
    net = await startTestNetwork(5);
    dir = mkdtempSync(join(tmpdir(), 'strongbox-securities-'));
    flags = ['--member', net.network.network.members[1]!.apiUrl, '--genesis', net.network.network.genesisFile!];
    for (const name of ['issuer', 'alice', 'bob', 'carol', 'dave']) {
      files[name] = join(dir, `${name}.json`);
      addresses[name] = (JSON.parse((await runCli(['wallet', 'new', '--file', files[name]!, '--json'])).stdout) as { address: string }).address;
    }
    await pegIn(net, [
      { address: addresses.issuer!, sats: 1_000_000n },
      { address: addresses.bob!, sats: 200_000n },
      { address: addresses.dave!, sats: 100_000n },
    ]);
  });
  after(async () => {
    await net?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('issuance', () => {
    it('issues a restricted, reissuable share and issues more with the issuer key', async () => {
      const issued = await ok(['issue', '--name', 'Acme AB', '--isin', 'US0378331005', '--kind', 'share', '--supply', '1000', '--restricted', '--reissuable', '--file', files.issuer!]);
      asset = issued.asset as string;
      issuedAt = issued.height as number;
      const reissued = await ok(['reissue', '--asset', asset, '--amount', '500', '--file', files.issuer!]);
      // Without --to the issuer receives them, and is named as a recipient given with --to would be.
      expect(reissued).to.include({ supply: '1500', sequence: '1', to: addresses.issuer });
      await membersAtTip();
      for (const client of net.clients) expect(await client.asset(asset)).to.include({ supply: 1500n, sequence: 1n, restricted: true, reissuable: true, isin: 'US0378331005' });
      expect(await balance('issuer', asset)).to.equal(1500n);
    });

    it('refuses a name the chain cannot hold before anything is signed, counting bytes of UTF-8 as the chain does', async () => {
      // 64 bytes: "é" is two, so 63 characters; one byte more is refused, and so is no name at all.
      const longest = `é${'A'.repeat(62)}`;
      for (const [name, bytes] of [[`${longest}A`, 65], ['', 0]] as const) {
        await refused(['issue', '--name', name, '--isin', 'DE000BAY0017', '--decimals', '2', '--supply', '12345', '--file', files.issuer!], new RegExp(`^strongbox: --name must be 1 to 64 bytes of UTF-8 \\(the chain's limit\\), got ${bytes} bytes\n$`));
      }
      // A line break would let a name pass for more lines of `wallet show` and every other listing: refused, shown escaped.
      await refused(['issue', '--name', 'Fake\n  9999 of Acme AB', '--isin', 'DE000BAY0017', '--supply', '12345', '--file', files.issuer!], /^strongbox: --name is one line of text, without control characters or direction marks: got "Fake\\x0a  9999 of Acme AB"\n$/);
      expect(await net.clients[2]!.assetsWithIsin('DE000BAY0017')).to.deep.equal([]);
      const issued = await ok(['issue', '--name', longest, '--isin', 'DE000BAY0017', '--decimals', '2', '--supply', '12345', '--file', files.issuer!]);
      bond = { asset: issued.asset as string, txid: issued.txid as string, height: issued.height as number };
      await membersAtTip();
      for (const client of net.clients) expect(await client.asset(issued.asset as string)).to.include({ name: longest, height: issued.height });
      // Its register shows the issuer the decimal figure beside base units, and takes the id in capitals as addresses are taken.
      const shown = await runCli(['registry', 'holders', '--asset', (issued.asset as string).toUpperCase(), '--file', files.issuer!, ...flags]);
      expect(shown.code, shown.stderr).to.equal(0);
      expect(shown.stdout).to.match(new RegExp(`^holders of ${longest} \\(DE000BAY0017\\) ${issued.asset as string} after block \\d+ \\(12345 base units \\(123\\.45\\) outstanding\\):\n  base units  amount  address\n       12345  123\\.45  ${addresses.issuer}\n$`));
    });

    it('refuses a re-issuance signed by any other key, and the supply stays', async () => {
      await refused(['reissue', '--asset', asset, '--amount', '5', '--file', files.alice!], new RegExp(`only the issuer of asset ${asset} may re-issue it or change its allowlist`));
      for (const client of net.clients) expect((await client.asset(asset)).supply).to.equal(1500n);
    });

    it('refuses to re-issue a security issued without re-issuance', async () => {
      otherAsset = (await ok(['issue', '--name', 'Beta Fund', '--isin', 'SE0000108656', '--kind', 'fund', '--supply', '50', '--file', files.alice!])).asset as string;
      await refused(['reissue', '--asset', otherAsset, '--amount', '5', '--file', files.alice!], new RegExp(`^strongbox: Beta Fund \\(SE0000108656\\) ${otherAsset} was issued without re-issuance: its supply is fixed\n$`));
      await membersAtTip();
      expect((await net.clients[3]!.asset(otherAsset)).supply).to.equal(50n);
      // Nor has an unrestricted security an allowlist to change: refused before anything is sent.
      await refused(['allowlist', 'add', addresses.bob!, '--asset', otherAsset, '--file', files.alice!], /^strongbox: Beta Fund \(SE0000108656\) is not restricted: anyone may hold it, so an allowlist changes nothing/);
      expect((await net.clients[3]!.asset(otherAsset)).sequence).to.equal(0n);
    });
  });

  describe('transfer restrictions', () => {
    it('refuses a transfer to an address not on the allowlist', async () => {
      await refused(['send', '--asset', asset, '--to', addresses.alice!, '--amount', '600', '--file', files.issuer!], new RegExp(`^strongbox: output [0-9a-f]{64}:0 pays ${addresses.alice}, which is not on the allowlist of Acme AB \\(US0378331005\\) ${asset}\n$`));
      expect(await balance('alice', asset)).to.equal(0n);
    });

    it('refuses an allowlist change by anyone but the issuer', async () => {
      await refused(['allowlist', 'add', addresses.alice!, '--asset', asset, '--file', files.alice!], new RegExp(`only the issuer of asset ${asset} may re-issue it or change its allowlist`));
      for (const client of net.clients) expect((await client.asset(asset)).sequence).to.equal(1n);
    });

    it('delivers to holders the issuer admits, and no longer once one is removed', async () => {
      // An address named twice (here once in capitals) is refused by name before anything is signed.
      await refused(['allowlist', 'add', addresses.alice!, addresses.bob!, addresses.alice!.toUpperCase(), '--asset', asset, '--file', files.issuer!], new RegExp(`^strongbox: ${addresses.alice} is given twice: name each address once\n$`));
      for (const client of net.clients) expect((await client.asset(asset)).sequence).to.equal(1n);
      const added = await ok(['allowlist', 'add', addresses.alice!, addresses.bob!, addresses.carol!, '--asset', asset, '--file', files.issuer!]);
      expect(added).to.include({ sequence: '2', action: 'add' });
      // Adding what is there already would spend a transaction that changes nothing: refused, or left out.
      await refused(['allowlist', 'add', addresses.alice!, '--asset', asset, '--file', files.issuer!], new RegExp(`^strongbox: nothing to add: ${addresses.alice} already on the allowlist of Acme AB \\(US0378331005\\) ${asset}\n$`));
      // An asset id is taken in capitals too, as addresses are.
      for (const [name, amount, given] of [['alice', '600', asset], ['bob', '200', asset.toUpperCase()], ['carol', '100', asset]] as const) {
        await ok(['send', '--asset', given, '--to', addresses[name]!, '--amount', amount, '--file', files.issuer!]);
      }
      expect(await ok(['allowlist', 'remove', addresses.carol!, '--asset', asset, '--file', files.issuer!])).to.include({ sequence: '3' });
      await refused(['allowlist', 'remove', addresses.carol!, '--asset', asset, '--file', files.issuer!], new RegExp(`^strongbox: nothing to remove: ${addresses.carol} not on the allowlist of Acme AB \\(US0378331005\\) ${asset}\n$`));
      await refused(['send', '--asset', asset, '--to', addresses.carol!, '--amount', '1', '--file', files.issuer!], /not on the allowlist/);
      expect([await balance('alice', asset), await balance('bob', asset), await balance('carol', asset), await balance('issuer', asset)]).to.deep.equal([600n, 200n, 100n, 600n]);
    });

    it('takes the issuer off its own allowlist only with --include-issuer, saying what it stops; re-issuing to the issuer then fails until it is back', async () => {
      // Named in capitals, the issuer is still recognised, and the whole command is refused: bob stays on too.
      await refused(
        ['allowlist', 'remove', addresses.issuer!.toUpperCase(), addresses.bob!, '--asset', asset, '--file', files.issuer!],
        new RegExp(`^strongbox: ${addresses.issuer} is the issuer of Acme AB \\(US0378331005\\): off its allowlist the issuer receives none of it, so \`strongbox reissue\` to the issuer and every delivery to it \\(a buy-back, a dvp it accepts\\) are refused until it is added back, though it can still send what it holds; add --include-issuer to remove it anyway\n$`),
      );
      for (const client of net.clients) expect((await client.asset(asset)).sequence).to.equal(3n);
      // The asset id in capitals is read as the chain writes it.
      const removed = await ok(['allowlist', 'remove', addresses.issuer!, '--include-issuer', '--asset', asset.toUpperCase(), '--file', files.issuer!]);
      expect(removed).to.include({ asset, sequence: '4' });
      await refused(['reissue', '--asset', asset, '--amount', '5', '--file', files.issuer!], new RegExp(`pays ${addresses.issuer}, which is not on the allowlist of Acme AB \\(US0378331005\\) ${asset}\n$`));
      expect(await ok(['allowlist', 'add', addresses.issuer!, '--asset', asset, '--file', files.issuer!])).to.include({ sequence: '5' });
      await membersAtTip();
      for (const client of net.clients) expect(await client.asset(asset)).to.include({ supply: 1500n, sequence: 5n });
    });

    it('shows the issuer its allowlist, and refuses it to a holder', async () => {
      const view = await ok(['registry', 'allowlist', '--asset', asset, '--file', files.issuer!]);
      expect(view).to.include({ restricted: true });
      expect(view.addresses).to.have.members([addresses.issuer, addresses.alice, addresses.bob]);
      const shown = await runCli(['registry', 'allowlist', '--asset', asset, '--file', files.issuer!, ...flags]);
      expect(shown.stdout).to.match(new RegExp(`^allowlist of Acme AB \\(US0378331005\\) ${asset} after block \\d+ \\(3 addresses\\):\n`));
      await refused(['registry', 'allowlist', '--asset', asset, '--file', files.alice!], new RegExp(`only the issuer of asset ${asset}, auditors and regulators see its allowlist`));
    });
  });

  describe('delivery versus payment', () => {
    const offerFile = (n: number) => join(dir, `offer-${n}.json`);
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

    it('swaps shares for pegged BTC in one transaction: the seller offers, the buyer accepts', async () => {
      const offer = await ok(['dvp', 'offer', '--asset', asset.toUpperCase(), '--amount', '100', '--price', '50000', '--out', offerFile(1), '--file', files.alice!]);
      expect(offer).to.include({ asset, amount: '100', price: '50000' });
      // The buyer reads what the offer gives and asks before paying anything.
      const shown = await runCli(['dvp', 'show', '--offer', offerFile(1), ...flags]);
      expect(shown.code, shown.stderr).to.equal(0);
      const [gives, asks, , state, buyers, end] = shown.stdout.split('\n');
      expect(gives).to.match(new RegExp(`^gives: +100 of \\S.* \\(US\\w+\\) ${asset}$`));
      expect(asks).to.equal(`asks:     50000 sats of pegged BTC (0.00050000 BTC), paid to the seller ${addresses.alice}`);
      expect(state).to.match(/^state: +open; signed by the owner of [0-9a-f]{64}:\d+$/);
      // A restricted security: the buyer learns before paying that only allowlisted addresses may take it.
      expect([buyers, end]).to.deep.equal(["buyers:   only addresses on the security's allowlist, which its issuer keeps: dvp accept by any other is refused", '']);
      expect(await ok(['dvp', 'show', '--offer', offerFile(1)])).to.include({ state: 'open', restricted: true });
      const accepted = await ok(['dvp', 'accept', '--offer', offerFile(1), '--file', files.bob!]);
      expect(accepted).to.include({ asset, amount: '100', price: '50000' });
      const taken = await ok(['dvp', 'show', '--offer', offerFile(1)]);
      expect(taken).to.include({ state: 'taken' });
      expect(taken.spentBy).to.deep.equal({ txid: accepted.txid, height: accepted.height });
      const takenLine = await runCli(['dvp', 'show', '--offer', offerFile(1), ...flags]);
      expect(takenLine.stdout.split('\n')[3]).to.equal(`state:    taken by ${accepted.txid as string}, final at height ${accepted.height as number}`);
      expect([await balance('alice', asset), await balance('alice', BTC_ASSET_KEY)]).to.deep.equal([500n, 50_000n]);
      expect([await balance('bob', asset), await balance('bob', BTC_ASSET_KEY)]).to.deep.equal([300n, 150_000n]);
    });

    it('refuses a taken offer whose file was changed afterwards (its price lowered) as changed, in dvp show and dvp accept, rather than showing it as the offer taken', async () => {
      const offer = offerFromJson(JSON.parse(readFileSync(offerFile(1), 'utf8')));
      const edited = join(dir, 'offer-1-edited.json');
      writeFileSync(edited, `${JSON.stringify(offerToJson({ ...offer, payment: { ...offer.payment, amount: 1n } }), null, 2)}\n`);
      const changed = /^strongbox: the offer is not signed by the owner of the offered coin over what it says: the file was changed after it was signed \(its price, payee, expiry or coin\), or another key signed it \(.*\); do not pay it: ask the seller for the offer again\n$/;
      await refused(['dvp', 'show', '--offer', edited], changed);
      const before = [await balance('bob', asset), await balance('bob', BTC_ASSET_KEY)];
      await refused(['dvp', 'accept', '--offer', edited, '--file', files.bob!], changed);
      expect([await balance('bob', asset), await balance('bob', BTC_ASSET_KEY)]).to.deep.equal(before);
    });

    it('refuses to replay a completed offer, from the CLI and as the raw transaction', async () => {
      await refused(['dvp', 'accept', '--offer', offerFile(1), '--file', files.bob!], /the offer was taken by [0-9a-f]{64}, final at height \d+: its coin [0-9a-f]{64}:\d+ is spent/);
      const offer = offerFromJson(JSON.parse(readFileSync(offerFile(1), 'utf8')));
      // Alice's payment is output 0 of the swap: its transaction is the completed offer.
      const utxos = await net.clients[0]!.utxos(addresses.alice!);
      const paid = utxos.find((u) => u.asset === BTC_ASSET_KEY && u.amount === 50_000n)!;
      const swap = (await (await fetch(`${net.clients[0]!.baseUrl}/tx/${paid.txid}`)).json()) as { hex: string; height: number };
      // Sent again, the very transaction is named as final, not as spending a missing input.
      const replies = await Promise.all(net.clients.map(async (client) => {
        const reply = await fetch(`${client.baseUrl}/tx`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hex: swap.hex }) });
        return [reply.status, await reply.json()];
      }));
      for (const reply of replies) expect(reply).to.deep.equal([409, { error: { code: 'already-final', message: `transaction ${paid.txid} is already final at height ${swap.height}` } }]);
      const completed = decodeTransaction(new Uint8Array(Buffer.from(swap.hex, 'hex')));
      expect('inputs' in completed && completed.inputs.some((input) => hex(input.txid) === hex(offer.input.txid) && input.index === offer.input.index)).to.equal(true);
      // The offered coin's outpoint names the swap as its spender.
      const coin = `${hex(offer.input.txid)}:${offer.input.index}`;
      const gone = await fetch(`${net.clients[0]!.baseUrl}/outputs/${coin.replace(':', '/')}`);
      expect([gone.status, await gone.json()]).to.deep.equal([404, { error: { code: 'spent', message: `output ${coin} was spent by transaction ${paid.txid} at height ${swap.height}` } }]);
      const [inBatch] = await net.clients[0]!.submitMany([completed]);
      expect(inBatch).to.deep.equal({ status: 'refused', error: { code: 'already-final', message: `transaction ${paid.txid} is already final at height ${swap.height}` } });
      expect([await balance('bob', asset), await balance('alice', BTC_ASSET_KEY)]).to.deep.equal([300n, 50_000n]);
    });

    it('refuses a wrong price or a missing leg: neither leg happens', async () => {
      await ok(['dvp', 'offer', '--asset', asset, '--amount', '100', '--price', '50000', '--out', offerFile(2), '--file', files.alice!]);
      // The offer's coin split is final on member 1, which the command asked; the others, read and sent to below, store its block moments later.
      await membersAtTip();
      const offer = offerFromJson(JSON.parse(readFileSync(offerFile(2), 'utf8')));
      const coin = await net.clients[0]!.output(hex(offer.input.txid), offer.input.index);
      const bob = wallet('bob');
      const payWith = selectCoins(await net.clients[0]!.utxos(bob.address), BTC_ASSET_ID, offer.payment.amount);
      const swap = acceptOffer(net.genesis.chainId, offer, { owner: addressPayload(coin.address), asset: coin.asset, amount: coin.amount }, bob, payWith) as Transaction & TransferBody;
      const [payment, delivery, change] = swap.outputs as [Output, Output, Output];
      const resigned = (outputs: Output[]): Transaction => {
        const body: TransferBody = { kind: 'transfer', inputs: swap.inputs, outputs };
        return { ...body, witnesses: [swap.witnesses[0]!, ...swap.inputs.slice(1).map((_, i) => keyWitness(net.genesis.chainId, body, bob.keys.seed, { inputIndex: i + 1 }))] };
      };
      const cases: [string, Transaction, string][] = [
        ['a lower price', resigned([{ ...payment, amount: 40_000n }, delivery, { ...change, amount: change.amount + 10_000n }]), 'bad-signature'],
        ['no payment leg', resigned([delivery, { ...change, amount: change.amount + payment.amount }]), 'bad-signature'],
        ['no delivery leg', resigned([payment, change]), 'value-not-conserved'],
      ];
      for (const [what, tx, code] of cases) {
        for (const reply of await submitEverywhere(tx)) expect([reply.status, reply.code], what).to.deep.equal([400, code]);
      }
      expect([await balance('alice', asset), await balance('alice', BTC_ASSET_KEY), await balance('bob', asset), await balance('bob', BTC_ASSET_KEY)]).to.deep.equal([500n, 50_000n, 300n, 150_000n]);
    });

    it('refuses a buyer who is not on the allowlist', async () => {
      await refused(
        ['dvp', 'accept', '--offer', offerFile(2), '--file', files.dave!],
        new RegExp(`^strongbox: this wallet \\(${addresses.dave}\\) is not on the allowlist of Acme AB \\(US0378331005\\), so the security cannot be delivered to it: only addresses its issuer has admitted may take it; ask the issuer to add this address \\(\`strongbox allowlist add\`\\), then accept again; nothing was sent\n$`),
      );
      expect([await balance('dave', asset), await balance('dave', BTC_ASSET_KEY)]).to.deep.equal([0n, 100_000n]);
    });

    it('refuses the seller accepting her own offer, pointing to dvp cancel', async () => {
      const before = [await balance('alice', asset), await balance('alice', BTC_ASSET_KEY)];
      await refused(['dvp', 'accept', '--offer', offerFile(2), '--file', files.alice!], /this wallet made the offer.*strongbox dvp cancel/);
      expect([await balance('alice', asset), await balance('alice', BTC_ASSET_KEY)]).to.deep.equal(before);
    });

    it('lets the seller withdraw an offer, which nobody can take afterwards', async () => {
      const cancelled = await ok(['dvp', 'cancel', '--offer', offerFile(2), '--file', files.alice!]);
      await refused(['dvp', 'accept', '--offer', offerFile(2), '--file', files.bob!], new RegExp(`the offer was withdrawn: the seller spent the coin in ${cancelled.txid as string}, final at height ${cancelled.height as number}`));
      expect(await ok(['dvp', 'show', '--offer', offerFile(2)])).to.deep.include({ state: 'withdrawn', spentBy: { txid: cancelled.txid, height: cancelled.height } });
      expect(await balance('alice', asset)).to.equal(500n);
    });

    it('withdraws an offer whose file is lost by the path it was written to, from the wallet file, and says so once it is withdrawn; a path of no offer of the wallet is refused naming those it has', async () => {
      const lost = join(dir, 'lost-offer.json');
      const made = await ok(['dvp', 'offer', '--asset', asset, '--amount', '100', '--price', '1000', '--out', lost, '--file', files.alice!]);
      rmSync(lost);
      const never = join(dir, 'never-written.json');
      await refused(['dvp', 'cancel', '--offer', never, '--file', files.alice!], new RegExp(`^strongbox: offer file: ${escape(never)} does not exist, and ${escape(files.alice!)} records no offer written there \\(its open offers were written to ${escape(lost)}\\): an offer whose file is lost is withdrawn by the path the file was written to\n$`));
      const cancelled = await ok(['dvp', 'cancel', '--offer', lost, '--file', files.alice!]);
      expect((await net.clients[1]!.utxos(wallet('alice').address)).map((coin) => `${coin.txid}:${coin.vout}`)).to.include(`${cancelled.txid as string}:0`).and.not.include(made.coin);
      expect(await balance('alice', asset)).to.equal(500n);
      await refused(['dvp', 'cancel', '--offer', lost, '--file', files.alice!], new RegExp(`^strongbox: the offer ${escape(lost)} was withdrawn: the seller spent the coin in ${cancelled.txid as string}, final at height ${cancelled.height as number}: its coin ${made.coin as string} is spent\n$`));
    });

    it('tells a wallet restored from its words, which lacks the records of the offers its former file made, how to withdraw an offer whose file is lost: by spending the coin it sells', async () => {
      const lost = join(dir, 'lost-before-restore.json');
      const made = await ok(['dvp', 'offer', '--asset', asset, '--amount', '100', '--price', '1000', '--out', lost, '--file', files.alice!]);
      rmSync(lost);
      const { words } = await ok(['wallet', 'words', '--file', files.alice!], []);
      const restored = join(dir, 'alice-restored.json');
      expect((await runCli(['wallet', 'restore', '--file', restored], { input: `${(words as string[]).join(' ')}\n` })).code).to.equal(0);
      const sendAll = ['send', '--asset', asset, '--amount', '500', '--to', addresses.alice!, '--file', restored];
      await refused(
        ['dvp', 'cancel', '--offer', lost, '--file', restored],
        new RegExp(
          `^strongbox: offer file: ${escape(lost)} does not exist, and ${escape(restored)} records no offer written there, nor any other: a wallet restored from its words, or copied before its offers were made, lacks the records of the wallet file that made them; an offer whose file is lost is withdrawn by its path with that wallet file; without it, spending the coin an offer sells withdraws the offer, and sending the wallet its whole holding of a security to itself spends every coin of it: (\`[^\`]+\`; )*\`strongbox ${escape(sendAll.join(' '))}\`(; \`[^\`]+\`)*\n$`,
        ),
      );
      await ok(sendAll);
      expect((await net.clients[1]!.utxos(addresses.alice!)).map((coin) => `${coin.txid}:${coin.vout}`)).to.not.include(made.coin);
      expect(await balance('alice', asset)).to.equal(500n);
    });

    it('refuses an expiry too short to reach a buyer, saying the minimum, and writes nothing', async () => {
      const height = (await net.clients[1]!.status()).height;
      await refused(['dvp', 'offer', '--asset', asset, '--amount', '100', '--price', '1000', '--expires-in', '99', '--out', offerFile(3), '--file', files.alice!], /^strongbox: --expires-in must be at least 100 blocks, got 99: a block is made whenever anyone sends a transaction, so a shorter offer can lapse before its buyer has read it\n$/);
      expect(existsSync(offerFile(3))).to.equal(false);
      expect((await net.clients[1]!.status()).height).to.equal(height);
      const help = await runCli(['dvp', 'offer', '--help']);
      expect(help.stdout.replace(/\s+/g, ' ')).to.include('--expires-in <blocks> blocks from the current tip (from the block of the coin it splits off, when it splits one) after which the offer lapses, at least 100 (blocks come with transactions, not with time)');
    });

    it('refuses an offer file it could not write before anything reaches the chain, saying why', async () => {
      const height = (await net.clients[1]!.status()).height;
      const coins = await net.clients[1]!.utxos(wallet('alice').address);
      const out = join(dir, 'no-such-folder', 'offer.json');
      // 7 units: no coin of that size, so the offer would first split one off in a transaction of its own.
      await refused(['dvp', 'offer', '--asset', asset, '--amount', '7', '--price', '1000', '--out', out, '--file', files.alice!], new RegExp(`^strongbox: cannot write ${escape(out)}: no such file or directory\n$`));
      expect((await net.clients[1]!.status()).height).to.equal(height);
      expect(await net.clients[1]!.utxos(wallet('alice').address)).to.deep.equal(coins);
    });

    it('refuses an offer past its expiry height', async () => {
      const offer = await ok(['dvp', 'offer', '--asset', asset, '--amount', '100', '--price', '1000', '--expires-in', '100', '--out', offerFile(3), '--file', files.alice!]);
      const expiry = offer.expiryHeight as number;
      // A block per payment the issuer makes to itself, straight to a member: the CLI would take a second each.
      const issuer = wallet('issuer');
      while ((await net.clients[1]!.status()).height < expiry) {
        const pay = buildTransfer(net.genesis.chainId, issuer, await net.clients[1]!.utxos(issuer.address), BTC_ASSET_ID, issuer.owner, 1000n);
        await net.clients[1]!.waitForFinal(await net.clients[1]!.submit(pay));
      }
      const height = (await net.clients[1]!.status()).height;
      const late = await runCli(['dvp', 'accept', '--offer', offerFile(3), '--file', files.bob!, ...flags]);
      expect(late.code).to.equal(1);
      // Refused before anything is sent: the member would refuse it too (the ledger's offer-expired rule).
      expect(late.stderr).to.equal(`strongbox: the offer expired: it was valid through block ${expiry}, and the chain is already at ${height}: no block can take it now; nothing was sent\n`);
      expect((await net.clients[1]!.status()).height).to.equal(height);
      expect(await balance('bob', asset)).to.equal(300n);
    });

    // Alice's 50 Beta Fund units back two offers of 20 at once; her other coins stay hers to send.
    const offeredCoinLine = (offer: Record<string, any>, file: string) => `coin ${offer.coin as string} backs the open offer ${file} (valid through block ${offer.expiryHeight as number})`;
    let fund: Record<string, any>[];
    let erinFund: string;

    it('gives each open offer of the same amount a coin of its own, and refuses one more naming the offer that holds the coin', async () => {
      fund = [await ok(['dvp', 'offer', '--asset', otherAsset, '--amount', '20', '--price', '1000', '--out', offerFile(4), '--file', files.alice!])];
      fund.push(await ok(['dvp', 'offer', '--asset', otherAsset, '--amount', '20', '--price', '1000', '--out', offerFile(5), '--file', files.alice!]));
      expect(fund[1]!.coin).to.not.equal(fund[0]!.coin);
      const height = (await net.clients[1]!.status()).height;
      await refused(
        ['dvp', 'offer', '--asset', otherAsset, '--amount', '20', '--price', '1000', '--out', offerFile(6), '--file', files.alice!],
        new RegExp(`^strongbox: the wallet's coins of Beta Fund \\(SE0000108656\\) ${otherAsset} that back no open offer hold 10, not 20: ${escape(offeredCoinLine(fund[0]!, offerFile(4)))}; a coin backs one offer at a time: withdraw an offer first \\(\`strongbox dvp cancel --offer <offer file>\`\\)\n$`),
      );
      expect(existsSync(offerFile(6))).to.equal(false);
      expect((await net.clients[1]!.status()).height).to.equal(height);
      for (const file of [offerFile(4), offerFile(5)]) expect(await ok(['dvp', 'show', '--offer', file])).to.include({ state: 'open', restricted: false });
      // Anyone may buy a security issued without --restricted: nothing is said of buyers.
      expect((await runCli(['dvp', 'show', '--offer', offerFile(4), ...flags])).stdout).to.not.include('buyers:');
      // The seller's wallet lists its open offers below its balances: what each sells, its file and its expiry.
      const shown = await runCli(['wallet', 'show', '--file', files.alice!, ...flags]);
      const offersShown = shown.stdout.split('\n').slice(shown.stdout.split('\n').indexOf('open DvP offers (their coins are in the balances; `strongbox dvp cancel --offer <file>` withdraws one):') + 1, -1);
      expect(offersShown.sort()).to.deep.equal(fund.map((offer, index) => `  20 of Beta Fund (SE0000108656) ${otherAsset} in ${offerFile(4 + index)}, valid through block ${offer.expiryHeight as number}`).sort());
      expect((await ok(['wallet', 'show', '--file', files.alice!])).openOffers).to.have.deep.members(
        fund.map((offer, index) => ({ offer: offerFile(4 + index), coin: offer.coin, asset: otherAsset, amount: '20', expiryHeight: offer.expiryHeight })),
      );
    });

    it('sends from the coins no offer holds, and spends an offered coin only with --spend-offered, naming the offer', async () => {
      await ok(['send', '--asset', otherAsset, '--to', addresses.dave!, '--amount', '10', '--file', files.alice!]);
      const height = (await net.clients[1]!.status()).height;
      await refused(
        ['send', '--asset', otherAsset, '--to', addresses.dave!, '--amount', '15', '--file', files.alice!],
        new RegExp(`^strongbox: the wallet's coins of Beta Fund \\(SE0000108656\\) ${otherAsset} that back no open offer hold 0, not 15: ${escape(offeredCoinLine(fund[0]!, offerFile(4)))}; spending an offered coin leaves its offer unable ever to settle: withdraw the offer first \\(\`strongbox dvp cancel --offer <offer file>\`\\), or send with --spend-offered\n$`),
      );
      expect([(await net.clients[1]!.status()).height, await balance('alice', otherAsset)]).to.deep.equal([height, 40n]);
      // The offer the refusal named is the one whose coin the send then spends, and the send says so; the other stays open.
      // The recipient given in capitals is echoed in lowercase, as the chain writes it.
      const said = await runCli(['send', '--asset', otherAsset, '--to', addresses.dave!.toUpperCase(), '--amount', '15', '--spend-offered', '--file', files.alice!, ...flags]);
      expect(said.code, said.stderr).to.equal(0);
      const sent = new RegExp(`^sent 15 of Beta Fund \\(SE0000108656\\) ${otherAsset} to ${addresses.dave}: ([0-9a-f]{64}) final at height (\\d+)\nwithdrew the offer ${escape(offerFile(4))}: its coin ${fund[0]!.coin as string} is spent, so nobody can take it\n$`).exec(said.stdout);
      expect(sent, said.stdout).to.not.equal(null);
      expect(await ok(['dvp', 'show', '--offer', offerFile(4)])).to.deep.include({ state: 'withdrawn', spentBy: { txid: sent![1], height: Number(sent![2]) } });
      expect(await ok(['dvp', 'show', '--offer', offerFile(5)])).to.include({ state: 'open' });
      // The wallet file keeps the record of the open offer only.
      expect(readOfferHolds(files.alice!).map((hold) => hold.offer)).to.deep.equal([offerFile(5)]);
      expect([await balance('alice', otherAsset), await balance('dave', otherAsset)]).to.deep.equal([25n, 25n]);
    });

    it('names a security as its issuer registered it, and its amounts with their decimal figure, when offered coins are in the way or all it holds falls short', async () => {
      const offered = await ok(['dvp', 'offer', '--asset', bond.asset, '--amount', '5000', '--price', '1000', '--out', offerFile(7), '--file', files.issuer!]);
      const height = (await net.clients[1]!.status()).height;
      await refused(
        ['send', '--asset', bond.asset, '--to', addresses.dave!, '--amount', '8000', '--file', files.issuer!],
        new RegExp(`^strongbox: the wallet's coins of é${'A'.repeat(62)} \\(DE000BAY0017\\) ${bond.asset} that back no open offer hold 7345 base units \\(73\\.45\\), not 8000 base units \\(80\\.00\\): ${escape(offeredCoinLine(offered, offerFile(7)))}; spending an offered coin`),
      );
      for (const spendOffered of [[], ['--spend-offered']]) {
        await refused(
          ['send', '--asset', bond.asset, '--to', addresses.dave!, '--amount', '99999999', ...spendOffered, '--file', files.issuer!],
          new RegExp(`^strongbox: the wallet holds 12345 base units \\(123\\.45\\) of é${'A'.repeat(62)} \\(DE000BAY0017\\) ${bond.asset}, not 99999999 base units \\(999999\\.99\\)\n$`),
        );
      }
      await refused(
        ['dvp', 'offer', '--asset', bond.asset, '--amount', '20000', '--price', '1000', '--out', offerFile(10), '--file', files.issuer!],
        new RegExp(`^strongbox: the wallet holds 12345 base units \\(123\\.45\\) of é${'A'.repeat(62)} \\(DE000BAY0017\\) ${bond.asset}, not 20000 base units \\(200\\.00\\)\n$`),
      );
      expect([(await net.clients[1]!.status()).height, await balance('issuer', bond.asset)]).to.deep.equal([height, 12345n]);
    });

    // Erin's own fund, so that her offers leave the other wallets' coins as the other tests count them.
    it('refuses a dvp offer on a wallet another strongbox command holds, in one line naming it, and changes nothing', async () => {
      files.erin = join(dir, 'erin.json');
      expect((await runCli(['wallet', 'new', '--file', files.erin])).code).to.equal(0);
      erinFund = (await ok(['issue', '--name', 'Erin Fund', '--isin', 'NL0010273215', '--supply', '100', '--file', files.erin])).asset as string;
      const walletBefore = readFileSync(files.erin, 'utf8');
      const height = (await net.clients[1]!.status()).height;
      const lock = takePidLock(`${files.erin}.lock`, () => new Error('the wallet is free before the commands run'));
      try {
        const inUse = `^strongbox: wallet ${escape(files.erin)} is in use by another strongbox command \\(pid ${process.pid}\\): run this one again once that has finished\n$`;
        await refused(['dvp', 'offer', '--asset', erinFund, '--amount', '10', '--price', '1000', '--out', offerFile(8), '--file', files.erin], new RegExp(inUse));
      } finally {
        lock.release();
      }
      expect(existsSync(offerFile(8))).to.equal(false);
      expect(readFileSync(files.erin, 'utf8')).to.equal(walletBefore);
      expect((await net.clients[1]!.status()).height).to.equal(height);
    });

    it('gives two dvp offers run at once with one wallet each a coin of its own and keeps both records, or refuses the second naming the first', async () => {
      const runs = await Promise.all(
        [['10', offerFile(8)], ['20', offerFile(9)]].map(([amount, out]) => runCli(['dvp', 'offer', '--asset', erinFund, '--amount', amount!, '--price', '1000', '--out', out!, '--file', files.erin!, '--json', ...flags])),
      );
      const inUse = new RegExp(`^strongbox: wallet ${escape(files.erin!)} is in use by another strongbox command \\(pid \\d+\\): run this one again once that has finished\n$`);
      const made: Record<string, any>[] = [];
      for (const [index, run] of runs.entries()) {
        if (run.code === 0) made.push({ ...(JSON.parse(run.stdout) as Record<string, any>), file: offerFile(8 + index) });
        else {
          expect(run.code, run.stderr).to.equal(1);
          expect(run.stderr).to.match(inUse);
          expect(existsSync(offerFile(8 + index))).to.equal(false);
        }
      }
      expect(made.length, runs.map((run) => run.stderr).join('')).to.be.at.least(1);
      expect(new Set(made.map((offer) => offer.coin)).size).to.equal(made.length);
      expect(readOfferHolds(files.erin!).map((hold) => [hold.coin, hold.offer]).sort()).to.deep.equal(made.map((offer) => [offer.coin, offer.file]).sort());
      for (const offer of made) expect(await ok(['dvp', 'show', '--offer', offer.file as string])).to.include({ state: 'open' });
      expect(existsSync(`${files.erin!}.lock`)).to.equal(false);
    });

    it('refuses every command that spends a wallet\'s coins while another holds the wallet, in one line naming it, and changes nothing; once free, a send goes through', async () => {
      // The issuer's bond offer (offer 7) is open: its coin is what a concurrent send or cancel would spend.
      const held = { issuer: readFileSync(files.issuer!, 'utf8'), bob: readFileSync(files.bob!, 'utf8') };
      const before = { issuer: await balance('issuer', BTC_ASSET_KEY), dave: await balance('dave', BTC_ASSET_KEY), height: (await net.clients[1]!.status()).height };
      const holdsOf = (name: string) => takePidLock(`${files[name]!}.lock`, () => new Error(`${name}'s wallet is free before the commands run`));
      const locks = [holdsOf('issuer'), holdsOf('bob')];
      try {
        const inUse = (name: string) => new RegExp(`^strongbox: wallet ${escape(files[name]!)} is in use by another strongbox command \\(pid ${process.pid}\\): run this one again once that has finished\n$`);
        await refused(['send', '--to', addresses.dave!, '--amount', '1000', '--file', files.issuer!], inUse('issuer'));
        await refused(['send', '--asset', bond.asset, '--to', addresses.dave!, '--amount', '5000', '--spend-offered', '--file', files.issuer!], inUse('issuer'));
        await refused(['pegout', '--to', 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', '--amount', '50000', '--file', files.issuer!], inUse('issuer'));
        await refused(['dividend', '--asset', asset, '--record-height', String(before.height), '--total', '1000', '--file', files.issuer!], inUse('issuer'));
        await refused(['dvp', 'cancel', '--offer', offerFile(7), '--file', files.issuer!], inUse('issuer'));
        await refused(['dvp', 'accept', '--offer', offerFile(7), '--file', files.bob!], inUse('bob'));
      } finally {
        for (const lock of locks) lock.release();
      }
      expect({ issuer: readFileSync(files.issuer!, 'utf8'), bob: readFileSync(files.bob!, 'utf8') }).to.deep.equal(held);
      expect({ issuer: await balance('issuer', BTC_ASSET_KEY), dave: await balance('dave', BTC_ASSET_KEY), height: (await net.clients[1]!.status()).height }).to.deep.equal(before);
      expect(await ok(['dvp', 'show', '--offer', offerFile(7)])).to.include({ state: 'open' });

      await ok(['send', '--to', addresses.dave!, '--amount', '1000', '--file', files.issuer!]);
      expect([await balance('issuer', BTC_ASSET_KEY), await balance('dave', BTC_ASSET_KEY)]).to.deep.equal([before.issuer - 1000n, before.dave + 1000n]);
      expect(existsSync(`${files.issuer!}.lock`)).to.equal(false);
    });

    it('run again after Ctrl-C while its coin split waits for its block, dvp offer waits for that split and makes the one offer the first did not', async () => {
      files.frank = join(dir, 'frank.json');
      addresses.frank = (JSON.parse((await runCli(['wallet', 'new', '--file', files.frank, '--json'])).stdout) as { address: string }).address;
      const frankFund = (await ok(['issue', '--name', 'Frank Fund', '--isin', 'GB0002634946', '--supply', '100', '--file', files.frank])).asset as string;
      const out = join(dir, 'frank-offer.json');
      const args = ['dvp', 'offer', '--asset', frankFund, '--amount', '30', '--price', '1000', '--out', out, '--file', files.frank, ...flags];
      // Two of five stopped leave three members, one short of the four a block needs: the split stays pending until they go on.
      const pauseMembers = (signal: 'SIGSTOP' | 'SIGCONT') => [3, 4].forEach((index) => net.network.members[index]!.process.kill(signal));
      pauseMembers('SIGSTOP');
      let split: string;
      try {
        const first = await startCli(args, /submitted [0-9a-f]{64}, waiting for finality/);
        split = /submitted ([0-9a-f]{64})/.exec(first.stderr())![1]!;
        expect((await net.clients[1]!.transaction(split)).status).to.equal('pending');
        first.child.kill('SIGINT');
        const interrupted = await first.result;
        expect([interrupted.code, interrupted.stdout]).to.deep.equal([130, '']);
        expect(interrupted.stderr).to.match(
          new RegExp(`^splitting a coin of 30 off for the offer\nsubmitted ${split}, waiting for finality\\.*\nstrongbox: interrupted while waiting: ${split} was submitted and becomes final without this command \\(\`strongbox tx ${split}\` says when\\); run again while ${split} is pending, the same command line builds this very transaction, which the chain applies once, waits for it and makes the offer; once it is final, running it again makes the offer with the coin split off\n$`),
        );
        expect([existsSync(out), readOfferHolds(files.frank)]).to.deep.equal([false, []]);

        const again = await startCli(args, /already submitted [0-9a-f]{64}, waiting for finality/);
        expect(again.stderr()).to.match(new RegExp(`^splitting a coin of 30 off for the offer\nalready submitted ${split}, waiting for finality`));
        pauseMembers('SIGCONT');
        const ran = await again.result;
        const splitHeight = (await net.clients[1]!.waitForFinal(split, { timeoutMs: 60_000 })).height!;
        // Counted from the split's block, so that the first run, had it gone on, would have signed this very offer.
        const expiryHeight = splitHeight + 1000;
        expect([ran.code, ran.stdout.split('\n')[0]], ran.stderr).to.deep.equal([0, `offer: 30 of Frank Fund (GB0002634946) ${frankFund} for 1000 sats of pegged BTC (0.00001000 BTC), valid through block ${expiryHeight}`]);
      } finally {
        pauseMembers('SIGCONT');
      }
      const offer = offerFromJson(JSON.parse(readFileSync(out, 'utf8')));
      expect([hex(offer.input.txid), offer.input.index, hex(offer.gives.asset), offer.gives.amount, hex(offer.payment.asset), offer.payment.amount, offer.expiryHeight]).to.deep.equal([split, 0, frankFund, 30n, hex(BTC_ASSET_ID), 1000n, (await net.clients[1]!.transaction(split)).height! + 1000]);
      expect(await ok(['dvp', 'show', '--offer', out])).to.include({ state: 'open', coin: `${split}:0` });
      expect(readOfferHolds(files.frank).map((hold) => [hold.coin, hold.offer, hold.expiryHeight])).to.deep.equal([[`${split}:0`, out, offer.expiryHeight]]);
      // The split moved nothing out of the wallet: its 100 are the offered 30 and the change of 70.
      expect(await balance('frank', frankFund)).to.equal(100n);
      const coins = (await net.clients[1]!.utxos(addresses.frank)).map((coin) => [coin.txid, coin.vout, coin.asset, coin.amount]);
      expect(coins).to.deep.equal([[split, 0, frankFund, 30n], [split, 1, frankFund, 70n]]);

      // A third run of the same command line makes no second offer and changes nothing.
      const height = (await net.clients[1]!.status()).height;
      await refused(args.slice(0, -flags.length), new RegExp(`^strongbox: cannot write ${escape(out)}: it already exists; offers are never overwritten\n$`));
      expect([(await net.clients[1]!.status()).height, readOfferHolds(files.frank).length]).to.deep.equal([height, 1]);
      expect((await net.clients[1]!.utxos(addresses.frank)).map((coin) => [coin.txid, coin.vout, coin.asset, coin.amount])).to.deep.equal(coins);
    });
  });

  describe('dividends', () => {
    const issuerBtc = () => balance('issuer', BTC_ASSET_KEY);

    it('pays the holders at the record height pro rata, the remainder to the largest fractions', async () => {
      recordHeight = (await net.clients[1]!.status()).height;
      // After the record height alice sells 100 to bob: the dividend must not see it.
      await ok(['send', '--asset', asset, '--to', addresses.bob!, '--amount', '100', '--file', files.alice!]);
      const before = { alice: await balance('alice', BTC_ASSET_KEY), bob: await balance('bob', BTC_ASSET_KEY), carol: await balance('carol', BTC_ASSET_KEY), issuer: await issuerBtc() };
      const paid = await ok(['dividend', '--asset', asset, '--record-height', String(recordHeight), '--total', '1000', '--file', files.issuer!]);
      // 1000 sats over alice 500, bob 300, carol 100 (the issuer's 600 earn nothing): 555.56, 333.33, 111.11.
      const expected = { alice: 556n, bob: 333n, carol: 111n };
      expect(paid).to.include({ asset, name: 'Acme AB', isin: 'US0378331005', total: '1000' });
      expect(paid.payments).to.have.deep.members(Object.entries(expected).map(([name, amount]) => ({ address: addresses[name], amount: String(amount) })));
      for (const [name, amount] of Object.entries(expected)) expect(await balance(name, BTC_ASSET_KEY), name).to.equal(before[name as keyof typeof before] + amount);
      expect(await issuerBtc()).to.equal(before.issuer - 1000n);
    });

    it('refuses the same dividend run again, naming the one paid, and pays the holders a second time only with --again', async () => {
      const [first] = await net.clients[2]!.dividends(asset);
      expect(first).to.include({ recordHeight, paid: 1000n });
      const [before, height] = [await issuerBtc(), (await net.clients[1]!.status()).height];
      const args = ['dividend', '--asset', asset, '--record-height', String(recordHeight), '--total', '1000', '--file', files.issuer!];
      await refused(
        args,
        new RegExp(`^strongbox: a dividend of Acme AB \\(US0378331005\\) at record height ${recordHeight} was already paid: 1000 sats of pegged BTC \\(0\\.00001000 BTC\\) in ${first!.txid}, final at height ${first!.height}; nothing was sent \\(add --again to pay the holders a second time\\)\n$`),
      );
      expect([await issuerBtc(), (await net.clients[1]!.status()).height]).to.deep.equal([before, height]);
      const again = await runCli([...args, '--again', ...flags]);
      const paid = new RegExp(`^paid 1000 sats of pegged BTC \\(0\\.00001000 BTC\\) to 3 holders of Acme AB \\(US0378331005, ${asset}\\) at record height ${recordHeight}: ([0-9a-f]{64}) final at height \\d+\n$`).exec(again.stdout);
      expect([again.code, paid !== null], again.stdout + again.stderr).to.deep.equal([0, true]);
      expect(await issuerBtc()).to.equal(before - 1000n);
      for (const client of net.clients) {
        expect((await client.dividends(asset)).map((dividend) => [dividend.txid, dividend.recordHeight])).to.deep.equal([[first!.txid, recordHeight], [paid![1], recordHeight]]);
      }
    });

    it('refuses a record height before the security was issued, naming the height it was issued at', async () => {
      for (const client of net.clients) expect((await client.asset(asset)).height).to.equal(issuedAt);
      const [before, height] = [await issuerBtc(), (await net.clients[1]!.status()).height];
      await refused(
        ['dividend', '--asset', asset.toUpperCase(), '--record-height', String(issuedAt - 1), '--total', '1000', '--file', files.issuer!],
        new RegExp(`^strongbox: --record-height ${issuedAt - 1} is before Acme AB \\(US0378331005\\) was issued, at height ${issuedAt}: nobody held it then\n$`),
      );
      expect([await issuerBtc(), (await net.clients[1]!.status()).height]).to.deep.equal([before, height]);
    });

    it('refuses a record height above the chain, naming the height it has reached, and pays nothing', async () => {
      const [before, height] = [await issuerBtc(), (await net.clients[1]!.status()).height];
      const above = height + 1000;
      await refused(
        ['dividend', '--asset', asset, '--record-height', String(above), '--total', '1000', '--file', files.issuer!],
        new RegExp(`^strongbox: --record-height ${above} is above the chain's height \\d+: holdings count as of a block already made \\(\`strongbox status\` shows the height now\\)\n$`),
      );
      expect([await issuerBtc(), (await net.clients[1]!.status()).height]).to.deep.equal([before, height]);
    });

    it('refuses a record height at which nobody but the issuer held the security, naming it, and pays nothing', async () => {
      const [before, height] = [await issuerBtc(), (await net.clients[1]!.status()).height];
      await refused(
        ['dividend', '--asset', bond.asset, '--record-height', String(bond.height), '--total', '1000', '--file', files.issuer!],
        new RegExp(`^strongbox: nobody but the issuer held é${'A'.repeat(62)} \\(DE000BAY0017\\) at record height ${bond.height}, and the issuer's own holding earns nothing: the dividend would pay no one \\(\`strongbox registry holders --asset ${bond.asset} --height ${bond.height} --file ${files.issuer!}\` shows who held it\\)\n$`),
      );
      expect([await issuerBtc(), (await net.clients[1]!.status()).height]).to.deep.equal([before, height]);
    });

    it('is refused by every member when its distribution differs from theirs', async () => {
      const before = await issuerBtc();
      for (const reply of await submitEverywhere(await skewedDividend())) {
        expect([reply.status, reply.code]).to.deep.equal([400, 'bad-distribution']);
        expect(reply.message).to.match(new RegExp(`the pro-rata distribution of 1000 sats at record height ${recordHeight} has`));
      }
      expect(await issuerBtc()).to.equal(before);
    });

    it('cannot be prepared by a wallet that is not the issuer', async () => {
      await refused(['dividend', '--asset', asset, '--record-height', String(recordHeight), '--total', '1000', '--file', files.alice!], new RegExp(`only the issuer of \\S.* \\(US\\w+\\) pays its dividends, and ${files.alice!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds another key`));
    });
  });

  describe('registry roles', () => {
    const config = (member: number) => join(net.network.dataDir, `member-${member}`, 'config.json');
    const memberFlags = (member: number) => ['--member', net.network.network.members[member]!.apiUrl, '--genesis', net.network.network.genesisFile!];
    let auditor: { id: string; token: string };

    it('grants an auditor credential that opens the holders at a height, on that member', async () => {
      const granted = await ok(['role', 'grant', '--role', 'auditor', '--name', 'Audit & Co', '--config', config(2)], []);
      auditor = { id: granted.id as string, token: granted.token as string };
      expect(auditor.token).to.match(/^sbx_[0-9a-f]{16}_[0-9a-f]{64}$/);
      const view = await runCli(['registry', 'holders', '--asset', asset, '--height', String(recordHeight), '--credential', auditor.token, '--json', ...memberFlags(2)]);
      expect(view.code, view.stderr).to.equal(0);
      const holders = JSON.parse(view.stdout) as { height: number; outstanding: string; holders: { address: string; amount: string }[] };
      expect(holders.height).to.equal(recordHeight);
      expect(holders.outstanding).to.equal('1500');
      expect(holders.holders).to.have.deep.members([
        { address: addresses.alice, amount: '500' },
        { address: addresses.bob, amount: '300' },
        { address: addresses.carol, amount: '100' },
        { address: addresses.issuer, amount: '600' },
      ]);
      await refused(['registry', 'holders', '--asset', asset, '--credential', auditor.token], /the credential is not valid/, memberFlags(0));
      // An asset id the chain does not know is refused as every command refuses it, for each registry view.
      const unknown = 'ab'.repeat(32);
      for (const view of ['holders', 'allowlist']) {
        await refused(['registry', view, '--asset', unknown, '--credential', auditor.token], new RegExp(`^strongbox: no security ${unknown} on this chain: asset ids are listed at GET /assets and on the explorer's Assets page\n$`), memberFlags(2));
      }
      // Before its issuance there is no security to hold: said, with the height it was issued at.
      await refused(
        ['registry', 'holders', '--asset', asset, '--height', String(issuedAt - 1), '--credential', auditor.token],
        new RegExp(`^strongbox: Acme AB \\(US0378331005\\) was not yet issued at height ${issuedAt - 1}: it was issued at height ${issuedAt}\n$`),
        memberFlags(2),
      );
    });

    it('grants a regulator credential that opens the history of an address', async () => {
      const regulator = (await ok(['role', 'grant', '--role', 'regulator', '--name', 'Finansinspektionen', '--config', config(2)], [])).token as string;
      const view = await runCli(['registry', 'history', '--address', addresses.alice!, '--json', ...memberFlags(2)], { env: { STRONGBOX_CREDENTIAL: regulator } });
      expect(view.code, view.stderr).to.equal(0);
      const changes = (JSON.parse(view.stdout) as { changes: { asset: string; delta: string; balance: string }[] }).changes.filter((c) => c.asset === asset);
      expect(changes.map((c) => [c.delta, c.balance])).to.deep.equal([['600', '600'], ['-100', '500'], ['-100', '400']]);
      // The issuer's history, asked in capitals, names the address in lowercase and a bond's amounts with their decimal figure.
      const shown = await runCli(['registry', 'history', '--address', addresses.issuer!.toUpperCase(), ...memberFlags(2)], { env: { STRONGBOX_CREDENTIAL: regulator } });
      expect(shown.code, shown.stderr).to.equal(0);
      const lines = shown.stdout.split('\n');
      expect(lines[0]).to.equal(`history of ${addresses.issuer}:`);
      // Each security is named, as the holders view names it: a history of several reads without looking ids up.
      expect(lines.find((line) => line.includes(bond.asset))).to.match(new RegExp(`^ +${bond.height}  +\\+12345 base units \\(123\\.45\\)  +12345 base units \\(123\\.45\\)  é${'A'.repeat(62)} \\(DE000BAY0017\\) ${bond.asset} +${bond.txid}$`));
      // In columns under a header, as the holders view: every change's transaction starts where the header's does.
      expect(lines[1]).to.match(/^ +height +change +balance  security +transaction$/);
      const rows = lines.slice(2).filter((line) => line !== '');
      expect(rows.map((line) => line.length - 64), 'where each transaction starts').to.deep.equal(rows.map(() => lines[1]!.indexOf('transaction')));
    });

    it('answers 401 without a valid credential and 403 to an issuer outside its own asset; nothing changes', async () => {
      const base = net.network.network.members[2]!.apiUrl;
      const height = (await net.clients[2]!.status()).height;
      const listed = await ok(['role', 'list', '--config', config(2)], []);
      const status = async (path: string, authorization?: string) => (await fetch(`${base}${path}`, { headers: authorization ? { authorization } : {} })).status;
      expect(await status(`/registry/assets/${asset}/holders`)).to.equal(401);
      expect(await status(`/registry/addresses/${addresses.alice}/history`, 'Bearer sbx_0000000000000000_' + '0'.repeat(64))).to.equal(401);
      expect(await status(`/registry/addresses/${addresses.alice}/history`, issuerAuthorization(net.genesis.chainId, Buffer.from(asset, 'hex'), wallet('issuer').keys.seed, Date.now()))).to.equal(403);
      await refused(['registry', 'holders', '--asset', otherAsset, '--file', files.issuer!], new RegExp(`only the issuer of asset ${otherAsset}, auditors and regulators see its holders`), memberFlags(2));
      await refused(['registry', 'holders', '--asset', asset, '--file', files.alice!], new RegExp(`only the issuer of asset ${asset}, auditors and regulators see its holders`), memberFlags(2));
      expect((await ok(['role', 'list', '--config', config(2)], [])).credentials).to.deep.equal(listed.credentials);
      expect((await net.clients[2]!.status()).height).to.equal(height);
    });

    it('shuts a revoked credential out', async () => {
      const revoked = await ok(['role', 'revoke', auditor.id, '--config', config(2)], []);
      expect(revoked.revokedAt).to.be.a('string');
      expect(revoked.revokedNow).to.equal(true);
      const again = await runCli(['role', 'revoke', auditor.id, '--config', config(2)]);
      expect(again.stdout).to.match(new RegExp(`^already revoked at ${String(revoked.revokedAt).replace(/\./g, '\\.')}: ${auditor.id}  auditor `));
      await refused(['registry', 'holders', '--asset', asset, '--credential', auditor.token], /the credential is not valid here \(unknown to this member, revoked or malformed; a credential works only on the member whose operator granted it\)/, memberFlags(2));
      const listed = (await ok(['role', 'list', '--config', config(2)], [])).credentials as { role: string; revokedAt: string | null }[];
      expect(listed.map((c) => [c.role, c.revokedAt === null ? 'active' : 'revoked'])).to.deep.equal([['auditor', 'revoked'], ['regulator', 'active']]);
    });
  });

  describe('a proposer whose dividend differs from the other members\'', () => {
    let adversary: PeerTransport | undefined;
    after(() => adversary?.close());

    it('proposes a block the other members refuse; the chain goes on without it', async () => {
      const client = net.clients[0]!;
      const chainId = net.genesis.chainId;
      const issuer = wallet('issuer');
      const step = async () => {
        const tx = buildTransfer(chainId, issuer, await client.utxos(issuer.address), BTC_ASSET_ID, issuer.owner, 1000n);
        await client.waitForFinal(await client.submit(tx), { timeoutMs: 60_000 });
      };
      const folder = join(net.network.dataDir, 'member-4');
      const keys = readKeyFile(join(folder, 'key.json'));
      const { peer } = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as { peer: { port: number } };
      net.network.members[4]!.process.kill('SIGKILL');
      await net.network.members[4]!.exited;
      adversary = await startPeerTransport({ chainId, memberIndex: 4, seed: keys.blockSeed, members: net.genesis.members.keys.map((publicKey) => ({ publicKey })), port: peer.port });
      await eventually('the honest members connected to member 4\'s replacement', async () => adversary!.connectedPeers().length === 4, 30_000);
      // Member 4 proposes first at heights h with h % 5 = 4; the four honest members step the
      // chain to just below one, once member 4 is replaced, so no block it would make comes between.
      while (((await client.status()).height + 1) % 5 !== 4) await step();

      const tip = await client.status();
      const height = tip.height + 1;
      const dividend = await skewedDividend();
      const header = {
        version: 1,
        chainId,
        height,
        previousHash: new Uint8Array(Buffer.from(tip.tipHash, 'hex')),
        timeMs: BigInt(Date.now()),
        txRoot: transactionRoot([dividend]),
        txCount: 1,
        proposer: 4,
        memberSetHash: net.genesis.memberSetHash,
      };
      const value = { hash: blockHash(header), bytes: encodeBlock({ header, transactions: [dividend] }) };
      const proposal = signProposal(chainId, keys.blockSeed, { height, round: 0, polRound: -1, value, memberIndex: 4 });
      adversary.broadcast(new Uint8Array([CONSENSUS_PAYLOAD, ...encodeMessage(proposal)]));

      const log = (member: number) => readFileSync(join(net.network.dataDir, `member-${member}`, 'member.log'), 'utf8').split('\n');
      const refusedIn = (member: number) => log(member).some((line) => line.includes('"msg":"refused a proposed block"') && line.includes(`"height":${height}`) && line.includes('"code":"bad-distribution"') && !line.includes('"err":'));
      await eventually('every honest member refused the block for its distribution', async () => {
        if ([0, 1, 2, 3].every(refusedIn)) return true;
        throw new Error(`member 0 at height ${height}, last log lines: ${log(0).slice(-6).map((line) => line.slice(0, 400)).join(' | ')}`);
      }, 30_000);
      await step();
      const final = decodeBlock(new Uint8Array(Buffer.from((await client.finalBlock(height)).block, 'hex')));
      expect(hex(blockHash(final.header)), 'another block is final at that height').to.not.equal(hex(value.hash));
      for (const honest of net.clients.slice(0, 4)) expect((await fetch(`${honest.baseUrl}/tx/${txInfo(dividend).idHex}`)).status).to.equal(404);
    });
  });
});
