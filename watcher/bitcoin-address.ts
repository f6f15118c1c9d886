import { address as btcAddress, initEccLib, networks, type Network } from 'bitcoinjs-lib';
import * as ecc from 'tiny-secp256k1';
import { ADDRESS_HRP } from '../sidechain/address.ts';
import { ValidationError } from '../sidechain/errors.ts';
import { isStandardScript } from '../sidechain/transaction/check.ts';

// Taproot addresses (P2TR) are made and read only with an elliptic-curve library given to bitcoinjs-lib:
// without it every P2TR address is refused, whatever else the process happened to load.
initEccLib(ecc);

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
 * The witness version of a bech32m address above 1 (taproot), checked before bitcoinjs-lib makes
 * its script: it would print a multi-line warning of its own on the console.
 */
function futureSegwitVersion(address: string): number | undefined {
  try {
    const { version } = btcAddress.fromBech32(address);
    return version > 1 ? version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The name of the Bitcoin network `address` is an address of: `networkName` (that of `network`)
 * first, since testnet's and regtest's base58 addresses are alike; undefined for none.
 */
export function bitcoinNetworkOf(address: string, network: Network, networkName: string): string | undefined {
  if (decodes(address.trim(), network)) return networkName;
  return NETWORK_NAMES.find(([, candidate]) => candidate !== network && decodes(address.trim(), candidate))?.[0];
}

/**
 * The output script of a Bitcoin address on `network` (named `networkName` to the user): text
 * that is no address of it is refused with `code`, naming the network the address is of when it
 * is another's. A Strongbox address is the caller's to refuse first, with what to do instead.
 */
export function bitcoinAddressScript(address: string, network: Network, networkName: string, code: string): Uint8Array {
  try {
    return btcAddress.toOutputScript(address.trim(), network);
  } catch {
    const other = bitcoinNetworkOf(address, network, networkName);
    throw new ValidationError(code, `${JSON.stringify(address)} is not a Bitcoin address on ${networkName}${other ? ` (it is a ${other} address)` : ''}`);
  }
}

/** Whether `address` has the Strongbox prefix (sbx1…), in either case: given where a Bitcoin address belongs, a common slip. */
export function isStrongboxAddress(address: string): boolean {
  return address.trim().toLowerCase().startsWith(`${ADDRESS_HRP}1`);
}

/**
 * The output script a peg-out pays: the address must be valid for the federation's Bitcoin
 * network and of a standard, spendable kind, checked before anything is burned.
 */
export function pegoutDestinationScript(address: string, network: Network, networkName: string): Uint8Array {
  const version = futureSegwitVersion(address.trim());
  if (version !== undefined) {
    throw new ValidationError('bad-destination', `${address} is a segwit version ${version} address, which Bitcoin has no spending rules for yet: a peg-out pays P2PKH, P2SH, P2WPKH, P2WSH or P2TR`);
  }
  if (isStrongboxAddress(address)) {
    throw new ValidationError('bad-destination', `${address} is a Strongbox address: a peg-out pays a Bitcoin address, and pegged BTC moves on the sidechain with \`strongbox send\``);
  }
  const script = bitcoinAddressScript(address, network, networkName, 'bad-destination');
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
