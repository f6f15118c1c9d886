import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { text } from 'node:stream/consumers';
import { Command } from 'commander';
import { addressPayload, looksLikeBitcoin } from '../../sidechain/address.ts';
import { describeAmount, securityView, unitsFigure } from '../asset-amount.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { LIMITS } from '../../sidechain/transaction/types.ts';
import { createWalletFile, readWalletFile } from '../../federation/wallet/wallet-file.ts';
import { RECOVERY_WORD_COUNT, recoveryWords, seedFromRecoveryWords } from '../../federation/wallet/recovery-words.ts';
import { KeyFileError } from '../../federation/key-file.ts';
import { buildTransfer } from '../../federation/wallet/build-transfer.ts';
import { coinsNotOffered } from '../../federation/wallet/offer-holds.ts';
import { withWalletLock } from '../../federation/wallet/wallet-lock.ts';
import { genesisFrom, memberClientFrom, type NetworkOptions } from '../member-url.ts';
import { dropSpentOffers, walletOffers } from '../open-offers.ts';
import { parseAddress, parseAsset } from '../command-arguments.ts';
import { submitUntilFinal } from '../submit.ts';
import { printResult } from '../output.ts';

const DEFAULT_WALLET = 'wallet.json';

/** The options of a command that reads a member's API: which member, or the local network's. */
export function memberOptions(command: Command): Command {
  return command
    .option('--member <url>', 'member API URL (default: $STRONGBOX_MEMBER_URL or the local network)')
    .option('--data-dir <dir>', 'local network folder (default: $STRONGBOX_HOME or ./.strongbox)')
    .option('--json', 'print machine-readable output');
}

/** memberOptions, and the genesis file a command signs for or checks against. */
export function networkOptions(command: Command): Command {
  return memberOptions(command).option('--genesis <file>', 'genesis file (default: $STRONGBOX_GENESIS_FILE or the local network)');
}

/** An amount as the command line takes it: whole base units, named by the option `flag` that gave it. */
export function parseAmount(value: string, flag: string): bigint {
  if (!/^[1-9][0-9]*$/.test(value)) {
    throw new ValidationError('bad-amount', `${flag} must be a positive whole number of base units (sats for pegged BTC; 1.00 of a security with 2 decimals is 100), got ${JSON.stringify(value)}`);
  }
  // Every amount on the chain is at most 2^63-1 base units: anything above could never be paid.
  if (value.length > 19 || BigInt(value) > LIMITS.maxAmount) throw new ValidationError('bad-amount', `${flag} must be at most ${LIMITS.maxAmount} (2^63-1) base units, got ${value}`);
  return BigInt(value);
}

export function walletCommand(): Command {
  const wallet = new Command('wallet').description('a single-key wallet kept in a local file');
  wallet.addCommand(
    new Command('new')
      .description('create a wallet file (mode 0600) and print its address')
      .option('--file <file>', 'wallet file', DEFAULT_WALLET)
      .option('--json', 'print machine-readable output')
      .addHelpText('after', '\nExample:\n  strongbox wallet new --file alice.wallet.json')
      .action((options: { file: string; json?: boolean }) => {
        const created = createWalletFile(options.file);
        printResult(options, `wrote ${options.file}\naddress: ${created.address}`, { file: options.file, address: created.address });
      }),
  );
  wallet.addCommand(
    new Command('words')
      .description("print the wallet's 24 recovery words (BIP-39), to write down: they restore the wallet with `wallet restore`")
      .option('--file <file>', 'wallet file', DEFAULT_WALLET)
      .option('--json', 'print machine-readable output')
      .addHelpText('after', '\nAnyone who reads the words can spend the wallet\'s coins: write them on paper, keep them offline.\n\nExample:\n  strongbox wallet words --file alice.wallet.json')
      .action((options: { file: string; json?: boolean }) => {
        const { keys, address } = readWalletFile(options.file);
        const words = recoveryWords(keys.seed);
        const rows = Array.from({ length: words.length / 6 }, (_, row) => words.slice(row * 6, row * 6 + 6).map((word, column) => `${String(row * 6 + column + 1).padStart(2)} ${word.padEnd(8)}`).join(' ').trimEnd());
        printResult(options, [`recovery words of ${address} (anyone who reads them can spend its coins: keep them on paper, offline):`, ...rows].join('\n'), { address, words });
      }),
  );
  wallet.addCommand(
    new Command('restore')
      .description('write a wallet file from its 24 recovery words, read from standard input (never from the command line, which shell history keeps)')
      .requiredOption('--file <file>', 'the wallet file to write (it must not exist)')
      .option('--json', 'print machine-readable output')
      .addHelpText('after', '\nThe wallet\'s DvP offer records were in its old file only; its coins are on the chain.\n\nExample:\n  strongbox wallet restore --file alice.wallet.json     (then type the words and press Enter)')
      .action(async (options: { file: string; json?: boolean }) => {
        // Checked before the words are asked for: a person types 24 words for nothing otherwise.
        if (existsSync(options.file)) throw new KeyFileError(options.file, 'already exists; refusing to overwrite a wallet (restore into a new file)');
        const seed = seedFromRecoveryWords(await typedWords());
        const restored = createWalletFile(options.file, seed);
        printResult(options, `wrote ${options.file}\naddress: ${restored.address}`, { file: options.file, address: restored.address });
      }),
  );
  wallet.addCommand(
    networkOptions(new Command('show'))
      .description("print the wallet's address and final balances")
      .option('--file <file>', 'wallet file', DEFAULT_WALLET)
      .addHelpText('after', '\nExample:\n  strongbox wallet show --file alice.wallet.json')
      .action(async (options: NetworkOptions & { file: string; json?: boolean }) => {
        const { address } = readWalletFile(options.file);
        const client = memberClientFrom(options);
        const balances = await Promise.all((await client.balances(address)).map(async (balance) => ({ ...balance, security: await securityView(client, balance.asset) })));
        const lines = balances.length === 0 ? ['  (no funds)'] : balances.map(({ amount, asset, security }) => `  ${describeAmount(amount, asset, security)}`);
        // A security is named as its issuer registered it; an id alone tells a person nothing.
        const data = balances.map(({ amount, asset, security }) => ({ asset, amount, ...(security ? { name: security.name, isin: security.isin, decimals: security.decimals } : PEGGED_BTC) }));
        printResult(options, [`address: ${address}`, 'balances:', ...lines].join('\n'), { address, balances: data });
      }),
  );
  return wallet;
}

