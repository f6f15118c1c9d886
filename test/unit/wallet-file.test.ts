import { expect } from 'chai';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWalletFile, readOfferHolds, readWalletFile, writeOfferHolds } from '../../federation/wallet/wallet-file.ts';

// The wallet file holds the only key to what its address owns: recording offers in it must keep
// the seed, the mode and every field, and leave no second copy of the key behind.
describe('wallet file offer records', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'strongbox-wallet-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const hold = (n: number) => ({ coin: `${String(n).repeat(64).slice(0, 64)}:${n}`, offer: `/offers/offer-${n}.json`, expiryHeight: 100 + n });

  it('replaces the records and keeps the seed, mode 0600 and no leftover file', () => {
    const path = join(dir, 'alice.wallet.json');
    const wallet = createWalletFile(path);
    const seed = (JSON.parse(readFileSync(path, 'utf8')) as { seed: string }).seed;
    writeOfferHolds(path, [hold(1), hold(2)]);
    expect(readOfferHolds(path)).to.deep.equal([hold(1), hold(2)]);
    writeOfferHolds(path, [hold(2)]);
    expect(readOfferHolds(path)).to.deep.equal([hold(2)]);
    expect(statSync(path).mode & 0o777).to.equal(0o600);
    expect((JSON.parse(readFileSync(path, 'utf8')) as { seed: string }).seed).to.equal(seed);
    expect(readWalletFile(path).address).to.equal(wallet.address);
    expect(readdirSync(dir)).to.deep.equal(['alice.wallet.json']);
  });

  it('keeps a wallet its owner made read-only (0400) read-only when it replaces the records', () => {
    const path = join(dir, 'carol.wallet.json');
    const wallet = createWalletFile(path);
    chmodSync(path, 0o400);
    writeOfferHolds(path, [hold(3)]);
    expect(readOfferHolds(path)).to.deep.equal([hold(3)]);
    expect(statSync(path).mode & 0o777).to.equal(0o400);
    writeOfferHolds(path, []);
    expect([readOfferHolds(path), statSync(path).mode & 0o777, readWalletFile(path).address]).to.deep.equal([[], 0o400, wallet.address]);
    expect(readdirSync(dir)).to.deep.equal(['carol.wallet.json']);
  });

  it('reads a wallet without records as holding none', () => {
    const path = join(dir, 'bob.wallet.json');
    createWalletFile(path);
    expect(readOfferHolds(path)).to.deep.equal([]);
  });
});
