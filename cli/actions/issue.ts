import { issuedAssetId, isValidIsin, SECURITY_KINDS, MAX_DECIMALS, type SecurityKind } from '../../sidechain/asset.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { isPrintable, printable } from '../../sidechain/printable.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import { encodeUnsigned } from '../../sidechain/transaction/codec.ts';
import { toHex } from '../../sidechain/transaction/ids.ts';
import { taggedHash } from '../../sidechain/hash.ts';
import { LIMITS, type IssuanceBody } from '../../sidechain/transaction/types.ts';
import type { AssetView } from '../../federation/api/client.ts';
import { readWalletFile } from '../../federation/wallet/wallet-file.ts';
import { genesisFrom, memberClientFrom, type NetworkOptions } from '../member-url.ts';
import { unitsFigure } from '../asset-amount.ts';
import { printResult } from '../output.ts';
import { parseAmount } from '../command-arguments.ts';
import { plural } from '../../federation/words.ts';
import { finality, submitUntilFinal, type SubmitOptions } from '../submit.ts';

interface IssueOptions extends NetworkOptions, SubmitOptions {
  name: string;
  isin: string;
  kind: string;
  decimals: string;
  supply: string;
  restricted?: boolean;
  reissuable?: boolean;
  duplicateIsin?: boolean;
  file: string;
}

/**
 * An ISIN names one security, but the chain takes the issuer's word for it and lets several
 * assets carry the same one (first come would let anyone squat a real ISIN). The CLI asks before
 * adding a second, which is most often meant as more of the first.
 */
function refuseRegisteredIsin(isin: string, registered: readonly AssetView[]): void {
  const [first, ...more] = registered;
  if (!first) return;
  const others = more.length === 0 ? '' : ` and ${plural(more.length, 'other asset')}`;
  throw new ValidationError(
    'isin-registered',
    `${isin} is already registered on this chain as ${first.name}, asset ${first.id} issued by ${first.issuerAddress}${others}: more of that security is issued with \`strongbox reissue\` by its issuer, if it is reissuable; add --duplicate-isin to register another security under the same ISIN`,
  );
}

/**
 * The issuance's nonce, from what it issues and how many securities its issuer already registered
 * under the ISIN. The same command run again while its issuance is pending (interrupted, or its
 * member died) then builds the very same transaction, which the members take once, rather than a
 * second security under the ISIN; once the first is final it counts, and another issuance under
 * the ISIN (--duplicate-isin) gets a nonce, and an asset id, of its own.
 */
function issuanceNonce(chainId: Uint8Array, body: IssuanceBody, issuedBefore: number): bigint {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(issuedBefore);
  const digest = taggedHash('Strongbox/issuance-nonce', chainId, encodeUnsigned({ ...body, nonce: 0n }), count);
  return Buffer.from(digest).readBigUInt64BE() & 0x7fffffffffffffffn;
}

export async function issue(options: IssueOptions): Promise<void> {
  if (!SECURITY_KINDS.includes(options.kind as SecurityKind)) throw new ValidationError('bad-kind', `--kind must be one of ${SECURITY_KINDS.join(', ')}`);
  // The chain counts a name in bytes of UTF-8, not in characters: "é" takes two.
  const nameBytes = Buffer.byteLength(options.name, 'utf8');
  if (nameBytes < 1 || nameBytes > LIMITS.maxNameBytes) throw new ValidationError('bad-name', `--name must be 1 to ${LIMITS.maxNameBytes} bytes of UTF-8 (the chain's limit), got ${nameBytes} bytes`);
  // The chain takes any UTF-8, but a line break in a name would pass for more lines wherever it is shown: not made here.
  if (!isPrintable(options.name)) throw new ValidationError('bad-name', `--name is one line of text, without control characters or direction marks: got "${printable(options.name)}"`);
  if (!isValidIsin(options.isin)) {
    const capitals = options.isin.toUpperCase();
    throw new ValidationError('bad-isin', isValidIsin(capitals) ? `an ISIN is written in capitals: ${capitals}` : `${options.isin} is not a valid ISIN (format or check digit)`);
  }
  if (!/^\d{1,2}$/.test(options.decimals) || Number(options.decimals) > MAX_DECIMALS) throw new ValidationError('bad-decimals', `--decimals must be 0..${MAX_DECIMALS}`);
  const supply = parseAmount(options.supply, '--supply');
  const issuer = readWalletFile(options.file);
  const genesis = genesisFrom(options);
  const unnumbered: IssuanceBody = {
    kind: 'issuance',
    issuer: issuer.keys.publicKey,
    nonce: 0n,
    metadata: { name: options.name, isin: options.isin, securityKind: options.kind as SecurityKind, decimals: Number(options.decimals), restricted: Boolean(options.restricted), reissuable: Boolean(options.reissuable) },
    supply,
    recipient: issuer.owner,
  };
  const client = memberClientFrom(options);
  const registered = await client.assetsWithIsin(options.isin);
  if (!options.duplicateIsin) refuseRegisteredIsin(options.isin, registered);
  const issuedBefore = registered.filter((asset) => asset.issuer === toHex(issuer.keys.publicKey)).length;
  const nonce = issuanceNonce(genesis.chainId, unnumbered, issuedBefore);
  const body: IssuanceBody = { ...unnumbered, nonce };
  const rerun = 'is refused, the ISIN being registered (with --duplicate-isin, it registers a second security)';
  const submitted = await submitUntilFinal(client, { ...body, witnesses: [keyWitness(genesis.chainId, body, issuer.keys.seed)] }, options, { rerun });
  const asset = Buffer.from(issuedAssetId(issuer.keys.publicKey, nonce)).toString('hex');
  const { metadata } = body;
  const terms = [metadata.restricted && 'restricted to its allowlist', metadata.reissuable && 'reissuable'].filter(Boolean).join(', ');
  printResult(
    options,
    `issued ${unitsFigure(supply, metadata.decimals)} of ${metadata.name} (${metadata.isin}), a ${metadata.securityKind}${terms ? `, ${terms}` : ''}\nasset id: ${asset}\ntransaction ${submitted.txid} ${finality(submitted)}`,
    { asset, ...submitted, supply },
  );
}
