import { ValidationError } from '../sidechain/errors.ts';

// BIP-380: a BCH code over the descriptor's characters, so a mistyped or truncated descriptor is
// caught before anyone sends money to the script it describes.
const INPUT_CHARSET = "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
const CHECKSUM_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0xf5dee51989n, 0xa9fdca3312n, 0x1bab10e32dn, 0x3706b1677an, 0x644d626ffdn];
const CHECKSUM_LENGTH = 8;

function polymod(symbols: readonly number[]): bigint {
  let chk = 1n;
  for (const value of symbols) {
    const top = chk >> 35n;
    chk = ((chk & 0x7ffffffffn) << 5n) ^ BigInt(value);
    GENERATOR.forEach((generator, i) => {
      if ((top >> BigInt(i)) & 1n) chk ^= generator;
    });
  }
  return chk;
}

function expand(body: string): number[] {
  const symbols: number[] = [];
  const groups: number[] = [];
  for (const char of body) {
    const position = INPUT_CHARSET.indexOf(char);
    if (position < 0) throw new ValidationError('bad-descriptor', `descriptor contains a character outside the BIP-380 set: ${JSON.stringify(char)}`);
    symbols.push(position & 31);
    groups.push(position >> 5);
    if (groups.length === 3) {
      symbols.push(groups[0]! * 9 + groups[1]! * 3 + groups[2]!);
      groups.length = 0;
    }
  }
  if (groups.length === 1) symbols.push(groups[0]!);
  if (groups.length === 2) symbols.push(groups[0]! * 3 + groups[1]!);
  return symbols;
}

/** The 8-character BIP-380 checksum of a descriptor written without one. */
export function descriptorChecksum(body: string): string {
  const checksum = polymod([...expand(body), ...new Array<number>(CHECKSUM_LENGTH).fill(0)]) ^ 1n;
  let text = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) text += CHECKSUM_CHARSET[Number((checksum >> BigInt(5 * (7 - i))) & 31n)];
  return text;
}

export function addDescriptorChecksum(body: string): string {
  return `${body}#${descriptorChecksum(body)}`;
}

/**
 * The descriptor without its checksum. A checksum is optional (BIP-380), but one that is present
 * must be exactly 8 characters and match.
 */
export function stripDescriptorChecksum(descriptor: string): string {
  const hash = descriptor.indexOf('#');
  if (hash < 0) {
    expand(descriptor);
    return descriptor;
  }
  const body = descriptor.slice(0, hash);
  const checksum = descriptor.slice(hash + 1);
  if (checksum.length !== CHECKSUM_LENGTH) {
    throw new ValidationError('bad-descriptor', `descriptor checksum must be ${CHECKSUM_LENGTH} characters, got ${checksum.length}`);
  }
  if (descriptorChecksum(body) !== checksum) throw new ValidationError('bad-descriptor', `descriptor checksum ${checksum} does not match (mistyped descriptor?)`);
  return body;
}
