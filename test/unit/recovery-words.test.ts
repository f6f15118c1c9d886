import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recoveryWordLines, recoveryWords, recoveryWordsHeading, seedFromRecoveryWords } from '../../federation/wallet/recovery-words.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { fromHex, readVectors, toHex } from '../helpers/block-vectors.ts';
import { runCli } from '../helpers/cli.ts';

const { vectors } = readVectors<{ vectors: { entropy: string; words: string }[] }>('bip39.json');

describe('recovery words of a wallet seed', () => {
  it('are the seed as BIP-39 entropy: the reference vectors, both ways', () => {
    for (const { entropy, words } of vectors) {
      expect(recoveryWords(fromHex(entropy)).join(' ')).to.equal(words);
      expect(toHex(seedFromRecoveryWords(words))).to.equal(entropy);
    }
  });

  it('are read as a person types them, in any case and spacing, with or without their position numbers and the heading `wallet words` prints', () => {
    const { entropy, words } = vectors[1]!;
    expect(toHex(seedFromRecoveryWords(`  ${words.toUpperCase().split(' ').join('\n\t ')}\n`))).to.equal(entropy);
    expect(toHex(seedFromRecoveryWords(words.split(' ').map((word, index) => `${index + 1} ${word}`).join('  ')))).to.equal(entropy);
    expect(toHex(seedFromRecoveryWords(`${recoveryWordsHeading('sbx1qqq986au70w89paqamn3zewy3nfsy0aw0dvprsryp34sq90faw7kqykcmgw')}\n${words}\n`))).to.equal(entropy);
  });

  it('are read from a terminal line by line until all are typed or a line is empty, as the grid `wallet words` prints is pasted', async () => {
    const { entropy, words } = vectors[1]!;
    const list = words.split(' ');
    const read: string[] = [];
    async function* typed(lines: string[]) {
      for (const line of lines) {
        read.push(line);
        yield line;
      }
    }
    const grid = [0, 6, 12, 18].map((start) => list.slice(start, start + 6).map((word, column) => `${start + column + 1} ${word}`).join('   '));
    expect(toHex(seedFromRecoveryWords(await recoveryWordLines(typed([...grid, 'never read']))))).to.equal(entropy);
    expect(read).to.deep.equal(grid);
    read.length = 0;
    expect(await recoveryWordLines(typed([list.slice(0, 3).join(' '), '', 'never read']))).to.equal(`${list.slice(0, 3).join(' ')}\n`);
    expect(read).to.have.length(2);
  });

  it('refuse a wrong count, a word outside the list, and words that do not match their checksum, naming which', () => {
    const words = vectors[1]!.words.split(' ');
    const refusal = (typed: string) => {
      try {
        seedFromRecoveryWords(typed);
      } catch (error) {
        expect(error).to.be.instanceOf(ValidationError);
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refusal(words.slice(0, 12).join(' '))).to.equal('expected 24 recovery words, got 12');
    expect(refusal([...words.slice(0, 6), 'legall', ...words.slice(7)].join(' '))).to.equal('word 7 ("legall") is not in the BIP-39 English word list');
    // "title" carries the checksum of the 23 words before it; "thank" and "year" swapped do not.
    expect(refusal([...words.slice(0, 2), words[3], words[2], ...words.slice(4)].join(' '))).to.equal('the words do not match their checksum: one is wrong, or two are swapped');
  });

  it('restore through the CLI the wallet `wallet words` printed, piped in, and refuse to overwrite a wallet', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'strongbox-words-'));
    try {
      const original = join(folder, 'alice.wallet.json');
      const created = await runCli(['wallet', 'new', '--file', original, '--json']);
      expect(created.code, created.stderr).to.equal(0);
      const { address } = JSON.parse(created.stdout) as { address: string };

      const printed = await runCli(['wallet', 'words', '--file', original, '--json']);
      expect(printed.code, printed.stderr).to.equal(0);
      const { words } = JSON.parse(printed.stdout) as { address: string; words: string[] };
      expect(JSON.parse(printed.stdout)).to.deep.include({ address });
      const seed = (JSON.parse(readFileSync(original, 'utf8')) as { seed: string }).seed;
      expect(toHex(seedFromRecoveryWords(words.join(' ')))).to.equal(seed);
      const shown = await runCli(['wallet', 'words', '--file', original]);
      expect(shown.stdout.split('\n')[0]).to.equal(`recovery words of ${address} (anyone who reads them can spend its coins: keep them on paper, offline):`);
      expect(shown.stdout.split('\n')[1]).to.match(new RegExp(`^ 1 ${words[0]} +2 ${words[1]} `));

      // The grid as `wallet words` shows it, numbers and all, is what a person copies down; its
      // whole output, heading and all, is what `wallet words | wallet restore` pipes.
      for (const [name, input] of [['from-grid', shown.stdout.split('\n').slice(1).join('\n')], ['piped', shown.stdout]] as const) {
        const fromShown = await runCli(['wallet', 'restore', '--file', join(folder, `${name}.wallet.json`), '--json'], { input });
        expect(fromShown.code, fromShown.stderr).to.equal(0);
        expect(JSON.parse(fromShown.stdout)).to.deep.include({ address });
      }

      const restoredFile = join(folder, 'restored.wallet.json');
      const restored = await runCli(['wallet', 'restore', '--file', restoredFile, '--json'], { input: `${words.join(' ')}\n` });
      expect(restored.code, restored.stderr).to.equal(0);
      expect(JSON.parse(restored.stdout)).to.deep.equal({ file: restoredFile, address });
      expect((JSON.parse(readFileSync(restoredFile, 'utf8')) as { seed: string }).seed).to.equal(seed);
      expect(statSync(restoredFile).mode & 0o777).to.equal(0o600);

      writeFileSync(join(folder, 'taken.json'), 'kept');
      const over = await runCli(['wallet', 'restore', '--file', join(folder, 'taken.json')], { input: words.join(' ') });
      expect([over.code, over.stderr]).to.deep.equal([1, `strongbox: wallet file ${join(folder, 'taken.json')}: already exists; refusing to overwrite a wallet (restore into a new file)\n`]);
      expect(readFileSync(join(folder, 'taken.json'), 'utf8')).to.equal('kept');
      const mistyped = await runCli(['wallet', 'restore', '--file', join(folder, 'other.json')], { input: words.slice(1).join(' ') });
      expect([mistyped.code, mistyped.stderr]).to.deep.equal([1, 'strongbox: expected 24 recovery words, got 23\n']);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
