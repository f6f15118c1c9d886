import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Bitcoin Core's regtest prefixes, so addresses agree with bitcoinjs-lib and bitcoind. */
export const BITCOIN_CORE_REGTEST_PREFIXES = {
  pubkeyhash: 0x6f,
  scripthash: 0xc4,
  witnesspubkeyhash: 0x03,
  witnessscripthash: 0x28,
  bech32: 'bcrt',
} as const;

// bcoin's own regtest prefixes (bech32 `rb`, p2pkh 0x3c) would make `generatetoaddress bcrt1…`
// fail with "Invalid address". Its Network objects copy this table when first built, so this
// module must be evaluated before bcoin itself is loaded: regtest/bcoin.ts imports it first.
const networks = require('bcoin/lib/protocol/networks') as { regtest: { addressPrefix: Record<string, number | string> } };
networks.regtest.addressPrefix = { ...BITCOIN_CORE_REGTEST_PREFIXES };
