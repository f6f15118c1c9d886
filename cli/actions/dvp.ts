import { accessSync, constants, existsSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { addressPayload, encodeAddress, ownerFromPayload } from '../../sidechain/address.ts';
import { BTC_ASSET_ID, BTC_ASSET_KEY, securityLabel } from '../../sidechain/asset.ts';
import { offerFromJson, offerToJson, type DvpOffer } from '../../sidechain/dvp-offer.ts';
import { sameBytes } from '../../sidechain/bytes.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { decodeTransaction, encodeWitness } from '../../sidechain/transaction/codec.ts';
import { createdOutputs } from '../../sidechain/transaction/ids.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import { SighashType, type Outpoint, type TransferBody, type Witness } from '../../sidechain/transaction/types.ts';
import { MemberApiError, type AssetView, type MemberClient } from '../../federation/api/client.ts';
import { buildTransfer, inputRoom, selectCoins, type SpendableOutput } from '../../federation/wallet/build-transfer.ts';
import { acceptOffer, checkBuyerIsNotSeller, checkOfferChain, checkOfferedCoin, createOffer, type OfferedCoin } from '../../federation/wallet/dvp.ts';
import { readJsonFile } from '../../federation/json-file.ts';
import { cannotWrite, writeNewFile } from '../../federation/write-file.ts';
import { coinsNotOffered } from '../../federation/wallet/offer-holds.ts';
import { readOfferHolds, readWalletFile, type OfferHold, type Wallet } from '../../federation/wallet/wallet-file.ts';
import { genesisFrom, memberClientFrom, type NetworkOptions } from '../member-url.ts';
import { describeAmount, describeAmountOn, registeredSecurity, securityView, securityWording, unitsFigure } from '../asset-amount.ts';
import { printResult } from '../output.ts';
import { parseAmount, parseHeight, parseSecurity } from '../command-arguments.ts';
import { recordOffer, walletOffers } from '../open-offers.ts';
import { withWalletLock } from '../../federation/wallet/wallet-lock.ts';
import { finality, submitUntilFinal, type SubmitOptions } from '../submit.ts';
import { stderrLines } from '../stderr-line.ts';
import { MIN_EXPIRY_BLOCKS } from '../commands/dvp.ts';

type Options = NetworkOptions & SubmitOptions & { file: string };
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const OFFER_FILE_EXISTS = 'it already exists; offers are never overwritten';

/**
 * Refuses an offer file that could not be written before anything reaches the chain: a coin
 * split is a transaction of its own, and a user told only afterwards would have changed the chain
 * for nothing.
 */
function checkOfferFileWritable(path: string): void {
  if (existsSync(path)) throw new ValidationError('bad-output', `cannot write ${path}: ${OFFER_FILE_EXISTS}`);
  try {
    accessSync(dirname(resolve(path)), constants.W_OK);
  } catch (error) {
    throw cannotWrite(path, error, OFFER_FILE_EXISTS);
  }
}

function readOffer(path: string): DvpOffer {
  return offerFromJson(readJsonFile(path, (reason) => new ValidationError('bad-offer', `offer file: ${reason}`)));
}

/** What became of an offer whose coin is spent, and in which final transaction. */
type OfferFate = { state: 'taken' | 'withdrawn'; txid: string; height: number };

/** The final transaction that spent `input`, and the index of its input that did. */
async function spenderOf(client: MemberClient, input: Outpoint): Promise<{ spentBy: string; input: number; height: number }> {
  const created = await client.transaction(hex(input.txid)).catch((error: unknown) => {
    if (error instanceof MemberApiError && error.status === 404) return undefined;
    throw error;
  });
  const spender = created?.spenders?.find((one) => one.vout === input.index);
  if (!spender) throw new ValidationError('offer-coin-unknown', `the offered coin ${hex(input.txid)}:${input.index} is not an output of this chain's final transactions`);
  return spender;
}

/**
 * What became of an offer whose coin (`input`) is spent: taken when the spending input carries the
 * offer's own signature (`isOffer` tells it), withdrawn otherwise.
 */
async function spentOffer(client: MemberClient, input: Outpoint, isOffer: (witness: Witness) => boolean): Promise<OfferFate> {
  const spender = await spenderOf(client, input);
  const spending = decodeTransaction(new Uint8Array(Buffer.from((await client.transaction(spender.spentBy)).hex!, 'hex')));
  const witness = spending.witnesses[spender.input];
  return { state: witness !== undefined && isOffer(witness) ? 'taken' : 'withdrawn', txid: spender.spentBy, height: spender.height };
}

/** Whether a witness is the signature of `offer` itself. */
const signedBy = (offer: DvpOffer) => (witness: Witness) => sameBytes(encodeWitness(witness), encodeWitness(offer.witness));

const fateLine = (fate: OfferFate) => `${fate.state === 'taken' ? 'taken by' : "withdrawn: the seller spent the coin in"} ${fate.txid}, final at height ${fate.height}`;

/** The offered coin as the final transaction that created it wrote it: what the coin held, and whose it was, once it is spent. */
async function spentCoin(client: MemberClient, input: Outpoint): Promise<OfferedCoin> {
  const created = await client.transaction(hex(input.txid)).catch((error: unknown) => {
    if (error instanceof MemberApiError && error.status === 404) return undefined;
    throw error;
  });
  const output = created?.hex === undefined ? undefined : createdOutputs(decodeTransaction(new Uint8Array(Buffer.from(created.hex, 'hex'))))[input.index];
  if (!output) throw new ValidationError('offer-coin-unknown', `the offered coin ${hex(input.txid)}:${input.index} is not an output of this chain's final transactions`);
  return { owner: output.owner, asset: hex(output.asset), amount: output.amount };
}

/**
 * The offered coin as the chain holds it now or, once it is spent, what became of the offer. A
 * spent coin's offer is checked against what the coin held and its owner's key as an open one is:
 * a file changed after the offer was taken (its price, say) is refused as changed, not shown as
 * the offer that was taken.
 */
async function coinOrFate(client: MemberClient, offer: DvpOffer): Promise<{ coin: Awaited<ReturnType<MemberClient['output']>> } | { fate: OfferFate }> {
  try {
    return { coin: await client.output(hex(offer.input.txid), offer.input.index) };
  } catch (error) {
    if (!(error instanceof MemberApiError && error.status === 404)) throw error;
    checkOfferedCoin(offer, await spentCoin(client, offer.input));
    return { fate: await spentOffer(client, offer.input, signedBy(offer)) };
  }
}

/** The offered coin as the chain holds it now; a clear refusal once it is spent, saying whether the offer was taken or withdrawn. */
async function offeredCoin(client: MemberClient, offer: DvpOffer) {
  const found = await coinOrFate(client, offer);
  if ('fate' in found) throw new ValidationError(`offer-${found.fate.state}`, `the offer was ${fateLine(found.fate)}: its coin ${hex(offer.input.txid)}:${offer.input.index} is spent`);
  return found.coin;
}

/**
 * A coin of exactly `amount` of `asset` backing no open offer of the wallet (a coin can settle one
 * offer only): an offer sells a whole coin, so when the wallet has none of that size it first
 * splits one off its coins not offered, with a transfer to itself, and waits until that is final,
 * giving the height it is final at. The same command line run again while that split is pending
 * (the first interrupted, or its wait over) builds the very same split from the same final coins,
 * waits for it and goes on to make the offer the first did not.
 */
async function exactCoin(client: MemberClient, chainId: Uint8Array, wallet: Wallet, asset: Uint8Array, amount: bigint, security: AssetView, coins: { utxos: SpendableOutput[]; open: OfferHold[] }, options: Options): Promise<{ coin: SpendableOutput; splitHeight?: number }> {
  const offered = new Set(coins.open.map((hold) => hold.coin));
  const exact = coins.utxos.find((utxo) => utxo.asset === hex(asset) && utxo.amount === amount && !offered.has(`${utxo.txid}:${utxo.vout}`));
  if (exact) return { coin: exact };
  const wayOut = 'a coin backs one offer at a time: withdraw an offer first (`strongbox dvp cancel --offer <offer file>`)';
  const wording = securityWording(hex(asset), security);
  const notOffered = coinsNotOffered(coins.utxos, coins.open, hex(asset), amount, { spendOffered: false, wayOut, security: wording });
  const split = buildTransfer(chainId, wallet, notOffered, asset, wallet.owner, amount, wording);
  if (!options.json) stderrLines.say(`splitting a coin of ${unitsFigure(amount, security.decimals)} off for the offer`);
  const { txid, height } = await submitUntilFinal(client, split, options, { rerun: 'makes the offer with the coin split off', resumes: 'makes the offer' });
  return { coin: { txid, vout: 0, asset: hex(asset), amount }, splitHeight: height };
}

/** Whether no block can take the offer any more: the next block is the tip's height + 1, and an offer is valid through its expiry height. */
const offerExpired = (offer: DvpOffer, tipHeight: number) => tipHeight >= offer.expiryHeight;

export async function dvpOffer(options: Options & { asset: string; amount: string; price: string; expiresIn: string; out: string }): Promise<void> {
  const asset = parseSecurity(options.asset);
  const assetHex = hex(asset);
  const amount = parseAmount(options.amount, '--amount');
  const price = parseAmount(options.price, '--price');
  const expiresIn = parseHeight(options.expiresIn, '--expires-in');
  if (expiresIn < MIN_EXPIRY_BLOCKS) {
    throw new ValidationError('bad-height', `--expires-in must be at least ${MIN_EXPIRY_BLOCKS} blocks, got ${expiresIn}: a block is made whenever anyone sends a transaction, so a shorter offer can lapse before its buyer has read it`);
  }
  const wallet = readWalletFile(options.file);
  const genesis = genesisFrom(options);
  const client = memberClientFrom(options);
  checkOfferFileWritable(options.out);
  const security = await registeredSecurity(client, assetHex);
  const { coin, expiryHeight } = await withWalletLock(options.file, async () => {
    const utxos = await client.utxos(wallet.address);
    const offers = await walletOffers(client, options.file, utxos);
    const { coin, splitHeight } = await exactCoin(client, genesis.chainId, wallet, asset, amount, security, { utxos, open: offers.open }, options);
    // From the split's block rather than the tip when a coin was split off: a run again that found
    // the split pending then signs the very offer the first would have, the same coin, price and
    // expiry, so a first that got as far as its offer too (from a copy of the wallet file, which
    // the lock does not see) made the same offer, not a second one.
    const expiryHeight = (splitHeight ?? (await client.status()).height) + expiresIn;
    const offer = createOffer(genesis.chainId, wallet, coin, { asset: BTC_ASSET_ID, amount: price }, expiryHeight);
    writeNewFile(options.out, `${JSON.stringify(offerToJson(offer), null, 2)}\n`, { exists: OFFER_FILE_EXISTS });
    // Recorded once the file exists, so no offer is out unrecorded; an offer that cannot be recorded is not handed out.
    try {
      recordOffer(options.file, offers, options.out, coin, expiryHeight);
    } catch (error) {
      rmSync(options.out);
      throw error;
    }
    return { coin, expiryHeight };
  });
  printResult(
    options,
    `offer: ${describeAmount(amount, assetHex, security)} for ${describeAmount(price, BTC_ASSET_KEY, undefined)}, valid through block ${expiryHeight}\nwrote ${options.out}; a buyer checks it with \`strongbox dvp show --offer ${options.out}\` and completes it with \`strongbox dvp accept --offer ${options.out} --file <buyer wallet>\``,
    { file: options.out, asset: assetHex, amount, price, expiryHeight, coin: `${coin.txid}:${coin.vout}` },
  );
}

export async function dvpAccept(options: Options & { offer: string }): Promise<void> {
  const offer = readOffer(options.offer);
  const wallet = readWalletFile(options.file);
  const { chainId } = genesisFrom(options);
  const client = memberClientFrom(options);
  // It spends the wallet's coins: held from reading them until the spend is final, as `dvp offer` does.
  await withWalletLock(options.file, async () => {
    const coin = await offeredCoin(client, offer);
    const offered = { owner: addressPayload(coin.address), asset: coin.asset, amount: coin.amount };
    // Before the coins to pay with are chosen, whose shortage would hide the reason.
    checkBuyerIsNotSeller(offered, wallet);
    const { height: tip } = await client.status();
    if (offerExpired(offer, tip)) {
      throw new ValidationError('offer-expired', `the offer expired: it was valid through block ${offer.expiryHeight}, and the chain is already at ${tip}: no block can take it now; nothing was sent`);
    }
    // The room left beside the seller's signed pair, the delivery and the buyer's change.
    const room = inputRoom(acceptOffer(chainId, offer, offered, wallet, { inputs: [], change: 1n }));
    const payWith = selectCoins(await client.utxos(wallet.address), offer.payment.asset, offer.payment.amount, { room });
    const tx = acceptOffer(chainId, offer, offered, wallet, payWith);
    const submitted = await submitUntilFinal(client, tx, options, { rerun: 'is refused, the offer being taken' }).catch(async (error: unknown) => {
      // Paid in pegged BTC, the delivery is the only output of a security in the swap: the members'
      // refusal names it by its outpoint, which tells a buyer nothing.
      if (!(error instanceof MemberApiError && error.code === 'not-allowlisted' && sameBytes(offer.payment.asset, BTC_ASSET_ID))) throw error;
      const security = securityLabel(await registeredSecurity(client, hex(offer.gives.asset)));
      throw new ValidationError('not-allowlisted', `this wallet (${wallet.address}) is not on the allowlist of ${security}, so the security cannot be delivered to it: only addresses its issuer has admitted may take it; ask the issuer to add this address (\`strongbox allowlist add\`), then accept again; nothing was sent`);
    });
    const asset = hex(offer.gives.asset);
    const paid = hex(offer.payment.asset);
    const received = `${await describeAmountOn(client, asset, offer.gives.amount)} for ${await describeAmountOn(client, paid, offer.payment.amount)}`;
    printResult(options, `received ${received}: ${submitted.txid} ${finality(submitted)}`, { ...submitted, asset, amount: offer.gives.amount, price: offer.payment.amount });
  });
}

/**
 * The coin an offer of the wallet sells, as the chain holds it now: from the offer file, or, with
 * the file lost, from the wallet's record of the offers it signed, by the path the file was
 * written to. Once the coin is spent, a clear refusal saying whether the offer was taken or withdrawn.
 */
async function coinOfOwnOffer(client: MemberClient, offerFile: string, wallet: Wallet, walletFile: string): Promise<{ input: Outpoint; coin: Awaited<ReturnType<typeof offeredCoin>> }> {
  if (existsSync(offerFile)) {
    const offer = readOffer(offerFile);
    return { input: offer.input, coin: await offeredCoin(client, offer) };
  }
  const hold = readOfferHolds(walletFile).find((one) => one.offer === resolve(offerFile));
  if (!hold) {
    const utxos = await client.utxos(wallet.address);
    const { recorded, open } = await walletOffers(client, walletFile, utxos);
    const lost = `offer file: ${offerFile} does not exist, and ${walletFile} records no offer written there`;
    if (recorded.length > 0) {
      const known = open.length === 0 ? 'it has no open offer' : `its open offers were written to ${open.map((one) => one.offer).join(', ')}`;
      throw new ValidationError('bad-offer', `${lost} (${known}): an offer whose file is lost is withdrawn by the path the file was written to`);
    }
    // The records are the wallet file's own: the words restore the key, not them. The coin an offer
    // sells is still the wallet's, and spending it is what withdraws the offer.
    const held = new Map<string, bigint>();
    for (const utxo of utxos) if (utxo.asset !== BTC_ASSET_KEY) held.set(utxo.asset, (held.get(utxo.asset) ?? 0n) + utxo.amount);
    const spendAll = [...held].map(([asset, amount]) => `\`strongbox send --asset ${asset} --amount ${amount} --to ${wallet.address} --file ${walletFile}\``);
    const way = spendAll.length === 0 ? 'it holds no security now, so no offer of it can settle' : `without it, spending the coin an offer sells withdraws the offer, and sending the wallet its whole holding of a security to itself spends every coin of it: ${spendAll.join('; ')}`;
    throw new ValidationError('bad-offer', `${lost}, nor any other: a wallet restored from its words, or copied before its offers were made, lacks the records of the wallet file that made them; an offer whose file is lost is withdrawn by its path with that wallet file; ${way}`);
  }
  const [txid, vout] = hold.coin.split(':') as [string, string];
  const input = { txid: new Uint8Array(Buffer.from(txid, 'hex')), index: Number(vout) };
  try {
    return { input, coin: await client.output(txid, input.index) };
  } catch (error) {
    if (!(error instanceof MemberApiError && error.status === 404)) throw error;
  }
  // The wallet signs SINGLE|ANYONECANPAY|EXPIRY for its offers only, and a coin backs one offer.
  const fate = await spentOffer(client, input, (witness) => witness.sighash === SighashType.singleAnyoneCanPayExpiry);
  throw new ValidationError(`offer-${fate.state}`, `the offer ${hold.offer} was ${fateLine(fate)}: its coin ${hold.coin} is spent`);
}

export async function dvpCancel(options: Options & { offer: string }): Promise<void> {
  const wallet = readWalletFile(options.file);
  const { chainId } = genesisFrom(options);
  const client = memberClientFrom(options);
  await withWalletLock(options.file, async () => {
    const { input, coin } = await coinOfOwnOffer(client, options.offer, wallet, options.file);
    if (coin.address !== wallet.address) throw new ValidationError('not-owner', `the offered coin belongs to ${coin.address}, not to this wallet`);
    const body: TransferBody = { kind: 'transfer', inputs: [input], outputs: [{ owner: wallet.owner, asset: new Uint8Array(Buffer.from(coin.asset, 'hex')), amount: coin.amount }] };
    const submitted = await submitUntilFinal(client, { ...body, witnesses: [keyWitness(chainId, body, wallet.keys.seed)] }, options, { rerun: 'is refused, the offer being withdrawn' });
    printResult(options, `offer withdrawn: the coin moved to ${submitted.txid}:0, ${finality(submitted)}`, submitted);
  });
}

export async function dvpShow(options: NetworkOptions & { offer: string; json?: boolean }): Promise<void> {
  const offer = readOffer(options.offer);
  const client = memberClientFrom(options);
  checkOfferChain(genesisFrom(options).chainId, offer);
  const outpoint = `${hex(offer.input.txid)}:${offer.input.index}`;
  const seller = encodeAddress(ownerFromPayload(offer.payment.owner));
  const { height } = await client.status();
  const found = await coinOrFate(client, offer);
  const fate = 'fate' in found ? found.fate : undefined;
  if ('coin' in found) checkOfferedCoin(offer, { owner: addressPayload(found.coin.address), asset: found.coin.asset, amount: found.coin.amount });
  const expired = offerExpired(offer, height);
  const state = fate ? fateLine(fate) : expired ? `expired: it was valid through block ${offer.expiryHeight}` : 'open';
  // A buyer off a restricted security's allowlist is refused at accept: said before anyone decides to pay.
  const restricted = (await securityView(client, hex(offer.gives.asset)))?.restricted === true;
  printResult(
    options,
    [
      `gives:    ${await describeAmountOn(client, hex(offer.gives.asset), offer.gives.amount)}`,
      `asks:     ${await describeAmountOn(client, hex(offer.payment.asset), offer.payment.amount)}, paid to the seller ${seller}`,
      `expires:  after block ${offer.expiryHeight} (the chain is at ${height}; blocks are made when there are transactions)`,
      `state:    ${state}${state === 'open' ? `; signed by the owner of ${outpoint}` : ''}`,
      ...(restricted ? ["buyers:   only addresses on the security's allowlist, which its issuer keeps: dvp accept by any other is refused"] : []),
    ].join('\n'),
    { gives: { asset: hex(offer.gives.asset), amount: offer.gives.amount }, asks: { asset: hex(offer.payment.asset), amount: offer.payment.amount, to: seller }, expiryHeight: offer.expiryHeight, height, coin: outpoint, state: fate?.state ?? (expired ? 'expired' : 'open'), restricted, ...(fate && { spentBy: { txid: fate.txid, height: fate.height } }) },
  );
}
