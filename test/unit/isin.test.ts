import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { isValidIsin } from '../../sidechain/asset.ts';
import { checkTransaction } from '../../sidechain/transaction/check.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { CHAIN_ID, testKey } from '../helpers/ledger-fixtures.ts';
import { SHARE } from '../helpers/securities-fixtures.ts';

const vectors = JSON.parse(readFileSync(new URL('../vectors/isin.json', import.meta.url), 'utf8')) as { valid: { isin: string; note: string }[]; invalid: { isin: string; note: string }[] };
const issuer = testKey(3);

function issuanceWith(isin: string) {
  const body = { kind: 'issuance' as const, issuer: issuer.publicKey, nonce: 1n, metadata: { ...SHARE, isin }, supply: 1n, recipient: issuer.owner };
  return { ...body, witnesses: [keyWitness(CHAIN_ID, body, issuer.seed)] };
}

describe('ISIN check digits (ISO 6166)', () => {
  for (const { isin, note } of vectors.valid) {
    it(`accepts ${isin} (${note})`, () => {
      expect(isValidIsin(isin)).to.equal(true);
      expect(() => checkTransaction(issuanceWith(isin))).to.not.throw();
    });
  }
  for (const { isin, note } of vectors.invalid) {
    it(`refuses ${JSON.stringify(isin)}: ${note}`, () => {
      expect(isValidIsin(isin)).to.equal(false);
      expect(() => checkTransaction(issuanceWith(isin))).to.throw(ValidationError, 'is not a valid ISIN').with.property('code', 'bad-metadata');
    });
  }
});
