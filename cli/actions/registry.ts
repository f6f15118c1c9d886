import { ConfigError } from '../../sidechain/errors.ts';
import { notYetIssued } from '../../federation/api/registry-routes.ts';
import { toHex } from '../../sidechain/transaction/ids.ts';
import { MemberApiError, type AssetView, type MemberClient } from '../../federation/api/client.ts';
import { issuerAuthorization } from '../../federation/roles/issuer-request.ts';
import { readWalletFile } from '../../federation/wallet/wallet-file.ts';
import { plural } from '../../federation/words.ts';
import { registeredSecurity, unitsFigure } from '../asset-amount.ts';
import { formatUnits, securityName } from '../../sidechain/asset.ts';
import { table } from '../table.ts';
import { genesisFrom, memberClientFrom, type NetworkOptions } from '../member-url.ts';
import { printResult } from '../output.ts';
import { parseAddress, parseHeight, parseSecurity } from '../command-arguments.ts';

type HoldingChange = Awaited<ReturnType<MemberClient['history']>>[number];

type ViewOptions = NetworkOptions & { credential?: string; json?: boolean };

function bearer(options: ViewOptions): string {
  const token = options.credential ?? process.env.STRONGBOX_CREDENTIAL;
  if (!token) throw new ConfigError('--credential', 'registry views need an auditor or regulator credential (--credential or $STRONGBOX_CREDENTIAL)');
  return `Bearer ${token}`;
}

type AssetViewOptions = ViewOptions & { asset: string; file?: string };

/** The security a view is of, in lowercase hex, and what opens it: the issuer's signature (--file) or a credential. */
function assetAccess(options: AssetViewOptions): { asset: string; authorization: string } {
  const asset = parseSecurity(options.asset);
  if (!options.file && !options.credential && !process.env.STRONGBOX_CREDENTIAL) {
    throw new ConfigError('--credential', "a security's registry views need an auditor or regulator credential (--credential or $STRONGBOX_CREDENTIAL), or its issuer's wallet (--file)");
  }
  const authorization = options.file ? issuerAuthorization(genesisFrom(options).chainId, asset, readWalletFile(options.file).keys.seed, Date.now()) : bearer(options);
  return { asset: toHex(asset), authorization };
}

/**
 * A registry view of `asset`, asked before its record so that a credential or wallet the member
 * refuses is what the user hears; a security the chain does not know is then refused as every
 * other command refuses it.
 */
async function registryView<T>(client: MemberClient, asset: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof MemberApiError && error.status === 404) await registeredSecurity(client, asset);
    throw error;
  }
}

export async function showHolders(options: AssetViewOptions & { height?: string }): Promise<void> {
  const { asset, authorization } = assetAccess(options);
  const height = options.height === undefined ? undefined : parseHeight(options.height, '--height');
  const client = memberClientFrom(options);
  const view = await registryView(client, asset, () => client.holders(asset, authorization, height));
  const { name, isin, decimals, height: issuedAt } = await registeredSecurity(client, asset);
  // Members refuse it; one of an earlier version answers an empty register.
  if (view.height < issuedAt) throw notYetIssued({ name, isin }, view.height, issuedAt);
  const heading = `holders of ${securityName(asset, { name, isin })} after block ${view.height} (${unitsFigure(view.outstanding, decimals)} outstanding):`;
  const lines = view.holders.length ? holdingsTable(view.holders, decimals) : ['(none)'];
  printResult(options, [heading, ...lines.map((line) => `  ${line}`)].join('\n'), { asset, ...view });
}

/**
 * Each holding in exact base units, and with the decimal figure beside them where the security has
 * decimals, in columns that line up on the last digit, so that amounts compare down the page.
 */
function holdingsTable(holders: readonly { address: string; amount: bigint }[], decimals: number): string[] {
  const figures = (amount: bigint) => (decimals === 0 ? [`${amount}`] : [`${amount}`, formatUnits(amount, decimals)]);
  const header = [...(decimals === 0 ? ['amount'] : ['base units', 'amount']), 'address'];
  return table([header, ...holders.map((holder) => [...figures(holder.amount), holder.address])], header.map((_, column) => column < header.length - 1));
}

export async function showAllowlist(options: AssetViewOptions): Promise<void> {
  const { asset, authorization } = assetAccess(options);
  const client = memberClientFrom(options);
  const view = await registryView(client, asset, () => client.allowlist(asset, authorization));
  const { name, isin } = await registeredSecurity(client, asset);
  const security = securityName(asset, { name, isin });
  const heading = view.restricted
    ? `allowlist of ${security} after block ${view.height} (${plural(view.addresses.length, 'address', 'addresses')}):`
    : `${security} is not restricted: anyone may hold it, whatever its allowlist (after block ${view.height}):`;
  const lines = view.addresses.map((address) => `  ${address}`);
  printResult(options, [heading, ...(lines.length ? lines : ['  (none)'])].join('\n'), { asset, ...view });
}

export async function showHistory(options: ViewOptions & { address: string }): Promise<void> {
  const address = parseAddress(options.address);
  const client = memberClientFrom(options);
  const changes = await client.history(address, bearer(options));
  // Each security read once: its decimals for the figure beside base units, its name and
  // ISIN so that a history of several securities reads without looking each id up.
  const securities = new Map(await Promise.all([...new Set(changes.map((c) => c.asset))].map(async (asset) => [asset, await registeredSecurity(client, asset)] as const)));
  const lines = changes.length ? historyTable(changes, securities).map((line) => `  ${line}`) : ['  (no security holdings ever)'];
  printResult(options, [`history of ${address}:`, ...lines].join('\n'), { address, changes });
}

/** Each change to an address's holdings, oldest first, figures aligned on their last digit as in the holders view. */
export function historyTable(changes: readonly HoldingChange[], securities: ReadonlyMap<string, AssetView>): string[] {
  const units = (amount: bigint, asset: string) => unitsFigure(amount, securities.get(asset)!.decimals);
  const rows = changes.map((c) => [`${c.height}`, `${c.delta > 0n ? '+' : ''}${units(c.delta, c.asset)}`, units(c.balance, c.asset), securityName(c.asset, securities.get(c.asset)!), c.txid]);
  return table([['height', 'change', 'balance', 'security', 'transaction'], ...rows], [true, true, true, false, false]);
}
