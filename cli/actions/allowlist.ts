import { addressPayload } from '../../sidechain/address.ts';
import { toHex } from '../../sidechain/transaction/ids.ts';
import type { RegistryBody } from '../../sidechain/transaction/types.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { submitIssuerChange } from '../issuer-change.ts';
import { registeredSecurity } from '../asset-amount.ts';
import { securityLabel, securityName } from '../../sidechain/asset.ts';
import { MemberApiError, type AssetView } from '../../federation/api/client.ts';
import { issuerAuthorization } from '../../federation/roles/issuer-request.ts';
import { readWalletFile } from '../../federation/wallet/wallet-file.ts';
import { plural } from '../../federation/words.ts';
import { genesisFrom, memberClientFrom, type NetworkOptions } from '../member-url.ts';
import { printResult } from '../output.ts';
import { parseAddress, parseSecurity } from '../command-arguments.ts';
import { finality, type SubmitOptions } from '../submit.ts';

type AllowlistOptions = NetworkOptions & SubmitOptions & { asset: string; file: string; includeIssuer?: boolean };

const ownerKey = (address: string) => Buffer.from(addressPayload(address)).toString('hex');

/**
 * The chain lets an issuer take itself off its own allowlist, and then delivers it none of the
 * security: not a re-issuance to itself, not a buy-back from a holder. That is seldom meant (a
 * list of departing holders that happens to hold the issuer), so it takes --include-issuer.
 */
function refuseRemovingIssuer(addresses: string[], asset: AssetView): void {
  const issuer = asset.issuerAddress;
  if (!addresses.some((address) => ownerKey(address) === ownerKey(issuer))) return;
  throw new ValidationError(
    'removes-issuer',
    `${issuer} is the issuer of ${securityLabel(asset)}: off its allowlist the issuer receives none of it, so \`strongbox reissue\` to the issuer and every delivery to it (a buy-back, a dvp it accepts) are refused until it is added back, though it can still send what it holds; add --include-issuer to remove it anyway`,
  );
}

/**
 * The allowlist as its issuer sees it, by owner payload hex; undefined when it cannot be read (the
 * wallet is not the issuer, or the asset is unknown), which the change then meets with its own refusal.
 */
async function currentAllowlist(options: AllowlistOptions, asset: Uint8Array): Promise<Set<string> | undefined> {
  const authorization = issuerAuthorization(genesisFrom(options).chainId, asset, readWalletFile(options.file).keys.seed, Date.now());
  const view = await memberClientFrom(options).allowlist(toHex(asset), authorization).catch((error: unknown) => {
    if (error instanceof MemberApiError && [401, 403, 404].includes(error.status)) return undefined;
    throw error;
  });
  return view && new Set(view.addresses.map(ownerKey));
}

async function changeAllowlist(action: 'add' | 'remove', addressArguments: string[], options: AllowlistOptions): Promise<void> {
  const asset = parseSecurity(options.asset);
  const assetKey = toHex(asset);
  const addresses = addressArguments.map(parseAddress);
  // The chain refuses a registry change naming an owner twice, without saying which: said here, before anything is signed.
  const repeated = addresses.find((address, index) => addresses.findIndex((other) => ownerKey(other) === ownerKey(address)) !== index);
  if (repeated) throw new ValidationError('repeated-address', `${repeated} is given twice: name each address once`);
  // The chain takes an address already there (or not there to remove), but a transaction that
  // changes nothing is worth a word: only the others are sent, and none at all is refused.
  const listed = await currentAllowlist(options, asset);
  const unchanged = listed ? addresses.filter((address) => listed.has(ownerKey(address)) === (action === 'add')) : [];
  const changing = addresses.filter((address) => !unchanged.includes(address));
  if (changing.length === 0) {
    const security = securityName(assetKey, await registeredSecurity(memberClientFrom(options), assetKey));
    throw new ValidationError('allowlist-unchanged', `nothing to ${action}: ${unchanged.join(', ')} ${action === 'add' ? 'already on' : 'not on'} the allowlist of ${security}`);
  }
  const body = (next: bigint, _issuer: unknown, current: AssetView): RegistryBody => {
    // The chain takes it, but it would change nothing anyone can see: say so instead.
    if (!current.restricted) throw new ValidationError('not-restricted', `${securityLabel(current)} is not restricted: anyone may hold it, so an allowlist changes nothing (a restricted security is issued with issue --restricted)`);
    if (action === 'remove' && !options.includeIssuer) refuseRemovingIssuer(changing, current);
    return { kind: 'registry', asset, sequence: next, action, owners: changing.map(addressPayload) };
  };
  const { view, sequence, txid, height } = await submitIssuerChange(options, asset, body, { rerun: 'is refused, the change being made' });
  const verb = action === 'add' ? 'added to' : 'removed from';
  const skipped = unchanged.length === 0 ? '' : ` (${unchanged.join(', ')} ${action === 'add' ? 'already on' : 'not on'} it)`;
  printResult(options, `${plural(changing.length, 'address', 'addresses')} ${verb} the allowlist of ${securityLabel(view)}${skipped}, registry sequence ${sequence}\ntransaction ${txid} ${finality({ txid, height })}`, { asset: assetKey, action, addresses: changing, unchanged, sequence, txid, height });
}

export const addToAllowlist = (addresses: string[], options: AllowlistOptions) => changeAllowlist('add', addresses, options);
export const removeFromAllowlist = (addresses: string[], options: AllowlistOptions) => changeAllowlist('remove', addresses, options);
