import * as bitcoin from 'bitcoinjs-lib';
import * as ecc from 'tiny-secp256k1';
import { ECPairFactory } from 'ecpair';

const ECPair = ECPairFactory(ecc);
const network = bitcoin.networks.regtest;

export interface RegtestKeyAddress {
  /** P2WPKH, bcrt1q…: somewhere to send a peg-out or a payment on the local network. */
  address: string;
  /** The key that spends it, in WIF: regtest coins are worthless, so it is simply handed over. */
  privateKeyWif: string;
}

/** A fresh random key and its regtest P2WPKH address. */
export function newRegtestAddress(): RegtestKeyAddress {
  const key = ECPair.makeRandom({ network });
  const address = bitcoin.payments.p2wpkh({ pubkey: Buffer.from(key.publicKey), network }).address!;
  return { address, privateKeyWif: key.toWIF() };
}
