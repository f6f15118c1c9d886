import { addressPayload, encodeAddress, ownerFromPayload } from '../../sidechain/address.ts';
import { BTC_ASSET_ID, BTC_ASSET_KEY, securityLabel } from '../../sidechain/asset.ts';
import { printable } from '../../sidechain/printable.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { dividendHolders, dividendOutputs } from '../../sidechain/ledger/dividend.ts';
import { toHex } from '../../sidechain/transaction/ids.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import { LIMITS, type DividendBody } from '../../sidechain/transaction/types.ts';
import { issuerAuthorization } from '../../federation/roles/issuer-request.ts';
import { inputRoom, selectCoins } from '../../federation/wallet/build-transfer.ts';
import { readWalletFile } from '../../federation/wallet/wallet-file.ts';
import { withWalletLock } from '../../federation/wallet/wallet-lock.ts';
import { plural } from '../../federation/words.ts';
import { describeAmount, registeredSecurity } from '../asset-amount.ts';
import { genesisFrom, memberClientFrom, type NetworkOptions } from '../member-url.ts';
import { printResult } from '../output.ts';
import { parseAmount, parseHeight, parseSecurity } from '../command-arguments.ts';
import { finality, submitUntilFinal, type SubmitOptions } from '../submit.ts';

export async function payDividend(options: NetworkOptions & SubmitOptions & { asset: string; recordHeight: string; total: string; file: string; again?: boolean }): Promise<void> {
  const asset = parseSecurity(options.asset);
  const assetKey = toHex(asset);
  const recordHeight = parseHeight(options.recordHeight, '--record-height');
  const total = parseAmount(options.total, '--total');
  const wallet = readWalletFile(options.file);
  const genesis = genesisFrom(options);
  const client = memberClientFrom(options);
  const view = await registeredSecurity(client, assetKey);
  if (view.issuer !== Buffer.from(wallet.keys.publicKey).toString('hex')) {
    throw new ValidationError('not-issuer', `only the issuer of ${securityLabel(view)} pays its dividends, and ${options.file} holds another key`);
  }
  // Below its issuance the register of a security is empty, which would read as "nobody but the issuer held it".
  if (recordHeight < view.height) {
    throw new ValidationError('before-issuance', `--record-height ${recordHeight} is before ${securityLabel(view)} was issued, at height ${view.height}: nobody held it then`);
  }
  const tip = (await client.status()).height;
  if (recordHeight > tip) {
    throw new ValidationError('bad-height', `--record-height ${recordHeight} is above the chain's height ${tip}: holdings count as of a block already made (\`strongbox status\` shows the height now)`);
  }
  // The same command run again (after an interrupted wait, from shell history) would pay every holder once more.
  const earlier = (await client.dividends(assetKey)).find((dividend) => dividend.recordHeight === recordHeight);
  if (earlier && !options.again) {
    throw new ValidationError(
      'dividend-already-paid',
      `a dividend of ${securityLabel(view)} at record height ${recordHeight} was already paid: ${describeAmount(earlier.paid, BTC_ASSET_KEY, undefined)} in ${earlier.txid}, final at height ${earlier.height}; nothing was sent (add --again to pay the holders a second time)`,
    );
  }
  // The issuer reads its own register by signing the request with the issuer key.
  const register = await client.holders(assetKey, issuerAuthorization(genesis.chainId, asset, wallet.keys.seed, Date.now()), recordHeight);
  const holders = register.holders.map((holder) => {
    const owner = addressPayload(holder.address);
    return { owner, ownerKey: Buffer.from(owner).toString('hex'), amount: holder.amount };
  });
  const owed = dividendHolders(holders, wallet.keys.publicKey);
  if (owed.length === 0) {
    throw new ValidationError('no-holders', `nobody but the issuer held ${securityLabel(view)} at record height ${recordHeight}, and the issuer's own holding earns nothing: the dividend would pay no one (\`strongbox registry holders --asset ${assetKey} --height ${recordHeight} --file ${options.file}\` shows who held it)`);
  }
  const outputs = dividendOutputs(total, owed);
  if (outputs.length >= LIMITS.maxOutputs) throw new ValidationError('too-many-holders', `${outputs.length} holders are owed a share; one dividend transaction pays at most ${LIMITS.maxOutputs - 1}`);
  const { change, ...submitted } = await withWalletLock(options.file, async () => {
    // The room left beside a share for every holder and the change.
    const room = inputRoom({ kind: 'dividend', asset, recordHeight, inputs: [], outputs: [...outputs, { owner: wallet.owner, asset: BTC_ASSET_ID, amount: 1n }], witnesses: [] });
    const { inputs, change } = selectCoins(await client.utxos(wallet.address), BTC_ASSET_ID, total, { room });
    if (change > 0n) outputs.push({ owner: wallet.owner, asset: BTC_ASSET_ID, amount: change });
    const body: DividendBody = { kind: 'dividend', asset, recordHeight, inputs, outputs };
    const witnesses = inputs.map((_, inputIndex) => keyWitness(genesis.chainId, body, wallet.keys.seed, { inputIndex }));
    const rerun = 'is refused, the dividend being paid (with --again, it pays the holders a second time)';
    return { ...(await submitUntilFinal(client, { ...body, witnesses }, options, { rerun })), change };
  });
  const paid = change > 0n ? outputs.length - 1 : outputs.length;
  printResult(options, `paid ${describeAmount(total, BTC_ASSET_KEY, undefined)} to ${plural(paid, 'holder')} of ${printable(view.name)} (${view.isin}, ${assetKey}) at record height ${recordHeight}: ${submitted.txid} ${finality(submitted)}`, {
    ...submitted,
    asset: assetKey,
    name: view.name,
    isin: view.isin,
    recordHeight,
    total,
    payments: outputs.slice(0, paid).map((output) => ({ address: encodeAddress(ownerFromPayload(output.owner)), amount: output.amount })),
  });
}
