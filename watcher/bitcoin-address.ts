import { address as btcAddress, type Network } from 'bitcoinjs-lib';
import { ValidationError } from '../sidechain/errors.ts';
import { isStandardScript } from '../sidechain/transaction/check.ts';

/**
 * The output script a peg-out pays: the address must be valid for the federation's Bitcoin
 * network and of a standard, spendable kind, checked before anything is burned.
 */
export function pegoutDestinationScript(address: string, network: Network, networkName: string): Uint8Array {
  let script: Uint8Array;
  try {
    script = btcAddress.toOutputScript(address.trim(), network);
  } catch {
    throw new ValidationError('bad-destination', `${JSON.stringify(address)} is not a Bitcoin address on ${networkName}`);
  }
  if (!isStandardScript(script)) throw new ValidationError('bad-destination', `${address} is not a standard address kind (P2PKH, P2SH, P2WPKH, P2WSH or P2TR)`);
  return script;
}

/** The address of a standard output script, for display; undefined for other scripts. */
export function addressOfScript(script: Uint8Array, network: Network): string | undefined {
  try {
    return btcAddress.fromOutputScript(script, network);
  } catch {
    return undefined;
  }
}
