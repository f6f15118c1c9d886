import { checkCeremonyMemberCount } from '../../federation/transport/options.ts';
import { existsSync } from 'node:fs';
import { createGenesisFile, parseGenesis, type GenesisFile } from '../../sidechain/genesis.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { checkPegoutMinimum } from '../../federation/pegout-minimum.ts';
import { writeNewFile } from '../../federation/write-file.ts';
import { printResult } from '../output.ts';

interface GenesisOptions {
  member: string[];
  threshold?: string;
  network: string;
  bitcoinNetwork: string;
  peginConfirmations?: string;
  peginFee?: string;
  peginMinimum?: string;
  pegoutMinimum?: string;
  fallbackFeeRate?: string;
  circuitBreaker?: string;
  anchorIntervalBlocks?: string;
  anchorIntervalSeconds?: string;
  out: string;
  json?: boolean;
}

/**
 * `name=blockKeyHex,pegKeyHex`, as `strongbox keygen` prints the two keys, optionally followed by
 * `,apiUrl`: where auditors and users may first reach the member (not part of the chain id). An
 * audit asks the members listed so for their heights, to tell a member that is behind from a
 * shortfall of reserves.
 */
function parseMember(value: string): GenesisFile['members'][number] {
  const match = /^([^=]{1,64})=([0-9a-f]{64}),([0-9a-f]{66})(?:,(https?:\/\/\S{1,192}))?$/.exec(value);
  if (!match) throw new ValidationError('bad-member', `--member must be name=<64 hex block key>,<66 hex peg key>[,<API URL http(s)://…>], got ${JSON.stringify(value)}`);
  return { name: match[1]!, blockKey: match[2]!, pegKey: match[3]!, ...(match[4] ? { apiUrl: match[4] } : {}) };
}

export function writeGenesis(options: GenesisOptions): void {
  if (!['regtest', 'testnet', 'mainnet'].includes(options.bitcoinNetwork)) throw new ValidationError('bad-network', '--bitcoin-network must be regtest, testnet or mainnet');
  const integer = (value: string | undefined, flag: string, range?: [number, number]) => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new ValidationError('bad-number', `${flag} must be a whole number, got ${JSON.stringify(value)}`);
    const [min, max] = range ?? [0, Number.MAX_SAFE_INTEGER];
    if (Number(value) < min || Number(value) > max) throw new ValidationError('bad-number', `${flag} must be a whole number from ${min} to ${max}, got ${value}`);
    return Number(value);
  };
  const sats = (value: string | undefined, flag: string) => {
    if (value === undefined) return undefined;
    if (!/^(0|[1-9][0-9]{0,18})$/.test(value)) throw new ValidationError('bad-number', `${flag} must be a whole number of sats, got ${JSON.stringify(value)}`);
    return BigInt(value);
  };
  if (existsSync(options.out)) throw new ValidationError('exists', `${options.out} already exists; refusing to overwrite a genesis file`);
  const file = createGenesisFile({
    network: options.network,
    bitcoinNetwork: options.bitcoinNetwork as GenesisFile['bitcoinNetwork'],
    members: options.member.map(parseMember),
    threshold: integer(options.threshold, '--threshold'),
    peginConfirmations: integer(options.peginConfirmations, '--pegin-confirmations'),
    peginFeeSats: sats(options.peginFee, '--pegin-fee'),
    peginMinimumSats: sats(options.peginMinimum, '--pegin-minimum'),
    pegoutMinimumSats: sats(options.pegoutMinimum, '--pegout-minimum'),
    fallbackFeeRateSatPerVb: integer(options.fallbackFeeRate, '--fallback-fee-rate', [1, 10_000]),
    circuitBreakerBasisPoints: integer(options.circuitBreaker, '--circuit-breaker', [1, 10_000]),
    // The genesis encodes both as u32.
    anchorIntervalBlocks: integer(options.anchorIntervalBlocks, '--anchor-interval-blocks', [1, 0xffff_ffff]),
    anchorIntervalSeconds: integer(options.anchorIntervalSeconds, '--anchor-interval-seconds', [1, 0xffff_ffff]),
    genesisTimeMs: BigInt(Date.now()),
  });
  // A deposit is minted its value less the fee: a fee of the minimum or more would mint nothing.
  if (BigInt(file.pegin.feeSats) >= BigInt(file.pegin.minimumSats)) {
    throw new ValidationError('bad-number', `--pegin-fee must be below the smallest deposit minted (${file.pegin.minimumSats} sats, --pegin-minimum), got ${file.pegin.feeSats}: a deposit is minted its value less the fee`);
  }
  const genesis = parseGenesis(file);
  checkCeremonyMemberCount(genesis.members.keys.length);
  checkPegoutMinimum(genesis);
  writeNewFile(options.out, `${JSON.stringify(file, null, 2)}\n`);
  const chainId = Buffer.from(genesis.chainId).toString('hex');
  printResult(options, `wrote ${options.out}\nchain id: ${chainId}\n${file.members.length} members, ${file.threshold} must sign each block`, { file: options.out, chainId, threshold: file.threshold, members: file.members.length });
}
