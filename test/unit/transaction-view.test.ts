import { expect } from 'chai';
import { describeTransaction, transactionViewSchema } from '../../federation/api/transaction-view.ts';
import { toWireJson } from '../../federation/api/json.ts';
import { issuance, issuerSigned, testWallet } from '../helpers/transactions.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
/** The answer as it goes on the wire (bigints as decimal strings, bytes as hex), which the schema describes. */
const onTheWire = (tx: Parameters<typeof describeTransaction>[0]) => JSON.parse(toWireJson(describeTransaction(tx))) as Record<string, unknown>;

/** GET /tx/:txid and verify-proof describe a transaction this way: what a reader needs, in the documented shape. */
describe('a transaction as the API describes it', () => {
  const chainId = new Uint8Array(32).fill(7);
  const issuer = testWallet();
  const bob = testWallet();
  const carol = testWallet();

  it('names the asset an issuance creates, so its page can lead to the security', () => {
    const issued = issuance(chainId, issuer, 100_000n, 7n, { name: 'Acme Bond 2030', isin: 'JP3435000009', decimals: 2 });
    const view = onTheWire(issued.tx);
    expect(view.asset).to.equal(hex(issued.asset));
    expect(transactionViewSchema.safeParse(view).error).to.equal(undefined);
  });

  it('gives the owners of an allowlist change as addresses too, in their order', () => {
    const issued = issuance(chainId, issuer, 100n, 1n, { restricted: true });
    const change = issuerSigned(chainId, issuer, { kind: 'registry', asset: issued.asset, sequence: 1n, action: 'add', owners: [bob.owner, carol.owner] });
    const view = onTheWire(change);
    expect(view.addresses).to.deep.equal([bob.address, carol.address]);
    expect(view.owners).to.deep.equal([hex(bob.owner), hex(carol.owner)]);
    expect(transactionViewSchema.safeParse(view).error).to.equal(undefined);
  });
});