/** The words from a terminal (one line, after a prompt on stderr), or everything piped in. */
async function typedWords(): Promise<string> {
  if (!process.stdin.isTTY) return text(process.stdin);
  const prompt = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await prompt.question(`recovery words (${RECOVERY_WORD_COUNT}, separated by spaces): `);
  } finally {
    prompt.close();
  }
}

/** What `wallet show --json` says of pegged BTC, as it names a security: amounts in sats, 8 decimals to a BTC. */
const PEGGED_BTC = { name: 'pegged BTC', decimals: 8 } as const;

export function sendCommand(): Command {
  return networkOptions(new Command('send'))
    .description('send an asset from the wallet and wait until the transfer is final')
    .requiredOption('--to <address>', 'recipient sbx address')
    .requiredOption('--amount <units>', 'amount in base units (satoshis for BTC)')
    .option('--asset <asset>', 'BTC or an asset id (hex)', 'BTC')
    .option('--file <file>', 'wallet file', DEFAULT_WALLET)
    .option('--spend-offered', "when the wallet's other coins fall short, spend coins backing its open DvP offers too (those offers can then never settle)")
    .addHelpText('after', '\nExample:\n  strongbox send --asset BTC --to sbx1… --amount 25000 --file alice.wallet.json')
    .action(async (options: NetworkOptions & { to: string; amount: string; asset: string; file: string; spendOffered?: boolean; json?: boolean }) => {
      if (looksLikeBitcoin(options.to)) {
        throw new ValidationError('bad-address', `${options.to} is a Bitcoin address, not a Strongbox address (sbx1…): BTC leaves the sidechain by a peg-out (strongbox pegout --to ${options.to} --amount <sats> --file <wallet>)`);
      }
      const to = parseAddress(options.to);
      const recipient = addressPayload(to);
      const amount = parseAmount(options.amount, '--amount');
      const asset = parseAsset(options.asset);
      const wallet = readWalletFile(options.file);
      const genesis = genesisFrom(options);
      const client = memberClientFrom(options);
      const assetHex = Buffer.from(asset).toString('hex');
      const security = await securityView(client, assetHex);
      const { txid, height, withdrawn } = await withWalletLock(options.file, async () => {
        const utxos = await client.utxos(wallet.address);
        const { open } = await walletOffers(client, options.file, utxos);
        const wayOut = 'spending an offered coin leaves its offer unable ever to settle: withdraw the offer first (`strongbox dvp cancel --offer <offer file>`), or send with --spend-offered';
        const coins = coinsNotOffered(utxos, open, assetHex, amount, { spendOffered: options.spendOffered === true, wayOut, units: (units) => unitsFigure(units, security?.decimals ?? 0) });
        const tx = buildTransfer(genesis.chainId, wallet, coins, asset, recipient, amount);
        const final = await submitUntilFinal(client, tx, options);
        return { ...final, withdrawn: dropSpentOffers(options.file, new Set(tx.inputs.map((input) => `${Buffer.from(input.txid).toString('hex')}:${input.index}`))) };
      });
      const withdrawnLines = withdrawn.map((hold) => `\nwithdrew the offer ${hold.offer}: its coin ${hold.coin} is spent, so nobody can take it`);
      printResult(options, `sent ${describeAmount(amount, assetHex, security)} to ${to}: ${txid} final at height ${height}${withdrawnLines.join('')}`, { txid, height, to, asset: assetHex, amount, withdrawnOffers: withdrawn.map((hold) => hold.offer) });
    });
}
