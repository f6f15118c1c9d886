import { expect } from 'chai';
import { ValidationError } from '../../sidechain/errors.ts';
import { BTC_ASSET_KEY, formatUnits } from '../../sidechain/asset.ts';
import { selectCoins, type SpendableOutput } from '../../federation/wallet/build-transfer.ts';
import { coinsNotOffered, openOfferHolds } from '../../federation/wallet/offer-holds.ts';
import type { OfferHold } from '../../federation/wallet/wallet-file.ts';

const SHARE = 'aa'.repeat(32);
// As the CLI writes a security in a refusal: by the name and ISIN its issuer registered, with its id.
const share = (units: (amount: bigint) => string) => ({ name: `Acme AB (SE0000108656) ${SHARE}`, units });
const BTC = 'bb'.repeat(32);
const coin = (n: number, asset: string, amount: bigint): SpendableOutput => ({ txid: String(n).repeat(64).slice(0, 64), vout: n, asset, amount });
const hold = (of: SpendableOutput, offer: string, expiryHeight = 50): OfferHold => ({ coin: `${of.txid}:${of.vout}`, offer, expiryHeight });

// Oldest first, as a member lists them: two shares coins backing offers, one free, and BTC.
const offered1 = coin(1, SHARE, 100n);
const offered2 = coin(2, SHARE, 30n);
const free = coin(3, SHARE, 40n);
const btc = coin(4, BTC, 1000n);
const utxos = [offered1, offered2, free, btc];
const open = [hold(offered1, '/o/first.json'), hold(offered2, '/o/second.json', 60)];

describe('offer holds', () => {
  describe('openOfferHolds', () => {
    const cases: [string, OfferHold[], number, string[]][] = [
      ['keeps offers whose coin is unspent and whose expiry is ahead', open, 10, ['/o/first.json', '/o/second.json']],
      ['drops an offer at its expiry height: the next block may no longer take it', open, 50, ['/o/second.json']],
      ['drops an offer whose coin is spent (taken or withdrawn)', [hold(coin(9, SHARE, 5n), '/o/gone.json'), ...open], 10, ['/o/first.json', '/o/second.json']],
    ];
    for (const [what, holds, height, expected] of cases) {
      it(what, () => expect(openOfferHolds(holds, utxos, height).map((h) => h.offer)).to.deep.equal(expected));
    }
  });

  describe('coinsNotOffered', () => {
    const wayOut = 'the way out';
    const valid: [string, bigint, boolean, SpendableOutput[]][] = [
      ['pays from the coins backing no offer when they suffice', 40n, false, [free, btc]],
      ['prefers the free coins even when offered coins may be spent', 40n, true, [free, btc]],
      ['with spendOffered, puts the offered coins after the free ones', 50n, true, [free, btc, offered1, offered2]],
    ];
    for (const [what, amount, spendOffered, expected] of valid) {
      it(what, () => expect(coinsNotOffered(utxos, open, SHARE, amount, { spendOffered, wayOut, security: share(String) })).to.deep.equal(expected));
    }

    const refused: [string, bigint, string, string][] = [
      ['refuses naming the one offer whose coin would be spent', 50n, 'coin-offered', `the wallet's coins of Acme AB (SE0000108656) ${SHARE} that back no open offer hold [40], not [50]: coin ${offered1.txid}:1 backs the open offer /o/first.json (valid through block 50); the way out`],
      ['names every offer in the way, oldest coin first', 170n, 'coin-offered', `the wallet's coins of Acme AB (SE0000108656) ${SHARE} that back no open offer hold [40], not [170]: coin ${offered1.txid}:1 backs the open offer /o/first.json (valid through block 50); coin ${offered2.txid}:2 backs the open offer /o/second.json (valid through block 60); the way out`],
      // In the units the caller writes (a security's decimal figure), as the offers in the way are.
      ['names all the wallet holds when even every coin falls short, offered or not', 171n, 'insufficient-funds', `the wallet holds [170] of Acme AB (SE0000108656) ${SHARE}, not [171]`],
    ];
    for (const [what, amount, code, message] of refused) {
      it(what, () => {
        let caught: unknown;
        try {
          coinsNotOffered(utxos, open, SHARE, amount, { spendOffered: false, wayOut, security: share((units) => `[${units}]`) });
        } catch (error) {
          caught = error;
        }
        expect(caught).to.be.instanceOf(ValidationError).and.include({ code, message });
      });
    }

    it('names a pegged BTC shortfall in sats and BTC, and that BTC comes in by a peg-in, whoever asks', () => {
      const pegged = [coin(5, BTC_ASSET_KEY, 1_000n), coin(6, BTC_ASSET_KEY, 500n)];
      const line = "the wallet holds 1500 sats of pegged BTC (0.00001500 BTC), not 150000000 sats (1.50000000 BTC): bring BTC in by a peg-in (`strongbox pegin-address <the wallet's sbx1… address>` names the Bitcoin address to pay)";
      const refusal = (run: () => unknown) => {
        try {
          run();
        } catch (error) {
          return error;
        }
      };
      for (const run of [() => coinsNotOffered(pegged, [], BTC_ASSET_KEY, 150_000_000n, { spendOffered: false, wayOut }), () => selectCoins(pegged, Buffer.from(BTC_ASSET_KEY, 'hex'), 150_000_000n)]) {
        expect(refusal(run)).to.be.instanceOf(ValidationError).and.include({ code: 'insufficient-funds', message: line });
      }
    });

    it('writes the amounts as the caller writes amounts of the asset', () => {
      const units = (amount: bigint) => `${amount} base units (${formatUnits(amount, 2)})`;
      expect(() => coinsNotOffered(utxos, open, SHARE, 50n, { spendOffered: false, wayOut, security: share(units) })).to.throw(ValidationError, /^the wallet's coins of Acme AB \(SE0000108656\) \w+ that back no open offer hold 40 base units \(0\.40\), not 50 base units \(0\.50\): coin /);
    });

    it('names a security by its id, in base units, where the caller has not read its registry record', () => {
      expect(() => coinsNotOffered(utxos, open, SHARE, 50n, { spendOffered: false, wayOut })).to.throw(ValidationError, new RegExp(`^the wallet's coins of asset ${SHARE} that back no open offer hold 40, not 50: coin `));
      expect(() => coinsNotOffered(utxos, open, SHARE, 171n, { spendOffered: false, wayOut })).to.throw(ValidationError, new RegExp(`^the wallet holds 170 of asset ${SHARE}, not 171$`));
    });
  });
});
