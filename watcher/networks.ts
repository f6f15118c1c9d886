import { networks, type Network } from 'bitcoinjs-lib';

/** bitcoinjs-lib's parameters for the Bitcoin network a genesis names. */
export function bitcoinNetwork(name: 'regtest' | 'testnet' | 'mainnet'): Network {
  return name === 'mainnet' ? networks.bitcoin : name === 'testnet' ? networks.testnet : networks.regtest;
}
