import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { text } from 'node:stream/consumers';
import { addressPayload, looksLikeBitcoin } from '../../sidechain/address.ts';
import { describeAmount, describeSats, securityView, securityWording } from '../asset-amount.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { createWalletFile, readOfferHolds, readWalletFile, WALLET_FILE, type OfferHold } from '../../federation/wallet/wallet-file.ts';
import { RECOVERY_WORD_COUNT, recoveryWordLines, recoveryWords, recoveryWordsHeading, seedFromRecoveryWords } from '../../federation/wallet/recovery-words.ts';
import { KeyFileError } from '../../federation/key-file.ts';
import { buildTransfer } from '../../federation/wallet/build-transfer.ts';
import { coinsNotOffered } from '../../federation/wallet/offer-holds.ts';
import { withWalletLock } from '../../federation/wallet/wallet-lock.ts';
import { MemberApiError, type DepositNotMinted, type MemberClient } from '../../federation/api/client.ts';
import { plural } from '../../federation/words.ts';
import { genesisFrom, memberClientFrom, type NetworkOptions } from '../member-url.ts';
import { dropSpentOffers, walletOffers } from '../open-offers.ts';
import { parseAddress, parseAmount, parseAsset } from '../command-arguments.ts';
import { finality, submitUntilFinal, type SubmitOptions } from '../submit.ts';
import { printResult } from '../output.ts';
import { bitcoinNetworkOf } from '../../watcher/bitcoin-address.ts';
import { bitcoinNetwork } from '../../watcher/networks.ts';

/** The words from a terminal (after a prompt on stderr, on as many lines as it takes), or everything piped in. */
async function typedWords(): Promise<string> {
  if (!process.stdin.isTTY) return text(process.stdin);
  const prompt = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Ctrl-C gives up the restore, as at any other prompt, rather than ending the words typed so far.
  prompt.on('SIGINT', () => {
    process.stderr.write('\n');
    process.exit(130);
  });
  try {
    prompt.setPrompt(`recovery words (${RECOVERY_WORD_COUNT}, separated by spaces or lines; an empty line ends): `);
    prompt.prompt();
    return await recoveryWordLines(prompt);
  } finally {
    prompt.close();
  }
}

/** What `wallet show --json` says of pegged BTC, as it names a security: amounts in sats, 8 decimals to a BTC. */
const PEGGED_BTC = { name: 'pegged BTC', decimals: 8 } as const;

export function createWallet(options: { file: string; json?: boolean }): void {
  const created = createWalletFile(options.file);
  printResult(options, `wrote ${options.file}\naddress: ${created.address}`, { file: options.file, address: created.address });
}

export function showRecoveryWords(options: { file: string; json?: boolean }): void {
  const { keys, address } = readWalletFile(options.file);
  const words = recoveryWords(keys.seed);
  const rows = Array.from({ length: words.length / 6 }, (_, row) => words.slice(row * 6, row * 6 + 6).map((word, column) => `${String(row * 6 + column + 1).padStart(2)} ${word.padEnd(8)}`).join(' ').trimEnd());
  printResult(options, [recoveryWordsHeading(address), ...rows].join('\n'), { address, words });
}

export async function restoreWallet(options: { file: string; json?: boolean }): Promise<void> {
  // Checked before the words are asked for: a person types 24 words for nothing otherwise.
  if (existsSync(options.file)) throw new KeyFileError(options.file, 'already exists; refusing to overwrite a wallet (restore into a new file)', WALLET_FILE);
  const seed = seedFromRecoveryWords(await typedWords());
  const restored = createWalletFile(options.file, seed);
  printResult(options, `wrote ${options.file}\naddress: ${restored.address}`, { file: options.file, address: restored.address });
}

/**
 * The wallet's peg-in deposits in a Bitcoin block and not minted yet, as the member sees them; none
 * from a member of an earlier release, which refuses the `recipient` filter (400).
 */
async function depositsNotMinted(client: MemberClient, address: string): Promise<DepositNotMinted[]> {
  try {
    return await client.depositsNotMinted(address);
  } catch (error) {
    if (error instanceof MemberApiError && error.status === 400) return [];
    throw error;
  }
}

/** The offers the wallet file records that can still settle, with what each offered coin holds; the chain is asked only when there are records. */
async function openOffers(client: MemberClient, walletFile: string, address: string): Promise<(OfferHold & { asset: string; amount: bigint })[]> {
  if (readOfferHolds(walletFile).length === 0) return [];
  const utxos = await client.utxos(address);
  const { open } = await walletOffers(client, walletFile, utxos);
  return open.flatMap((hold) => {
    const coin = utxos.find((utxo) => `${utxo.txid}:${utxo.vout}` === hold.coin);
    return coin ? [{ ...hold, asset: coin.asset, amount: coin.amount }] : [];
  });
}

function depositLine(deposit: DepositNotMinted): string {
  const progress = `${plural(deposit.confirmations, 'confirmation')} (${deposit.required} needed)${deposit.state === 'confirmed' ? ', queued for its mint' : ''}`;
  return `  ${describeSats(BigInt(deposit.amountSats))} by output ${deposit.vout} of Bitcoin transaction ${deposit.txid}: ${progress}`;
}

