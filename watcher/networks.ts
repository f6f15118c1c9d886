import { networks, type Network } from 'bitcoinjs-lib';

/** bitcoinjs-lib's parameters for the Bitcoin network a genesis names. */
export function bitcoinNetwork(name: 'regtest' | 'testnet' | 'mainnet'): Network {
  return name === 'mainnet' ? networks.bitcoin : name === 'testnet' ? networks.testnet : networks.regtest;
}

/** The names a Bitcoin node's getblockchaininfo gives each network a genesis may name. */
const CHAIN_NAMES: Record<'regtest' | 'testnet' | 'mainnet', string[]> = { mainnet: ['main'], testnet: ['test', 'testnet', 'testnet4'], regtest: ['regtest'] };

/** Whether a node answering `chain` to getblockchaininfo follows the network a genesis names. */
export function nodeFollows(chain: string, network: 'regtest' | 'testnet' | 'mainnet'): boolean {
  return CHAIN_NAMES[network].includes(chain);
}
