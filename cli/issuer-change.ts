import { keyWitness } from '../sidechain/transaction/signing.ts';
import type { RegistryBody, ReissuanceBody } from '../sidechain/transaction/types.ts';
import { readWalletFile, type Wallet } from '../federation/wallet/wallet-file.ts';
import type { AssetView } from '../federation/api/client.ts';
import { registeredSecurity } from './asset-amount.ts';
import { genesisFrom, memberClientFrom, type NetworkOptions } from './member-url.ts';
import { submitUntilFinal, type Submission, type Submitted, type SubmitOptions } from './submit.ts';

/**
 * Signs and submits a change to an asset's registry with the wallet's key, carrying the asset's
 * next registry sequence, and waits until it is final. The member refuses it unless the wallet's
 * key is the asset's issuer key; `body` may refuse first, from the asset as the chain holds it.
 */
export async function submitIssuerChange(
  options: NetworkOptions & SubmitOptions & { file: string },
  asset: Uint8Array,
  body: (sequence: bigint, wallet: Wallet, view: AssetView) => RegistryBody | ReissuanceBody,
  submission: Submission,
): Promise<Submitted & { view: AssetView; sequence: bigint; wallet: Wallet }> {
  const wallet = readWalletFile(options.file);
  const genesis = genesisFrom(options);
  const client = memberClientFrom(options);
  const view = await registeredSecurity(client, Buffer.from(asset).toString('hex'));
  const unsigned = body(view.sequence + 1n, wallet, view);
  const submitted = await submitUntilFinal(client, { ...unsigned, witnesses: [keyWitness(genesis.chainId, unsigned, wallet.keys.seed)] }, options, submission);
  return { ...submitted, view, sequence: unsigned.sequence, wallet };
}
