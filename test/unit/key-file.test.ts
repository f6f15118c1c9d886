import { expect } from 'chai';
import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ed from '@noble/ed25519';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { generateMemberKeys, KeyFileError, readKeyFile, writeKeyFile } from '../../federation/key-file.ts';
import { readOfferHolds, readWalletFile } from '../../federation/wallet/wallet-file.ts';

describe('member key file', () => {
  const dir = join(tmpdir(), `strongbox-keys-${process.pid}`);
  beforeEach(() => mkdirSync(dir, { recursive: true }));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes keys with mode 0600 and reads back the same keys', () => {
    const path = join(dir, 'member.key.json');
    const keys = generateMemberKeys();
    writeKeyFile(path, keys);
    expect(statSync(path).mode & 0o777).to.equal(0o600);
    const read = readKeyFile(path);
    expect(Buffer.from(read.blockPublicKey).equals(Buffer.from(keys.blockPublicKey))).to.equal(true);
    expect(Buffer.from(read.pegPublicKey).equals(Buffer.from(keys.pegPublicKey))).to.equal(true);
  });

  it('derives public keys that independent implementations agree with', async () => {
    const keys = generateMemberKeys();
    expect(Buffer.from(await ed.getPublicKeyAsync(keys.blockSeed)).toString('hex')).to.equal(Buffer.from(keys.blockPublicKey).toString('hex'));
    expect(Buffer.from(secp256k1.getPublicKey(keys.pegPrivateKey, true)).toString('hex')).to.equal(Buffer.from(keys.pegPublicKey).toString('hex'));
  });

  it('refuses to overwrite an existing key file', () => {
    const path = join(dir, 'member.key.json');
    writeKeyFile(path, generateMemberKeys());
    expect(() => writeKeyFile(path, generateMemberKeys())).to.throw(KeyFileError, /refusing to overwrite/);
  });

  it('refuses a key file that others can read', () => {
    const path = join(dir, 'member.key.json');
    writeKeyFile(path, generateMemberKeys());
    chmodSync(path, 0o644);
    expect(() => readKeyFile(path)).to.throw(KeyFileError, /permissions 644/);
  });

  it('names the bad field of a malformed key file', () => {
    const path = join(dir, 'bad.key.json');
    writeFileSync(path, JSON.stringify({ version: 1, blockSeed: 'zz', pegPrivateKey: '00'.repeat(32) }), { mode: 0o600 });
    expect(() => readKeyFile(path)).to.throw(KeyFileError, /blockSeed/);
  });

  it('says why a path that cannot be read is no key file, rather than calling it invalid JSON', () => {
    expect(() => readWalletFile(dir)).to.throw(KeyFileError, `wallet file ${dir}: cannot be read: it is a directory`);
    expect(() => readKeyFile(dir)).to.throw(KeyFileError, `key file ${dir}: cannot be read: it is a directory`);
  });

  it('names a file of another kind as such, before its permissions', () => {
    const offer = join(dir, 'offer.json');
    writeFileSync(offer, JSON.stringify({ chainId: '00'.repeat(32), partial: 'ab' }), { mode: 0o644 });
    expect(() => readKeyFile(offer)).to.throw(KeyFileError, `key file ${offer}: is not a member key file: it has no "version"`);
    expect(() => readWalletFile(offer)).to.throw(KeyFileError, `wallet file ${offer}: is not a wallet file: it has no "version"`);
    // A field of the same name does not make it one: a package.json has a "version" of its own, and no seed.
    const manifest = join(dir, 'package.json');
    writeFileSync(manifest, JSON.stringify({ name: 'strongbox', version: '0.1.0' }), { mode: 0o644 });
    expect(() => readWalletFile(manifest)).to.throw(KeyFileError, `wallet file ${manifest}: is not a wallet file: it has no "seed"`);
    expect(() => readKeyFile(manifest)).to.throw(KeyFileError, `key file ${manifest}: is not a member key file: it has no "blockSeed"`);
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not json', { mode: 0o600 });
    expect(() => readWalletFile(text)).to.throw(KeyFileError, `wallet file ${text}: is not valid JSON, so not a wallet file`);
    expect(() => readWalletFile(join(dir, 'wallet.json'))).to.throw(KeyFileError, /does not exist \(pass your wallet with --file, or create one with `strongbox wallet new --file <file>`\)/);
    const lost = join(dir, 'lost.key.json');
    expect(() => readKeyFile(lost)).to.throw(KeyFileError, `key file ${lost}: does not exist (restore it from its backup; a new one from \`strongbox keygen\` is no member's key once the genesis names the members)`);
  });

  it('names a member key file given for a wallet as such, and what to use instead', () => {
    const path = join(dir, 'alpha.key.json');
    writeKeyFile(path, generateMemberKeys());
    const line = `wallet file ${path}: is a member key file, not a wallet: \`strongbox info --key ${path}\` prints its public keys; pass a wallet with --file, or create one with \`strongbox wallet new --file <file>\``;
    expect(() => readWalletFile(path)).to.throw(KeyFileError, line);
    expect(() => readOfferHolds(path)).to.throw(KeyFileError, line);
    // A wallet that carries fields of its own is a wallet still.
    const wallet = join(dir, 'odd.wallet.json');
    writeFileSync(wallet, JSON.stringify({ version: 1, seed: '11'.repeat(32), blockSeed: '22'.repeat(32), pegPrivateKey: '33'.repeat(32) }), { mode: 0o600 });
    expect(readWalletFile(wallet).keys.seed).to.deep.equal(new Uint8Array(32).fill(0x11));
  });
});
