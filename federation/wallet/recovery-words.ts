import { entropyToMnemonic, mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { ValidationError } from '../../sidechain/errors.ts';

/** A wallet's 32-byte seed is 256 bits of BIP-39 entropy: 24 words, the last holding an 8-bit checksum. */
export const RECOVERY_WORD_COUNT = 24;

/**
 * The recovery words of a wallet seed: the seed itself as BIP-39 entropy, in the English list.
 * The words are the seed (no BIP-39 passphrase, no key derivation from them), so they restore
 * exactly the wallet's one key and nothing else.
 */
export function recoveryWords(seed: Uint8Array): string[] {
  return entropyToMnemonic(seed, wordlist).split(' ');
}

const HEADING = 'recovery words of ';

/** The line `wallet words` prints above the words. */
export function recoveryWordsHeading(address: string): string {
  return `${HEADING}${address} (anyone who reads them can spend its coins: keep them on paper, offline):`;
}

/**
 * The words in what a person typed, in lowercase, the position numbers left out, and the heading
 * `wallet words` prints above them too: its whole output, piped or pasted, restores the wallet.
 */
function typedWords(typed: string): string[] {
  const lines = typed.split('\n').filter((line) => !line.trimStart().toLowerCase().startsWith(HEADING));
  return lines.join(' ').trim().toLowerCase().split(/\s+/).filter((word) => word !== '' && !/^\d+$/.test(word));
}

/**
 * Lines typed at a terminal, until they hold all the recovery words or one is empty: the grid
 * `wallet words` prints, pasted, is four lines, and a terminal hands them over one at a time.
 */
export async function recoveryWordLines(lines: AsyncIterable<string>): Promise<string> {
  const typed: string[] = [];
  for await (const line of lines) {
    typed.push(line);
    if (line.trim() === '' || typedWords(typed.join('\n')).length >= RECOVERY_WORD_COUNT) break;
  }
  return typed.join('\n');
}

/**
 * The seed behind recovery words as a person types them: any spacing, any case, with or without
 * the position numbers and the heading `wallet words` prints with them (a person copies what was
 * shown, and no word of the list is a number, so skipping them can make no word of another). A word outside
 * the list, a wrong count or a checksum that does not match is named, so a mistyped word is
 * never taken for another wallet.
 */
export function seedFromRecoveryWords(typed: string): Uint8Array {
  const words = typedWords(typed);
  if (words.length !== RECOVERY_WORD_COUNT) {
    throw new ValidationError('recovery-words', `expected ${RECOVERY_WORD_COUNT} recovery words, got ${words.length}`);
  }
  const unknown = words.findIndex((word) => !wordlist.includes(word));
  if (unknown >= 0) throw new ValidationError('recovery-words', `word ${unknown + 1} (${JSON.stringify(words[unknown])}) is not in the BIP-39 English word list`);
  try {
    return mnemonicToEntropy(words.join(' '), wordlist);
  } catch {
    throw new ValidationError('recovery-words', 'the words do not match their checksum: one is wrong, or two are swapped');
  }
}