export async function showWallet(options: NetworkOptions & { file: string; json?: boolean }): Promise<void> {
  const { address } = readWalletFile(options.file);
  const client = memberClientFrom(options);
  const balances = await Promise.all((await client.balances(address)).map(async (balance) => ({ ...balance, security: await securityView(client, balance.asset) })));
  const lines = balances.length === 0 ? ['  (no funds)'] : balances.map(({ amount, asset, security }) => `  ${describeAmount(amount, asset, security)}`);
  // A deposit paid and waiting for its confirmations is in no balance yet; a person who paid one looks here first.
  const deposits = await depositsNotMinted(client, address);
  const depositLines = deposits.length === 0 ? [] : ['peg-in deposits not minted yet (`strongbox pegin status <Bitcoin txid>` follows one):', ...deposits.map(depositLine)];
  // The coins backing the wallet's open offers are in its balances, but a send leaves them alone: the seller sees which and where each offer is.
  const offers = await openOffers(client, options.file, address);
  const offerLines = offers.length === 0 ? [] : ['open DvP offers (their coins are in the balances; `strongbox dvp cancel --offer <file>` withdraws one):', ...offers.map((offer) => `  ${describeAmount(offer.amount, offer.asset, balances.find((balance) => balance.asset === offer.asset)?.security)} in ${offer.offer}, valid through block ${offer.expiryHeight}`)];
  // A security is named as its issuer registered it; an id alone tells a person nothing.
  const data = balances.map(({ amount, asset, security }) => ({ asset, amount, ...(security ? { name: security.name, isin: security.isin, decimals: security.decimals } : PEGGED_BTC) }));
  const depositData = deposits.map(({ txid, vout, amountSats, confirmations, required, state }) => ({ txid, vout, amountSats, confirmations, required, state }));
  const offerData = offers.map(({ offer, coin, asset, amount, expiryHeight }) => ({ offer, coin, asset, amount, expiryHeight }));
  printResult(options, [`address: ${address}`, 'balances:', ...lines, ...depositLines, ...offerLines].join('\n'), {
    address,
    balances: data,
    ...(deposits.length > 0 && { depositsNotMinted: depositData }),
    ...(offers.length > 0 && { openOffers: offerData }),
  });
}

/**
 * The refusal of a Bitcoin address given to `send`: the peg-out it points to is written with that
 * address only where a peg-out would pay it, an address of the chain's own Bitcoin network.
 */
function bitcoinRecipient(address: string, networkName: 'regtest' | 'testnet' | 'mainnet'): ValidationError {
  const network = bitcoinNetworkOf(address, bitcoinNetwork(networkName), networkName);
  if (network === networkName) {
    return new ValidationError('bad-address', `${address} is a Bitcoin address, not a Strongbox address (sbx1…): BTC leaves the sidechain by a peg-out (strongbox pegout --to ${address} --amount <sats> --file <wallet>)`);
  }
  const what = network ? `a ${network} Bitcoin address, not` : 'no valid Bitcoin address of any network, nor';
  return new ValidationError('bad-address', `${address} is ${what} a Strongbox address (sbx1…): BTC leaves the sidechain by a peg-out, which pays an address of ${networkName}, this chain's Bitcoin network (strongbox pegout --to <${networkName} address> --amount <sats> --file <wallet>)`);
}

export async function send(options: NetworkOptions & SubmitOptions & { to: string; amount: string; asset: string; file: string; spendOffered?: boolean }): Promise<void> {
  if (looksLikeBitcoin(options.to)) throw bitcoinRecipient(options.to, genesisFrom(options).file.bitcoinNetwork);
  const to = parseAddress(options.to);
  const recipient = addressPayload(to);
  const amount = parseAmount(options.amount, '--amount');
  const asset = parseAsset(options.asset);
  const wallet = readWalletFile(options.file);
  const genesis = genesisFrom(options);
  const client = memberClientFrom(options);
  const assetHex = Buffer.from(asset).toString('hex');
  const security = await securityView(client, assetHex);
  const { withdrawn, ...submitted } = await withWalletLock(options.file, async () => {
    const utxos = await client.utxos(wallet.address);
    const { open } = await walletOffers(client, options.file, utxos);
    const wayOut = 'spending an offered coin leaves its offer unable ever to settle: withdraw the offer first (`strongbox dvp cancel --offer <offer file>`), or send with --spend-offered';
    const wording = security && securityWording(assetHex, security);
    const coins = coinsNotOffered(utxos, open, assetHex, amount, { spendOffered: options.spendOffered === true, wayOut, security: wording });
    const tx = buildTransfer(genesis.chainId, wallet, coins, asset, recipient, amount, wording);
    const submitted = await submitUntilFinal(client, tx, options, { rerun: 'sends another payment' });
    return { ...submitted, withdrawn: dropSpentOffers(options.file, new Set(tx.inputs.map((input) => `${Buffer.from(input.txid).toString('hex')}:${input.index}`))) };
  });
  const withdrawnLines = withdrawn.map((hold) => `\nwithdrew the offer ${hold.offer}: its coin ${hold.coin} is spent, so nobody can take it`);
  printResult(options, `sent ${describeAmount(amount, assetHex, security)} to ${to}: ${submitted.txid} ${finality(submitted)}${withdrawnLines.join('')}`, { ...submitted, to, asset: assetHex, amount, withdrawnOffers: withdrawn.map((hold) => hold.offer) });
}
