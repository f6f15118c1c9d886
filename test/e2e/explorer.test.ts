import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { Faucet } from '../../regtest/faucet.ts';
import { startTestNetwork, UNBATCHED_PEGOUTS, type TestNetwork } from '../helpers/local-network.ts';
import { issuance, issuerSigned, testWallet, transfer, type TestWallet } from '../helpers/transactions.ts';
import { launchBrowser, openPage, type BrowserPage } from '../helpers/browser.ts';
import { summarisePng } from '../helpers/png.ts';
import { eventually } from '../helpers/local-network.ts';
import { killMember, restartMember } from '../helpers/faults.ts';
import { pegIn } from '../helpers/pegged-btc.ts';
import { buildPegout, selectCoins } from '../../federation/wallet/build-transfer.ts';
import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import { pegoutDestinationScript } from '../../watcher/bitcoin-address.ts';
import { newRegtestAddress } from '../../regtest/new-address.ts';
import { networks } from 'bitcoinjs-lib';
import { runCli } from '../helpers/cli.ts';

/** The web explorer each member serves, driven in a real headless Chromium against a live network. */
describe('web explorer in headless Chromium, served by a member of a five-member network', function () {
  this.timeout(300_000);
  let net: TestNetwork;
  let browser: Browser;
  let base: string;
  let tab: BrowserPage;
  let page: Page;
  const alice = testWallet();
  const bob = testWallet();
  let asset: string;
  let issuedHeight: number;
  let transferId: string;
  let transferHeight: number;
  /** A settlement record of the final chain, and the Bitcoin transaction it names. */
  let settlementRecord: { txid: string; bitcoinTxid: string };
  /** Paths of the API answers the pages used (not the explorer's own files). */
  const apiPathsServed = new Set<string>();

  before(async () => {
    // Anchors are due a second after the last one (or the genesis): with the default minute the
    // anchoring test waited out what was left of it since the network started. The one burn is
    // shown once settled: nothing is batched with it.
    net = await startTestNetwork(5, { genesis: (file) => ({ ...file, anchor: { ...file.anchor, intervalSeconds: 1 } }), memberEnv: UNBATCHED_PEGOUTS });
    browser = await launchBrowser();
    // One page for the whole run: this Chromium runs as a single process, which closing its last page ends.
    tab = await openPage(browser);
    page = tab.page;
    base = net.network.network.members[2]!.apiUrl;
    page.on('response', (response) => {
      const path = new URL(response.url()).pathname;
      if (response.ok() && response.url().startsWith(base) && !path.startsWith('/explorer')) apiPathsServed.add(path);
    });
  });
  after(async () => {
    await browser?.close();
    await net?.stop();
  });
  beforeEach(() => {
    tab.errors.length = 0;
    tab.requests.length = 0;
  });
  afterEach(function () {
    if (this.currentTest?.state !== 'passed') return;
    expect(tab.errors, 'the page raised no errors').to.deep.equal([]);
    const foreign = tab.requests.filter((url) => !url.startsWith(`${base}/`) && !url.startsWith('data:') && url !== 'about:blank');
    expect(foreign, 'the page requested nothing outside its member').to.deep.equal([]);
  });

  /** Loads a view in a fresh document (a hash change alone would keep the old view's content) and waits for its first render. */
  async function show(hash: string): Promise<void> {
    await page.goto('about:blank');
    await page.goto(`${base}/explorer/${hash}`);
    await page.waitForFunction(() => Number(document.body.dataset.rendered ?? 0) >= 1, undefined, { timeout: 15_000 });
  }
  const text = (selector: string) => page.locator(selector).innerText();

  async function submitFinal(tx: Parameters<TestNetwork['clients'][number]['submit']>[0]): Promise<{ txid: string; height: number }> {
    const txid = await net.clients[0]!.submit(tx);
    const final = await net.clients[2]!.waitForFinal(txid);
    // Final on the member the next transaction goes to as well: one a block behind would judge it
    // against the block before (a dividend whose record height is this one's would be refused there).
    await net.clients[0]!.waitForFinal(txid);
    return { txid, height: final.height! };
  }

  it('is served by every member at /explorer/ (and / redirects there) with a policy that keeps the page on its member', async () => {
    for (const member of net.network.network.members) {
      const root = await fetch(`${member.apiUrl}/`, { redirect: 'manual' });
      expect(root.status).to.equal(302);
      expect(root.headers.get('location')).to.equal('/explorer/');
      const html = await fetch(`${member.apiUrl}/explorer/`);
      expect(html.status).to.equal(200);
      expect(html.headers.get('content-type')).to.match(/^text\/html/);
      expect(html.headers.get('content-security-policy')).to.include("default-src 'self'");
      expect(await html.text()).to.include('<script type="module" src="js/main.js">');
    }
    const script = await fetch(`${base}/explorer/js/main.js`);
    expect(script.headers.get('content-type')).to.match(/javascript/);
    expect((await fetch(`${base}/explorer/js/missing.js`)).status).to.equal(404);
  });

  it('shows the chain head live: the height rises on the open overview when a block is made', async () => {
    await show('#/');
    expect(await text('#served-by')).to.equal('local-regtest · served by member 2 (member-2)');
    const before = Number(await text('#chain-height'));
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    const issued = issuance(net.genesis.chainId, alice, 1_000n);
    asset = Buffer.from(issued.asset).toString('hex');
    const { txid, height } = await submitFinal(issued.tx);
    issuedHeight = height;
    await page.waitForFunction((height) => Number(document.getElementById('chain-height')?.textContent) > height, before, { timeout: 15_000 });
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), 'updated without a reload').to.equal(true);
    await page.locator('#latest-transactions').getByText(txid.slice(0, 16)).waitFor({ timeout: 10_000 });
    expect(await text('#latest-transactions')).to.include('issuance');
  });

  it('shows a submitted transfer on its page, in its block, at both addresses, in the asset registry, and finds it by search', async () => {
    const utxo = (await net.clients[2]!.utxos(alice.address)).find((u) => u.asset === asset)!;
    const sent = await submitFinal(transfer(net.genesis.chainId, alice, { txid: new Uint8Array(Buffer.from(utxo.txid, 'hex')), index: utxo.vout, amount: utxo.amount }, Buffer.from(asset, 'hex'), bob.owner, 250n));
    transferId = sent.txid;
    transferHeight = sent.height;

    await show(`#/tx/${transferId}`);
    expect(await text('h1')).to.match(/Transaction\s+transfer\s+final/);
    const outputs = await text('#transaction-detail');
    expect(outputs).to.include(bob.address).and.include('250 Acme AB');
    expect(outputs).to.include(alice.address).and.include('750 Acme AB');
    expect(outputs.match(/unspent/g), 'both outputs unspent').to.have.length(2);
    // The coin it spent names it as its spender.
    await show(`#/tx/${utxo.txid}`);
    expect(await text('#transaction-detail')).to.match(new RegExp(`Output 0 spent by\\s+${transferId.slice(0, 16)}\\S* in block ${transferHeight}`));

    await show(`#/block/${transferHeight}`);
    expect(await text('#block-detail')).to.include(transferId);

    await show(`#/address/${bob.address}`);
    expect(await text('#address-view')).to.include('250 Acme AB');
    await show(`#/address/${alice.address}`);
    expect(await text('#address-view')).to.include('750 Acme AB');

    await show('#/assets');
    expect(await text('#asset-list')).to.include('Acme AB').and.include('US0378331005');
    await show(`#/asset/${asset}`);
    expect(await text('#asset-detail')).to.include('2 addresses').and.match(new RegExp(`Issued in block\\s+${issuedHeight}\\s`));
    expect(await page.locator(`#asset-detail a[href="#/block/${issuedHeight}"]`).count()).to.equal(1);
    // The issuer as the CLI names it, by its address, leading to that address's page.
    expect(await page.locator('#asset-detail dd', { has: page.locator(`a[href="#/address/${alice.address}"]`) }).innerText()).to.equal(alice.address);
    expect(await page.locator('#asset-detail dt').allInnerTexts()).to.include('Issuer').and.not.include('Issuer key');

    for (const [term, view] of [
      [transferId, '#transaction-detail'],
      [bob.address, '#address-view'],
      [String(transferHeight), '#block-detail'],
      [asset, '#asset-detail'],
    ] as const) {
      await show('#/');
      await page.fill('#search-input', term);
      await page.press('#search-input', 'Enter');
      await page.locator(view).waitFor({ timeout: 10_000 });
    }
  });

  it('says a search found nothing on a page of its own, which the live refresh leaves alone and the menu leads away from', async () => {
    await show('#/');
    await page.fill('#search-input', 'no-such-thing');
    await page.press('#search-input', 'Enter');
    await page.locator('#search-miss').waitFor({ timeout: 10_000 });
    // The overview refreshes every 2 s: the message must outlast that.
    await page.waitForTimeout(3_000);
    expect(await text('#view')).to.equal('No block, transaction, address, asset or deposit matches "no-such-thing".');
    await page.locator('#nav a[data-nav="overview"]').click();
    await page.locator('#chain-height').waitFor({ timeout: 10_000 });
    // A mistyped address says what is wrong with it, not that the page could not load.
    await show('#/address/sbx1abc');
    expect(await text('#view')).to.match(/^sbx1abc is not a valid address: not a bech32m address/);
    // Height 0 is the genesis, a file: the page says so rather than that block 0 is not final yet.
    await show('#/block/0');
    expect(await text('#view')).to.equal(`There is no block 0: the chain starts at block 1, whose previous hash is the genesis, chain ${Buffer.from(net.genesis.chainId).toString('hex')}.`);
  });

  it('shows a transaction\'s amounts in its asset\'s units and an issuance\'s terms as fields, and links a Bitcoin txid to the peg-in page only where it is a deposit', async () => {
    const bond = issuance(net.genesis.chainId, alice, 100_000n, 7n, { name: 'Acme Bond 2030', isin: 'JP3435000009', decimals: 2 });
    const issued = await submitFinal(bond.tx);
    await show(`#/tx/${issued.txid}`);
    expect(await text('#transaction-detail')).to.match(/Supply\s+1,000\.00 Acme Bond 2030\s/);
    // The fields of a transaction's own body are headed with words, as the Peg-outs page's are, not with the API's names.
    expect(await page.locator('#transaction-detail dt').allInnerTexts()).to.include.members(['Issuer', 'Supply', 'Recipient', 'Asset']).and.not.include('supply');
    expect(await page.locator(`#transaction-detail a[href="#/asset/${Buffer.from(bond.asset).toString('hex')}"]`).innerText(), 'the issuance leads to the security it creates').to.equal('Acme Bond 2030');
    // Its terms read as fields, as the rest of the page does, not as JSON; the issuer as its address; the nonce only in the raw transaction.
    const summary = page.locator('#transaction-detail section', { hasText: 'Summary' });
    const terms = await summary.locator('dt').evaluateAll((terms) => Object.fromEntries(terms.map((term) => [term.textContent, (term.nextElementSibling as HTMLElement).innerText])));
    expect(terms).to.deep.include({ Name: 'Acme Bond 2030', ISIN: 'JP3435000009', 'Security kind': 'share', Decimals: '2', Restricted: 'no', 'Re-issuable': 'no', Issuer: alice.address });
    expect(terms).to.not.have.any.keys('Metadata', 'Nonce');
    expect(await summary.locator('pre').count(), 'no JSON in the summary').to.equal(0);
    expect(await summary.locator(`a[href="#/address/${alice.address}"]`).count(), 'the issuer and the recipient lead to its address').to.equal(2);
    expect(JSON.parse(await page.locator('#transaction-json pre').textContent() ?? '')).to.include({ nonce: '7', issuer: Buffer.from(alice.keys.publicKey).toString('hex') });

    const dave = testWallet();
    // A tenth of the reserves: well within the circuit breaker, so paid without an operator's approval.
    await pegIn(net, [{ address: dave.address, sats: 1_000_000n }]);
    const coins = await net.clients[2]!.utxos(dave.address);
    const script = pegoutDestinationScript(newRegtestAddress().address, networks.regtest, 'regtest');
    const burn = await submitFinal(buildPegout(net.genesis.chainId, dave, coins, script, 100_000n));
    const settled = await eventually('the burn settled', async () => (await net.clients[2]!.burnStatus(burn.txid)).bitcoinTxid, 60_000);

    await show(`#/tx/${burn.txid}`);
    expect(await text('#transaction-detail')).to.match(/Amount\s+0\.00100000 BTC\s/);
    const { transactions } = (await (await fetch(`${base}/transactions?limit=50`)).json()) as { transactions: { txid: string; kind: string }[] };
    const mint = transactions.find((tx) => tx.kind === 'pegin')!;
    await show(`#/tx/${mint.txid}`);
    expect(await text('#transaction-detail')).to.match(/Amount\s+0\.\d{8} BTC\s/);
    expect(await page.locator('#transaction-detail dt').allInnerTexts()).to.include('Bitcoin txid').and.not.include('bitcoinTxid');
    expect(await page.locator('#transaction-detail a[href^="#/pegin/"]').count(), 'a mint links its deposit').to.equal(1);

    const settlement = await eventually('the settlement final', async () => {
      const { transactions: latest } = (await (await fetch(`${base}/transactions?limit=50`)).json()) as { transactions: { txid: string; kind: string }[] };
      return latest.find((tx) => tx.kind === 'settlement');
    });
    settlementRecord = { txid: settlement.txid, bitcoinTxid: settled };
    await show(`#/tx/${settlement.txid}`);
    expect(await text('#transaction-detail')).to.include(settled);
    expect(await page.locator('#transaction-detail a[href^="#/pegin/"]').count(), 'a settlement pays no deposit').to.equal(0);
    expect(await page.locator(`#transaction-detail a[href="#/tx/${burn.txid}"]`).count(), 'the settlement leads to the burn it pays').to.equal(1);

    // A dividend's record height is a block of the chain, linked as its own block is.
    const fund = issuance(net.genesis.chainId, dave, 10n, 1n, { name: 'Dave Fund', isin: 'GB0002634946', securityKind: 'fund' });
    await submitFinal(fund.tx);
    const recordHeight = (await submitFinal(transfer(net.genesis.chainId, dave, { txid: txId(fund.tx), index: 0, amount: 10n }, fund.asset, bob.owner, 5n))).height;
    const { inputs, change } = selectCoins(await net.clients[2]!.utxos(dave.address), BTC_ASSET_ID, 1_000n);
    const dividendOutputs = [{ owner: bob.owner, asset: BTC_ASSET_ID, amount: 1_000n }, { owner: dave.owner, asset: BTC_ASSET_ID, amount: change }];
    const dividend = await submitFinal(issuerSigned(net.genesis.chainId, dave, { kind: 'dividend', asset: fund.asset, recordHeight, inputs, outputs: dividendOutputs }));
    await show(`#/tx/${dividend.txid}`);
    expect(await page.locator('#transaction-detail dd', { has: page.locator(`a[href="#/block/${recordHeight}"]`) }).innerText()).to.equal(String(recordHeight));
    expect(await page.locator('#transaction-detail dt').allInnerTexts()).to.include('Record height').and.not.include('recordHeight');
    // The security's page lists its dividends: the transaction, its block and the record height linked, the holders paid and the total.
    const fundId = Buffer.from(fund.asset).toString('hex');
    await show(`#/asset/${fundId}`);
    const dividends = page.locator('#asset-detail section', { hasText: 'Dividends' });
    const paidRow = dividends.locator('tbody tr');
    expect(await paidRow.count()).to.equal(1);
    expect((await paidRow.locator('td').allInnerTexts()).slice(1)).to.deep.equal([String(dividend.height), String(recordHeight), '1', '0.00001000 BTC']);
    expect(await paidRow.locator(`a[href="#/tx/${dividend.txid}"]`).innerText()).to.equal(dividend.txid.slice(0, 16) + '…' + dividend.txid.slice(-4));
    expect(await paidRow.locator(`a[href="#/block/${dividend.height}"]`).count()).to.equal(1);
    expect(await paidRow.locator(`a[href="#/block/${recordHeight}"]`).count()).to.equal(1);
    expect(await dividends.locator('.pager').count(), 'one page: no pager').to.equal(0);
    // The page after the last dividend says there are none later, and leads back to the oldest.
    const position = ((await (await fetch(`${base}/blocks/${dividend.height}`)).json()) as { transactions: string[] }).transactions.indexOf(dividend.txid);
    await show(`#/asset/${fundId}?cursor=${dividend.height}:${position}`);
    expect(await dividends.innerText()).to.include('No later dividends.');
    await dividends.locator(`a.button[href="#/asset/${fundId}"]`).click();
    await dividends.locator('tbody tr').waitFor({ timeout: 10_000 });
    // Another security's page, with none, says so.
    await show(`#/asset/${Buffer.from(bond.asset).toString('hex')}`);
    expect(await page.locator('#asset-detail section', { hasText: 'Dividends' }).innerText()).to.include('No dividends paid yet.');

    await show('#/pegouts');
    const row = await page.locator('#pegouts-view tbody tr', { hasText: burn.txid }).innerText();
    expect(row).to.include('0.00100000 BTC').and.include(settled);
    // Headings read as words; the unit is in the values.
    expect(await page.locator('#pegouts-view thead').textContent()).to.include('Fee share').and.include('Bitcoin txid').and.not.include('Sats');
    expect(await page.locator('#pegouts-view a[href^="#/pegin/"]').count()).to.equal(0);
    await show('#/reserves');
    expect(await text('#reserves-view')).to.match(/Outstanding\s+[\d,]+\.\d{8} BTC/);
    // The escrow owes the burns not paid yet beside the outstanding supply: none here, the one burn is settled.
    expect(await text('#reserves-view')).to.match(/Burns not paid yet\s+0\s+Owed to burns not paid yet\s+0\.00000000 BTC\s+Oldest of them final at height\s+—/);
    // The page is text, not Markdown: no backticks show around the command it names.
    expect(await text('#reserves-view')).to.include('the command strongbox audit checks everything from genesis').and.not.include('`');
    // Which height was checked, and when, as every time on the explorer reads.
    expect(await text('#reserves-view')).to.match(/Checked at\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\s+Chain height checked\s+\d+\s/);
  });

  it('finds a block by its hash, and the record of an anchor or a settlement by the Bitcoin txid it names', async () => {
    // Anchors are paid from the operations wallet: funded now, it anchors at once (the anchor interval since the genesis has passed).
    const funded = await runCli(['anchor', 'fund', '--amount', '0.01', '--genesis', net.network.network.genesisFile!, '--rpc', net.network.network.bitcoinRpcUrl, '--json']);
    expect(funded.code, funded.stderr).to.equal(0);
    await new Faucet(new BitcoinRpc(net.network.network.bitcoinRpcUrl)).mine(1);
    const anchor = await eventually('an anchor recorded', async () => (await net.clients[2]!.anchors()).anchors[0], 90_000);
    const recordBlock = (await (await fetch(`${base}/blocks/${anchor.recordHeight}`)).json()) as { transactions: string[] };
    const transferBlock = (await (await fetch(`${base}/blocks/${transferHeight}`)).json()) as { hash: string };

    const searchFor = async (term: string, view: string) => {
      await show('#/');
      await page.fill('#search-input', term);
      await page.press('#search-input', 'Enter');
      await page.locator(view).waitFor({ timeout: 10_000 });
    };
    await searchFor(transferBlock.hash, '#block-detail');
    expect(page.url()).to.match(new RegExp(`#/block/${transferHeight}$`));
    expect(await text('#block-detail')).to.include(transferBlock.hash);

    await searchFor(anchor.bitcoinTxid, '#transaction-detail');
    const anchorTxid = page.url().split('#/tx/')[1]!;
    expect(recordBlock.transactions, 'the anchor record, in the block that holds it').to.include(anchorTxid);
    expect(await text('h1')).to.match(/anchor/);
    expect(await text('#transaction-detail')).to.include(anchor.bitcoinTxid);
    // The anchored block's height is named as such, apart from the block holding the record.
    const anchorFields = await page.locator('#transaction-detail dt').evaluateAll((terms) => Object.fromEntries(terms.map((term) => [term.textContent, (term.nextElementSibling as HTMLElement).innerText])));
    expect(anchorFields).to.include({ 'Anchored height': String(anchor.height), 'Anchored block hash': anchor.blockHash }).and.not.have.any.keys('Height', 'Block hash');
    expect(anchorFields.Block).to.match(new RegExp(`^${anchor.recordHeight}, position \\d+$`));

    await searchFor(settlementRecord.bitcoinTxid, '#transaction-detail');
    expect(page.url()).to.match(new RegExp(`#/tx/${settlementRecord.txid}$`));

    // A Bitcoin txid no record names, and no deposit, still ends on a page of its own.
    const unknown = 'cd'.repeat(32);
    await searchFor(unknown, '#search-miss');
    expect(page.url()).to.match(new RegExp(`#/search/${unknown}$`));
  });

  it('shows federation health: every member connected, and exactly the signers of each recent block', async () => {
    await show('#/');
    const rows = await page.locator('#federation tbody tr').allInnerTexts();
    expect(rows).to.have.length(5);
    rows.forEach((row, index) => expect(row).to.match(new RegExp(`^${index} · member-${index}[\\s\\S]*${index === 2 ? 'self' : 'connected'}`)));
    // Each cell is titled "block N: …"; one row per member, one column per recent block.
    const grid = await page.evaluate(() =>
      [...document.querySelectorAll('#federation .grid-signers')].map((row) =>
        [...row.querySelectorAll('.cell')].map((cell) => ({ height: Number(/^block (\d+)/.exec(cell.getAttribute('title') ?? '')?.[1]), signed: cell.classList.contains('signed') })),
      ),
    );
    expect(grid).to.have.length(5);
    const heights = grid[0]!.map((cell) => cell.height);
    expect(heights.length).to.be.at.least(2);
    for (const [column, height] of heights.entries()) {
      const block = (await (await fetch(`${base}/blocks/${height}`)).json()) as { commit: { signers: number[] } };
      const signed = grid.flatMap((row, member) => (row[column]!.height === height && row[column]!.signed ? [member] : []));
      expect(signed, `signers of block ${height}`).to.deep.equal(block.commit.signers);
      expect(signed.length).to.be.at.least(net.genesis.members.threshold);
    }
  });

  it("says why a member has no link: a stopped member's row gives the serving member's reason, as its status does, until the link is back", async () => {
    await killMember(net, 4);
    try {
      // Member 2 dials member 4 (the lower index dials): it finds nobody listening at 4's address.
      const down = await eventually('member 2 saying why member 4 is down', async () => (await net.clients[2]!.status()).peersDown?.find((peer) => peer.memberIndex === 4 && peer.code === 'dial-error'));
      expect(down.reason).to.match(/^connection refused at ws:\/\/127\.0\.0\.1:\d+ \(not running\?\)$/);
      await show('#/');
      const reason = page.locator('#federation tbody tr').nth(4).locator('.link-reason');
      await reason.waitFor({ timeout: 15_000 });
      const shown = await reason.innerText();
      expect(shown).to.match(/^for \d+ (s|min): /);
      expect(shown.replace(/^for \d+ (s|min): /, '')).to.equal(down.reason);
      expect(await reason.getAttribute('data-code')).to.equal('dial-error');
      expect(await reason.getAttribute('title')).to.match(/^dial-error since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
      // Text, not markup: whatever a member says stays words on the page.
      expect(await reason.evaluate((element) => element.childElementCount)).to.equal(0);
      const others = await page.locator('#federation tbody tr').evaluateAll((rows) => rows.slice(0, 4).map((row) => row.querySelector('.link-reason')));
      expect(others).to.deep.equal([null, null, null, null]);
    } finally {
      await restartMember(net, 4);
    }
    const linkOf = (index: number) => page.locator('#federation tbody tr').nth(index).locator('td').nth(1);
    await eventually('member 4 shown connected again', async () => (await linkOf(4).innerText()) === 'connected', 60_000);
    expect(await page.locator('#federation .link-reason').count()).to.equal(0);
  });

  it('follows a peg-in on the open page from its first confirmation to the mint', async () => {
    const carol: TestWallet = testWallet();
    const rpc = new BitcoinRpc(net.network.network.bitcoinRpcUrl);
    const faucet = new Faucet(rpc);
    const [depositAddress] = await Promise.all(net.clients.map((client) => client.registerDepositAddress(carol.address)));
    const fee = BigInt(net.genesis.file.pegin.feeSats);
    const bitcoinTxid = await faucet.fund(depositAddress!, 500_000n + fee);
    await faucet.mine(1);

    await show('#/pegins');
    const row = page.locator('#pegin-list tbody tr', { hasText: bitcoinTxid.slice(0, 16) });
    await row.getByText(`1 of ${net.genesis.file.pegin.confirmations} confirmations`).waitFor({ timeout: 20_000 });
    expect(await row.innerText()).to.include('confirming').and.include('0.00500000 BTC');

    await faucet.mine(net.genesis.file.pegin.confirmations - 1);
    await row.getByText('minted').waitFor({ timeout: 30_000 });
    await row.locator('a[href^="#/tx/"]').click();
    await page.locator('#transaction-detail').waitFor();
    expect(await text('h1')).to.match(/pegin/);
    expect(await text('#transaction-detail')).to.include(carol.address).and.include(bitcoinTxid);

    const mintTxid = page.url().split('#/tx/')[1]!;
    await show(`#/pegin/${bitcoinTxid}`);
    expect(await text('#pegin-detail')).to.include('minted').and.include(carol.address);
    // The detail links the deposit to the sidechain transaction that minted it.
    expect(await page.locator(`#pegin-detail a[href="#/tx/${mintTxid}"]`).count()).to.equal(1);
    await show(`#/address/${carol.address}`);
    expect(await text('#address-view')).to.include('0.00500000 BTC');

    // Pegged BTC in a transaction's outputs, to the satoshi as everywhere else: 0.00100000, not 0.001.
    const coin = (await net.clients[2]!.utxos(carol.address))[0]!;
    const paid = await submitFinal(transfer(net.genesis.chainId, carol, { txid: new Uint8Array(Buffer.from(coin.txid, 'hex')), index: coin.vout, amount: coin.amount }, new Uint8Array(Buffer.from(coin.asset, 'hex')), bob.owner, 100_000n));
    await show(`#/tx/${paid.txid}`);
    const outputs = await page.locator('#transaction-detail section', { hasText: 'Outputs' }).locator('tbody tr').allInnerTexts();
    expect(outputs.map((row) => /\S+ BTC/.exec(row)?.[0])).to.deep.equal(['0.00100000 BTC', '0.00400000 BTC']);
  });

  it('lists a deposit paid by a coinbase as confirming until the 100 confirmations its mint needs, past the genesis depth', async () => {
    const erin = testWallet();
    const rpc = new BitcoinRpc(net.network.network.bitcoinRpcUrl);
    const faucet = new Faucet(rpc);
    const [depositAddress] = await Promise.all(net.clients.map((client) => client.registerDepositAddress(erin.address)));
    const [blockHash] = await faucet.mine(1, depositAddress!);
    const coinbaseTxid = (await rpc.getBlock(blockHash!)).transactions![0]!.getId();
    await faucet.mine(net.genesis.file.pegin.confirmations);
    const depth = net.genesis.file.pegin.confirmations + 1;

    await show('#/pegins');
    const row = page.locator('#pegin-list tbody tr', { hasText: coinbaseTxid.slice(0, 16) });
    await row.getByText(`${depth} of 100 confirmations`).waitFor({ timeout: 20_000 });
    expect(await row.innerText()).to.include('confirming').and.not.include('queued for mint');
    // The deposit's own page, from the per-deposit status, agrees.
    await show(`#/pegin/${coinbaseTxid}`);
    expect(await text('#pegin-detail')).to.include(`${depth} of 100 confirmations`).and.include('confirming');
  });

  it('shows peg-outs, anchors and reserves when the member serves them, and says "none yet" when it does not', async () => {
    for (const [hash, path] of [
      ['pegouts', '/pegout/burns'],
      ['anchors', '/anchors'],
      ['reserves', '/reserves'],
    ] as const) {
      const answer = await fetch(`${base}${path}`);
      const body = (await answer.json()) as { error?: { message: string } };
      await show(`#/${hash}`);
      const view = await text(`#${hash}-view`);
      if (answer.status === 404 && body.error?.message.startsWith('no route')) expect(view).to.include(`None yet: this member does not serve ${path} yet.`);
      else {
        expect(answer.status, `${path} answers`).to.equal(200);
        expect(await page.locator(`#${hash}-view .alert`).count(), `${hash} renders without an error`).to.equal(0);
      }
    }
    // Anchors list newest first, a page at a time: the page after the newest lists the older ones and leads back to it.
    const [newest, older] = await eventually('two anchors recorded', async () => {
      const { anchors } = await net.clients[2]!.anchors();
      return anchors.length >= 2 ? anchors : undefined;
    }, 90_000);
    await show(`#/anchors?cursor=${newest!.recordHeight}`);
    const listed = await text('#anchors-view tbody');
    expect(listed).to.include(older!.bitcoinTxid).and.not.include(newest!.bitcoinTxid);
    await page.locator('#anchors-view a.button[href="#/anchors"]').click();
    await page.locator('#anchors-view tbody tr', { hasText: newest!.bitcoinTxid }).waitFor({ timeout: 10_000 });
  });

  it('reads only routes its member documents at /openapi.json', async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const templates = Object.keys(document.paths).filter((path) => document.paths[path]!.get).map((path) => new RegExp(`^${path.replace(/\{[A-Za-z0-9_]+\}/g, '[^/]+')}$`));
    expect(apiPathsServed.size).to.be.above(10);
    for (const path of apiPathsServed) expect(templates.some((template) => template.test(path)), `${path} is documented`).to.equal(true);
  });

  it('shows every figure of the overview whole, the pegged BTC included, none cut short with an ellipsis', async () => {
    await show('#/');
    const values = await page.locator('.card .value').evaluateAll((elements) => elements.map((element) => ({ text: element.textContent, hidden: element.scrollWidth - element.clientWidth })));
    expect(values.find(({ text }) => /^\d+\.\d{8} BTC$/.test(text ?? '')), 'the pegged BTC card').to.not.equal(undefined);
    expect(values.filter(({ hidden }) => hidden > 0), 'figures wider than their card').to.deep.equal([]);
  });

  it('renders the main views as complete screenshots', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'strongbox-explorer-'));
    try {
      const views = { overview: '#/', blocks: '#/blocks', block: `#/block/${transferHeight}`, transaction: `#/tx/${transferId}`, address: `#/address/${bob.address}`, assets: '#/assets', pegins: '#/pegins' };
      for (const [name, hash] of Object.entries(views)) {
        await show(hash);
        const png = await page.screenshot({ fullPage: true });
        writeFileSync(join(folder, `${name}.png`), png);
        const image = summarisePng(png);
        expect(image.width, name).to.equal(1280);
        expect(image.height, name).to.be.at.least(900);
        // Text, tables and badges give hundreds of colours; a blank or unstyled page gives a few.
        expect(image.colours, `${name}: colours`).to.be.at.least(200);
        expect(image.dominantShare, `${name}: share of the background`).to.be.below(0.85);
      }
    } finally {
      if (process.env.KEEP_SCREENSHOTS) console.log(`screenshots in ${folder}`);
      else rmSync(folder, { recursive: true, force: true });
    }
  });
});
