import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressPayload } from '../../sidechain/address.ts';
import { decodeTransaction } from '../../sidechain/transaction/codec.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import type { TransferBody } from '../../sidechain/transaction/types.ts';
import { toHex, txId } from '../../sidechain/transaction/ids.ts';
import { buildTransfer } from '../../federation/wallet/build-transfer.ts';
import { readWalletFile } from '../../federation/wallet/wallet-file.ts';
import { generateMemberKeys, writeKeyFile } from '../../federation/key-file.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { submitUntilFinal } from '../../cli/submit.ts';
import { readGenesisFile } from '../../federation/genesis-file.ts';
import { eventually, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { killMember, restartMember } from '../helpers/faults.ts';
import { scrape } from '../helpers/prometheus.ts';
import { runCli, startCli } from '../helpers/cli.ts';

describe('wallet, issue and send through the CLI against five members', function () {
  this.timeout(180_000);
  let net: TestNetwork;
  let dir: string;
  let flags: string[];

  before(async () => {
    net = await startTestNetwork(5);
    dir = mkdtempSync(join(tmpdir(), 'strongbox-cli-'));
    flags = ['--member', net.network.network.members[1]!.apiUrl, '--genesis', net.network.network.genesisFile!];
  });
  after(async () => {
    await net?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates wallets, issues a share, sends part of it and shows exact balances on every member', async () => {
    const issuerFile = join(dir, 'issuer.json');
    const buyerFile = join(dir, 'buyer.json');
    const issuer = JSON.parse((await runCli(['wallet', 'new', '--file', issuerFile, '--json'])).stdout) as { address: string };
    const buyer = JSON.parse((await runCli(['wallet', 'new', '--file', buyerFile, '--json'])).stdout) as { address: string };
    expect(statSync(issuerFile).mode & 0o777).to.equal(0o600);
    expect(issuer.address).to.match(/^sbx1/);

    const issued = await runCli(['issue', '--name', 'Acme AB', '--isin', 'US0378331005', '--supply', '1000', '--file', issuerFile, '--json', ...flags]);
    expect(issued.code, issued.stderr).to.equal(0);
    const { asset } = JSON.parse(issued.stdout) as { asset: string };

    const sent = await runCli(['send', '--asset', asset, '--to', buyer.address, '--amount', '250', '--file', issuerFile, ...flags]);
    expect(sent.code, sent.stderr).to.equal(0);
    expect(sent.stdout).to.match(new RegExp(`^sent 250 of Acme AB \\(US0378331005\\) ${asset} to sbx1\\S+: [0-9a-f]{64} final at height \\d+\n$`));
    // Signed with the genesis file of another chain (one kept from an earlier network), a send is refused naming both chains, and nothing is sent (the balances below).
    const otherGenesis = join(dir, 'other-genesis.json');
    writeFileSync(otherGenesis, JSON.stringify({ ...JSON.parse(readFileSync(net.network.network.genesisFile!, 'utf8')), genesisTimeMs: '1' }));
    const otherChain = toHex(readGenesisFile(otherGenesis, '--genesis').chainId);
    const wrongChain = await runCli(['send', '--asset', asset, '--to', buyer.address, '--amount', '250', '--file', issuerFile, '--member', net.network.network.members[1]!.apiUrl, '--genesis', otherGenesis]);
    expect([wrongChain.code, wrongChain.stderr]).to.deep.equal([
      1,
      `strongbox: the member at ${net.network.network.members[1]!.apiUrl} serves chain ${toHex(net.genesis.chainId)}, not chain ${otherChain} of the genesis file given, which the transaction was signed for: nothing was sent; name that member's genesis file with --genesis\n`,
    ]);

    for (const member of net.network.network.members) {
      const shown = await runCli(['wallet', 'show', '--file', buyerFile, '--json', '--member', member.apiUrl]);
      expect(JSON.parse(shown.stdout)).to.deep.equal({ address: buyer.address, balances: [{ asset, amount: '250', name: 'Acme AB', isin: 'US0378331005', decimals: 0 }] });
    }
    // A security of two decimals reads in base units and as the figure they mean.
    const bond = JSON.parse((await runCli(['issue', '--name', 'Acme 2031 bond', '--isin', 'SE0000108656', '--kind', 'bond', '--decimals', '2', '--supply', '123405', '--file', issuerFile, '--json', ...flags])).stdout) as { asset: string };
    const issuerView = await runCli(['wallet', 'show', '--file', issuerFile, ...flags]);
    expect(issuerView.stdout.split('\n').slice(2, -1).sort()).to.deep.equal([`  123405 base units (1234.05) of Acme 2031 bond (SE0000108656) ${bond.asset}`, `  750 of Acme AB (US0378331005) ${asset}`]);

    // A second security under an ISIN already registered: refused, naming the first, unless asked for.
    const again = ['issue', '--name', 'Acme AB', '--isin', 'US0378331005', '--supply', '5', '--file', buyerFile, ...flags];
    const refused = await runCli(again);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.equal(`strongbox: US0378331005 is already registered on this chain as Acme AB, asset ${asset} issued by ${issuer.address}: more of that security is issued with \`strongbox reissue\` by its issuer, if it is reissuable; add --duplicate-isin to register another security under the same ISIN\n`);
    // Asked of the member the command waited on: the others may store the block a moment later.
    expect((await net.clients[1]!.assetsWithIsin('US0378331005')).map((view) => view.id)).to.deep.equal([asset]);
    const duplicate = await runCli([...again, '--duplicate-isin', '--json']);
    expect(duplicate.code, duplicate.stderr).to.equal(0);
    const second = (JSON.parse(duplicate.stdout) as { asset: string }).asset;
    expect((await net.clients[1]!.assetsWithIsin('US0378331005')).map((view) => view.id)).to.have.members([asset, second]);

    // A script reads what was sent, and to whom, from --json.
    const sentJson = await runCli(['send', '--asset', asset, '--to', buyer.address, '--amount', '10', '--file', issuerFile, '--json', ...flags]);
    expect(sentJson.code, sentJson.stderr).to.equal(0);
    const receipt = JSON.parse(sentJson.stdout) as { txid: string; height: number };
    expect(receipt).to.deep.equal({ txid: receipt.txid, height: receipt.height, to: buyer.address, asset, amount: '10', withdrawnOffers: [] });
    expect(receipt.txid).to.match(/^[0-9a-f]{64}$/);
    expect((await net.clients[0]!.transaction(receipt.txid)).height).to.equal(receipt.height);
  });

  const refusals: Array<[string, string[], RegExp]> = [
    ['an amount that is not a whole number', ['send', '--to', 'sbx1qqnzdehgt75yn5hxxuwyzgpuwqrapfaxdgdut2fcc8jt6esvfpt8qtparju', '--amount', '1.5'], /^strongbox: --amount must be a positive whole number of base units \(sats for pegged BTC; 1\.00 of a security with 2 decimals is 100\), got "1\.5"\n$/],
    ['an amount above 2^63-1, which no coin can hold', ['send', '--to', 'sbx1qqnzdehgt75yn5hxxuwyzgpuwqrapfaxdgdut2fcc8jt6esvfpt8qtparju', '--amount', '9223372036854775808'], /^strongbox: --amount must be at most 9223372036854775807 \(2\^63-1\) base units, got 9223372036854775808\n$/],
    ['an amount of 2^64', ['send', '--to', 'sbx1qqnzdehgt75yn5hxxuwyzgpuwqrapfaxdgdut2fcc8jt6esvfpt8qtparju', '--amount', '18446744073709551616'], /^strongbox: --amount must be at most 9223372036854775807 \(2\^63-1\) base units, got 18446744073709551616\n$/],
    ['a recipient that is not an sbx address', ['send', '--to', 'bc1qxyz', '--amount', '5'], /^strongbox: "bc1qxyz" is not a Strongbox address \(sbx1…\): not a bech32m address: /],
    ['a Bitcoin address as the recipient of a send', ['send', '--to', 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', '--amount', '5'], /^strongbox: bcrt1qw508\S+ is a Bitcoin address, not a Strongbox address \(sbx1…\): BTC leaves the sidechain by a peg-out \(strongbox pegout --to bcrt1qw508\S+ --amount <sats> --file <wallet>\)\n$/],
    ['a mainnet Bitcoin address as the recipient of a send on a regtest chain', ['send', '--to', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', '--amount', '5'], /^strongbox: bc1qw508\S+ is a mainnet Bitcoin address, not a Strongbox address \(sbx1…\): BTC leaves the sidechain by a peg-out, which pays an address of regtest, this chain's Bitcoin network \(strongbox pegout --to <regtest address> --amount <sats> --file <wallet>\)\n$/],
    ['a Bitcoin address with a bad checksum as the recipient of a send', ['send', '--to', 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt08q', '--amount', '5'], /^strongbox: bcrt1qw508\S+ is no valid Bitcoin address of any network, nor a Strongbox address \(sbx1…\): BTC leaves the sidechain by a peg-out, which pays an address of regtest, this chain's Bitcoin network \(strongbox pegout --to <regtest address> --amount <sats> --file <wallet>\)\n$/],
    ['a Bitcoin address given to pegin-address', ['pegin-address', 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080'], /^strongbox: bcrt1qw508\S+ is a Bitcoin address: pegin-address takes the Strongbox address \(sbx1…\) that receives the pegged BTC, and prints the Bitcoin address to send BTC to\n$/],
    ['an ISIN with a wrong check digit', ['issue', '--name', 'X', '--isin', 'US0378331006', '--supply', '1'], /^strongbox: US0378331006 is not a valid ISIN/],
    ['an ISIN in small letters', ['issue', '--name', 'X', '--isin', 'de000bay0017', '--supply', '1'], /^strongbox: an ISIN is written in capitals: DE000BAY0017\n$/],
    ['a wallet file that does not exist', ['wallet', 'show', '--file', '/nonexistent/w.json'], /^strongbox: wallet file \/nonexistent\/w\.json: does not exist/],
  ];
  for (const [what, args, message] of refusals) {
    it(`refuses ${what} with one line and exit code 1`, async () => {
      const result = await runCli([...args, ...flags]);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(message);
    });
  }

  it("names a member's key file given for a wallet as such, and what to use instead, in every command that takes a wallet", async () => {
    const keyFile = join(dir, 'alpha.key.json');
    writeKeyFile(keyFile, generateMemberKeys());
    const before = (await net.clients[0]!.status()).height;
    const to = 'sbx1qqnzdehgt75yn5hxxuwyzgpuwqrapfaxdgdut2fcc8jt6esvfpt8qtparju';
    const asset = 'ab'.repeat(32);
    const line = `strongbox: wallet file ${keyFile}: is a member key file, not a wallet: \`strongbox info --key ${keyFile}\` prints its public keys; pass a wallet with --file, or create one with \`strongbox wallet new --file <file>\`\n`;
    for (const args of [
      ['wallet', 'show'],
      ['send', '--to', to, '--amount', '5'],
      ['pegout', '--to', 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', '--amount', '50000'],
      ['issue', '--name', 'X', '--isin', 'US0378331005', '--supply', '1'],
      ['reissue', '--asset', asset, '--amount', '1'],
      ['allowlist', 'add', '--asset', asset, to],
      ['dividend', '--asset', asset, '--record-height', '1', '--total', '1000'],
      ['dvp', 'offer', '--asset', asset, '--amount', '1', '--price', '1000', '--out', join(dir, 'never.offer.json')],
      ['registry', 'holders', '--asset', asset],
    ]) {
      const result = await runCli([...args, '--file', keyFile, ...flags]);
      expect([result.code, result.stdout, result.stderr], args.join(' ')).to.deep.equal([1, '', line]);
    }
    expect(existsSync(join(dir, 'never.offer.json'))).to.equal(false);
    expect((await net.clients[0]!.status()).height).to.equal(before);
  });

  it('reaches the members a genesis file lists when there is no local network, as its refusal offers, passing over one that is down', async () => {
    const file = join(dir, 'listed.json');
    const { address } = JSON.parse((await runCli(['wallet', 'new', '--file', file, '--json'])).stdout) as { address: string };
    // The API addresses are not part of the chain id: a copy listing them is the same chain's genesis.
    const genesis = JSON.parse(readFileSync(net.network.network.genesisFile!, 'utf8')) as { members: { apiUrl?: string }[] };
    genesis.members[0]!.apiUrl = 'http://127.0.0.1:9';
    genesis.members[2]!.apiUrl = net.network.network.members[2]!.apiUrl;
    const listing = join(dir, 'listing-genesis.json');
    writeFileSync(listing, JSON.stringify(genesis));
    const elsewhere = { cwd: dir, env: { STRONGBOX_HOME: join(dir, 'no-network-here') } };
    const shown = await runCli(['wallet', 'show', '--file', file, '--genesis', listing], elsewhere);
    expect([shown.code, shown.stdout, shown.stderr]).to.deep.equal([0, `address: ${address}\nbalances:\n  (no funds)\n`, `member at http://127.0.0.1:9 is unreachable; ${net.network.network.members[2]!.apiUrl} answered instead\n`]);
    const status = await runCli(['status', '--json'], { ...elsewhere, env: { ...elsewhere.env, STRONGBOX_GENESIS_FILE: listing } });
    expect(status.code, status.stderr).to.equal(0);
    expect(JSON.parse(status.stdout)).to.include({ memberIndex: 2 });
    // The commands that only read a member take --genesis as their siblings do.
    const { transactions } = (await (await fetch(`${net.network.network.members[2]!.apiUrl}/transactions?limit=1`)).json()) as { transactions: { txid: string; height: number }[] };
    const tx = await runCli(['tx', transactions[0]!.txid, '--genesis', listing, '--json'], elsewhere);
    expect(tx.code, tx.stderr).to.equal(0);
    expect(JSON.parse(tx.stdout)).to.include({ status: 'final', height: transactions[0]!.height });
    for (const args of [['status'], ['anchors']]) {
      const read = await runCli([...args, '--genesis', listing, '--json'], elsewhere);
      expect(read.code, `${args.join(' ')}: ${read.stderr}`).to.equal(0);
    }
    // A genesis that lists no member gives nothing to ask, and says what to give instead.
    const unlisted = await runCli(['wallet', 'show', '--file', file, '--genesis', net.network.network.genesisFile!], elsewhere);
    expect([unlisted.code, unlisted.stderr]).to.deep.equal([1, `strongbox: --member: no member API URL given, and the genesis ${net.network.network.genesisFile!} lists none: name a member with --member or STRONGBOX_MEMBER_URL\n`]);
  });

  it('shows where a member\'s chain is: its height and tip, as its API does', async () => {
    const member = net.network.network.members[1]!.apiUrl;
    const shown = await runCli(['status', '--member', member]);
    expect(shown.code, shown.stderr).to.equal(0);
    const status = await net.clients[1]!.status();
    expect(shown.stdout).to.match(new RegExp(`^chain    ${status.chainId}\nheight   \\d+ \\(tip [0-9a-f]{64}\\)\npending  \\d+ transactions?\nmember   1, connected to members? [0-9, ]+\nquorum   5 of 5 members reached, 4 needed for a block\nbitcoin  block (\\d+) read\n$`));
    // The follower may read a block between the two requests, never go back.
    expect(Number(/bitcoin  block (\d+)/.exec(shown.stdout)![1])).to.be.within(1, status.bitcoin.height);
    const asJson = JSON.parse((await runCli(['status', '--member', member, '--json'])).stdout) as { chainId: string; memberIndex: number; height: number };
    expect(asJson).to.include({ chainId: status.chainId, memberIndex: 1 });
    expect(asJson.height).to.be.at.least(status.height);
  });

  it('refuses to send, burn, pay a dividend or take an offer with more pegged BTC than the wallet holds, in sats and BTC, pointing at the peg-in, and nothing changes', async () => {
    const emptyFile = join(dir, 'empty.json');
    const buyerFile = join(dir, 'empty-buyer.json');
    const to = 'sbx1qqnzdehgt75yn5hxxuwyzgpuwqrapfaxdgdut2fcc8jt6esvfpt8qtparju';
    await runCli(['wallet', 'new', '--file', emptyFile]);
    await runCli(['wallet', 'new', '--file', buyerFile]);
    // A security of its own, one holder besides it, and an offer of it: all a wallet without BTC can make.
    const { asset } = JSON.parse((await runCli(['issue', '--name', 'Empty AB', '--isin', 'DE000BAY0017', '--supply', '10', '--file', emptyFile, '--json', ...flags])).stdout) as { asset: string };
    expect((await runCli(['send', '--asset', asset, '--to', to, '--amount', '1', '--file', emptyFile, ...flags])).code).to.equal(0);
    const offerFile = join(dir, 'empty.offer.json');
    const offered = await runCli(['dvp', 'offer', '--asset', asset, '--amount', '1', '--price', '1000', '--out', offerFile, '--file', emptyFile, ...flags]);
    expect(offered.code, offered.stderr).to.equal(0);
    const before = (await net.clients[0]!.status()).height;
    const noBtc = (sats: string, btc: string) => `strongbox: the wallet holds 0 sats of pegged BTC (0.00000000 BTC), not ${sats} sats (${btc} BTC): bring BTC in by a peg-in (\`strongbox pegin-address <the wallet's sbx1… address>\` names the Bitcoin address to pay)\n`;
    const refusals: [string[], string][] = [
      [['send', '--to', to, '--amount', '5', '--file', emptyFile], noBtc('5', '0.00000005')],
      [['pegout', '--to', 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', '--amount', '50000', '--file', emptyFile], noBtc('50000', '0.00050000')],
      [['dividend', '--asset', asset, '--record-height', String(before), '--total', '1000', '--file', emptyFile], noBtc('1000', '0.00001000')],
      [['dvp', 'accept', '--offer', offerFile, '--file', buyerFile], noBtc('1000', '0.00001000')],
    ];
    for (const [args, line] of refusals) {
      const result = await runCli([...args, ...flags]);
      expect([result.code, result.stdout, result.stderr], args.join(' ')).to.deep.equal([1, '', line]);
    }
    expect(await runCli(['dvp', 'show', '--offer', offerFile, '--json', ...flags]).then((shown) => JSON.parse(shown.stdout) as { state: string })).to.include({ state: 'open' });
    // A mistyped asset id is named as unknown to the chain, not read as a balance of zero.
    const unknown = 'ab'.repeat(32);
    const mistyped = await runCli(['send', '--asset', unknown, '--to', 'sbx1qqnzdehgt75yn5hxxuwyzgpuwqrapfaxdgdut2fcc8jt6esvfpt8qtparju', '--amount', '5', '--file', emptyFile, ...flags]);
    expect([mistyped.code, mistyped.stderr]).to.deep.equal([1, `strongbox: no security ${unknown} on this chain: asset ids are listed at GET /assets and on the explorer's Assets page\n`]);
    expect((await net.clients[0]!.status()).height).to.equal(before);
  });

  it('pays from a wallet of more small coins than a transaction spends with its larger coins, and refuses what no transaction of its coins can pay, naming the merge that lets it through, changing nothing', async () => {
    const issuerFile = join(dir, 'fan-out.json');
    const holderFile = join(dir, 'many-coins.json');
    await runCli(['wallet', 'new', '--file', issuerFile]);
    const holder = JSON.parse((await runCli(['wallet', 'new', '--file', holderFile, '--json'])).stdout) as { address: string };
    const { asset } = JSON.parse((await runCli(['issue', '--name', 'Dust AB', '--isin', 'GB0002634946', '--supply', '10000', '--file', issuerFile, '--json', ...flags])).stdout) as { asset: string };
    // One transfer gives the holder 990 coins of one share each (dividends, many small payments), then one of 100.
    const issuer = readWalletFile(issuerFile);
    const [supply] = await net.clients[1]!.utxos(issuer.address);
    const share = { owner: addressPayload(holder.address), asset: Buffer.from(asset, 'hex'), amount: 1n };
    const body: TransferBody = { kind: 'transfer', inputs: [{ txid: Buffer.from(supply!.txid, 'hex'), index: supply!.vout }], outputs: [...Array.from({ length: 990 }, () => share), { owner: issuer.owner, asset: share.asset, amount: 10000n - 990n }] };
    await submitUntilFinal(net.clients[1]!, { ...body, witnesses: [keyWitness(net.genesis.chainId, body, issuer.keys.seed)] }, { json: true }, { rerun: 'fans out again' });
    expect((await runCli(['send', '--asset', asset, '--to', holder.address, '--amount', '100', '--file', issuerFile, ...flags])).code).to.equal(0);
    const to = 'sbx1qqnzdehgt75yn5hxxuwyzgpuwqrapfaxdgdut2fcc8jt6esvfpt8qtparju';
    const send = (amount: string, recipient = to) => runCli(['send', '--asset', asset, '--to', recipient, '--amount', amount, '--file', holderFile, ...flags]);
    const before = (await net.clients[0]!.status()).height;
    // No 978 of its 991 coins hold 1085: the 100 and 977 ones hold 1077.
    const refused = await send('1085');
    expect([refused.code, refused.stdout, refused.stderr]).to.deep.equal([
      1,
      '',
      `strongbox: the wallet's 991 coins of Dust AB (GB0002634946) ${asset} hold 1090, but one transaction spends at most 978 of them, and its 978 largest hold 1077, not 1085: merge coins first by sending 1077 to the wallet's own address (\`strongbox send --to <the wallet's sbx1… address> --asset ${asset} --amount 1077 --file <wallet>\`), then pay again\n`,
    ]);
    expect((await net.clients[0]!.status()).height).to.equal(before);
    // Oldest first would spend all 991 coins, more than a transaction holds: the 100 and the 977 oldest ones pay it.
    const merged = await send('1077', holder.address);
    expect(merged.code, merged.stderr).to.equal(0);
    expect((await net.clients[1]!.utxos(holder.address)).map((coin) => coin.amount).sort((a, b) => Number(b - a))).to.deep.equal([1077n, ...Array.from({ length: 13 }, () => 1n)]);
    const paid = await send('1085');
    expect(paid.code, paid.stderr).to.equal(0);
    expect((await net.clients[0]!.balances(to)).find((balance) => balance.asset === asset)?.amount).to.equal(1085n);
    expect((await net.clients[0]!.balances(holder.address)).find((balance) => balance.asset === asset)?.amount).to.equal(5n);
  });

  it('refuses a send run while another holds the wallet, and tells one run again after an interrupted send that its very transaction was already submitted and is final, sending nothing', async () => {
    const senderFile = join(dir, 'twice.json');
    await runCli(['wallet', 'new', '--file', senderFile]);
    const { asset } = JSON.parse((await runCli(['issue', '--name', 'Twice AB', '--isin', 'US5949181045', '--supply', '100', '--file', senderFile, '--json', ...flags])).stdout) as { asset: string };
    const to = 'sbx1qqnzdehgt75yn5hxxuwyzgpuwqrapfaxdgdut2fcc8jt6esvfpt8qtparju';
    // The one transaction a send of 30 from this wallet makes: its coins, its deterministic signature.
    const sender = readWalletFile(senderFile);
    const expected = buildTransfer(net.genesis.chainId, sender, await net.clients[1]!.utxos(sender.address), Buffer.from(asset, 'hex'), addressPayload(to), 30n);
    const txid = toHex(txId(expected));
    const rejected = async () => (await scrape(net.network.network.members[1]!.apiUrl)).get('strongbox_transactions_rejected_total{code="already-pending"}') ?? 0;
    const before = await rejected();
    // Without a quorum no block is made: the first send waits for finality, holding the wallet.
    await Promise.all([killMember(net, 3), killMember(net, 4)]);
    const send = () => runCli(['send', '--asset', asset, '--to', to, '--amount', '30', '--file', senderFile, '--json', ...flags]);
    const first = send();
    await eventually('the first send submitted', async () => (await net.clients[1]!.transaction(txid)).status === 'pending');
    const holder = Number.parseInt(readFileSync(`${senderFile}.lock`, 'utf8'), 10);
    const meanwhile = await send();
    expect([meanwhile.code, meanwhile.stdout, meanwhile.stderr]).to.deep.equal([1, '', `strongbox: wallet ${senderFile} is in use by another strongbox command (pid ${holder}): run this one again once that has finished\n`]);
    // Ctrl-C: the first gives up waiting, its transaction pending, its lock left behind for the next send to take over.
    process.kill(holder, 'SIGINT');
    expect((await first).code).to.not.equal(0);
    // Run again while that transaction waits for its block: it asks for it before sending, finds it, and waits for it without sending it.
    const again = await startCli(['send', '--asset', asset, '--to', to, '--amount', '30', '--file', senderFile, ...flags], new RegExp(`^already submitted ${txid}, waiting for finality`));
    await Promise.all([restartMember(net, 3), restartMember(net, 4)]);
    const { height } = await net.clients[1]!.waitForFinal(txid);
    const line = `strongbox: this very transaction, ${txid}, was already submitted (an identical one was sent before or at the same time) and is final at height ${height}: nothing new was sent\n`;
    const ran = await again.result;
    expect([ran.code, ran.stdout, ran.stderr.slice(-line.length)]).to.deep.equal([1, '', line]);
    expect(ran.stderr.slice(0, -line.length)).to.match(new RegExp(`^already submitted ${txid}, waiting for finality\\.*\n$`));
    expect(await rejected(), 'submissions refused as already pending').to.equal(before);
    // Sent again once final, the member finds it final rather than pending: the same words.
    const tx = decodeTransaction(new Uint8Array(Buffer.from((await net.clients[1]!.transaction(txid)).hex!, 'hex')));
    const late = await submitUntilFinal(net.clients[1]!, tx, { json: true }, { rerun: 'sends another payment' }).catch((error: unknown) => error);
    expect(late).to.be.instanceOf(ValidationError).and.include({ code: 'already-submitted', message: line.slice('strongbox: '.length, -1) });
    // Asked of the member the commands wait on: the others may store the block a moment later.
    expect((await net.clients[1]!.balances(to)).find((balance) => balance.asset === asset)?.amount).to.equal(30n);
    expect(existsSync(`${senderFile}.lock`)).to.equal(false);
    // Free again, the wallet sends.
    const after = await send();
    expect(after.code, after.stderr).to.equal(0);
    expect((await net.clients[1]!.balances(to)).find((balance) => balance.asset === asset)?.amount).to.equal(60n);
  });
});
