import { address as btcAddress, networks, type Network } from 'bitcoinjs-lib';
import { ADDRESS_HRP } from '../sidechain/address.ts';
import { ValidationError } from '../sidechain/errors.ts';
import { isStandardScript } from '../sidechain/transaction/check.ts';

const NETWORK_NAMES: [string, Network][] = [['mainnet', networks.bitcoin], ['testnet', networks.testnet], ['regtest', networks.regtest]];

function decodes(address: string, network: Network): boolean {
  try {
    btcAddress.toOutputScript(address, network);
    return true;
  } catch {
    return false;
  }
}

/**
 * The output script a peg-out pays: the address must be valid for the federation's Bitcoin
 * network and of a standard, spendable kind, checked before anything is burned.
 */
export function pegoutDestinationScript(address: string, network: Network, networkName: string): Uint8Array {
  let script: Uint8Array;
  try {
    script = btcAddress.toOutputScript(address.trim(), network);
  } catch {
    if (address.trim().toLowerCase().startsWith(`${ADDRESS_HRP}1`)) {
      throw new ValidationError('bad-destination', `${address} is a Strongbox address: a peg-out pays a Bitcoin address, and pegged BTC moves on the sidechain with \`strongbox send\``);
    }
    const other = NETWORK_NAMES.find(([, candidate]) => candidate !== network && decodes(address.trim(), candidate));
    throw new ValidationError('bad-destination', `${JSON.stringify(address)} is not a Bitcoin address on ${networkName}${other ? ` (it is a ${other[0]} address)` : ''}`);
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
