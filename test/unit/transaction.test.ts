import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { noble } from '../helpers/noble-ed25519.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { decodeTransaction, encodeTransaction, encodeUnsigned } from '../../sidechain/transaction/codec.ts';
import { txId, txInfo, witnessTxId } from '../../sidechain/transaction/ids.ts';
import { checkTransaction } from '../../sidechain/transaction/check.ts';
import { sighashMessage } from '../../sidechain/transaction/sighash.ts';
import { keyWitness, multisigWitness } from '../../sidechain/transaction/signing.ts';
import { SighashType, type Transaction, type TransferBody } from '../../sidechain/transaction/types.ts';
import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { CHAIN_ID, btcOutput, signedTransfer, testKey } from '../helpers/ledger-fixtures.ts';
import { encodedAfresh } from '../helpers/reencode.ts';

const vectors = JSON.parse(readFileSync(new URL('../vectors/transaction.json', import.meta.url), 'utf8')) as {
  valid: { description: string; hex: string; txid: string; wtxid: string }[];
  invalid: { description: string; hex: string; code: string; error: string }[];
  rejected: { description: string; hex: string; code: string }[];
};
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function independentTaggedHash(tag: string, data: Uint8Array): string {
  const t = sha256(new TextEncoder().encode(tag));
  return toHex(sha256(new Uint8Array([...t, ...t, ...data])));
}

describe('transaction vectors', () => {
  for (const vector of vectors.valid) {
    it(`decodes, re-encodes identically and has the stated ids: ${vector.description}`, () => {
      const tx = decodeTransaction(fromHex(vector.hex));
      expect(toHex(encodedAfresh(tx))).to.equal(vector.hex);
      expect(toHex(encodeTransaction(tx))).to.equal(vector.hex);
      // The ids of the decoded object come from the bytes it was decoded from; the copy's are
      // computed from its fields. Both are the stated ones.
      for (const object of [tx, { ...tx }]) {
        expect(toHex(txId(object))).to.equal(vector.txid);
        expect(toHex(witnessTxId(object))).to.equal(vector.wtxid);
        expect(txInfo(object).size).to.equal(vector.hex.length / 2);
        expect(independentTaggedHash('Strongbox/tx', encodeUnsigned(object))).to.equal(vector.txid);
      }
      expect(independentTaggedHash('Strongbox/wtx', fromHex(vector.hex))).to.equal(vector.wtxid);
      expect(() => checkTransaction(tx)).to.not.throw();
    });
  }
  for (const vector of vectors.invalid) {
    it(`rejects with code ${vector.code}: ${vector.description}`, () => {
      expect(() => decodeTransaction(fromHex(vector.hex))).to.throw(ValidationError, vector.error).with.property('code', vector.code);
    });
  }

  for (const vector of vectors.rejected) {
    it(`decodes, then refuses without the ledger, with code ${vector.code}: ${vector.description}`, () => {
      const tx = decodeTransaction(fromHex(vector.hex));
      expect(toHex(encodeTransaction(tx))).to.equal(vector.hex);
      expect(() => checkTransaction(tx)).to.throw(ValidationError).with.property('code', vector.code);
    });
  }

  it('rejects an encoding above 100000 bytes before reading it', () => {
    expect(() => decodeTransaction(new Uint8Array(100_001))).to.throw(ValidationError).with.property('code', 'oversized');
  });
});

describe('transaction decoding robustness', () => {
  it('every truncation of every valid vector is a clean ValidationError', () => {
    for (const vector of vectors.valid) {
      const bytes = fromHex(vector.hex);
      for (let length = 0; length < bytes.length; length++) {
        expect(() => decodeTransaction(bytes.subarray(0, length))).to.throw(ValidationError);
      }
    }
  });

  it('random byte flips either decode to a canonical transaction or fail with a ValidationError', () => {
    const samples = vectors.valid.map((v) => fromHex(v.hex));
    fc.assert(
      fc.property(fc.nat(samples.length - 1), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, position, mask) => {
        const bytes = samples[which]!.slice();
        bytes[position % bytes.length]! ^= mask;
        let tx: Transaction;
        try {
          tx = decodeTransaction(bytes);
        } catch (error) {
          expect(error).to.be.instanceOf(ValidationError);
          return;
        }
        expect(toHex(encodedAfresh(tx))).to.equal(toHex(bytes));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('encodings kept with the transaction', () => {
  const alice = testKey(1);
  const body: TransferBody = { kind: 'transfer', inputs: [{ txid: new Uint8Array(32).fill(9), index: 0 }], outputs: [btcOutput(alice.owner, 5n), btcOutput(alice.owner, 7n)] };
  const build = (): Transaction => ({ ...body, witnesses: [keyWitness(CHAIN_ID, body, alice.seed)] });

  it('a transaction built in code encodes from its fields, gives the same bytes each time, and has the same ids whichever is asked first', () => {
    const idsFirst = build();
    const encodedFirst = build();
    const bytes = encodeTransaction(encodedFirst);
    expect(toHex(encodeTransaction(encodedFirst))).to.equal(toHex(bytes));
    expect(decodeTransaction(bytes)).to.deep.equal(encodedFirst);
    expect(toHex(txId(idsFirst))).to.equal(toHex(txId(encodedFirst)));
    expect(toHex(witnessTxId(idsFirst))).to.equal(toHex(witnessTxId(encodedFirst)));
    expect(toHex(encodeUnsigned(encodedFirst))).to.equal(toHex(encodeUnsigned(body)));
    expect(txInfo(encodedFirst).size).to.equal(bytes.length);
  });

  it('a decoded transaction encodes to the bytes it was decoded from, with the ids of a copy encoded from its fields', () => {
    const bytes = encodedAfresh(build());
    const tx = decodeTransaction(bytes);
    const copy = { ...tx };
    expect(toHex(encodeTransaction(tx))).to.equal(toHex(bytes));
    expect(toHex(encodeTransaction(copy))).to.equal(toHex(bytes));
    expect(toHex(txId(tx))).to.equal(toHex(txId(copy)));
    expect(toHex(witnessTxId(tx))).to.equal(toHex(witnessTxId(copy)));
    expect(toHex(encodeUnsigned(tx))).to.equal(toHex(encodeUnsigned(copy)));
  });

  it('a transaction decoded from part of a larger buffer, or from a Buffer, keeps a plain copy of its own bytes only', () => {
    // A key witness and a multisig one: every kind of field that is read as a view.
    const [bob, carol] = [testKey(2), testKey(3)];
    const twoInputs: TransferBody = { ...body, inputs: [...body.inputs, { txid: new Uint8Array(32).fill(8), index: 1 }] };
    const condition = { threshold: 2, keys: [alice.publicKey, bob.publicKey, carol.publicKey] };
    const bytes = encodedAfresh({ ...twoInputs, witnesses: [keyWitness(CHAIN_ID, twoInputs, alice.seed), multisigWitness(CHAIN_ID, twoInputs, condition, [alice.seed, bob.seed])] });
    const block = new Uint8Array(bytes.length + 200);
    block.set(bytes, 100);
    for (const input of [block.subarray(100, 100 + bytes.length), Buffer.from(bytes)]) {
      const tx = decodeTransaction(input) as Transaction & TransferBody;
      const kept = encodeTransaction(tx);
      expect(kept.constructor).to.equal(Uint8Array);
      expect(kept.buffer.byteLength).to.equal(bytes.length);
      expect(toHex(kept)).to.equal(toHex(bytes));
      // Nor does a field keep the larger buffer: each lies in the kept copy or owns its bytes. An
      // output's owner always owns them, as the securities register keeps it after the transaction.
      const fields = [
        ...tx.inputs.map((input) => input.txid),
        ...tx.outputs.flatMap((output) => [output.owner, output.asset]),
        ...tx.witnesses.flatMap((witness) => (witness.type === 'key' ? [witness.signature] : [...witness.condition.keys, ...witness.signatures.map(({ signature }) => signature)])),
      ];
      expect(fields).to.have.length(2 + 4 + 1 + 3 + 2);
      for (const field of fields) expect(field.buffer === kept.buffer || field.buffer.byteLength === field.length).to.equal(true);
      for (const { owner } of tx.outputs) expect(owner.buffer.byteLength).to.equal(owner.length);
    }
  });
});

describe('context-free transaction checks', () => {
  const alice = testKey(1);
  const input = { txid: new Uint8Array(32).fill(9), index: 0 };
  const cases: [string, () => Transaction, string][] = [
    ['a zero amount', () => signedTransfer([input], [btcOutput(alice.owner, 0n)], alice.seed), 'amount-range'],
    ['an amount of 2^63', () => signedTransfer([input], [btcOutput(alice.owner, 1n << 63n)], alice.seed), 'amount-range'],
    ['a negative amount', () => ({ ...signedTransfer([input], [btcOutput(alice.owner, 1n)], alice.seed), outputs: [btcOutput(alice.owner, -1n)] }), 'unencodable'],
    ['the same input twice', () => signedTransfer([input, input], [btcOutput(alice.owner, 1n)], alice.seed), 'duplicate-input'],
    ['no inputs', () => ({ kind: 'transfer', inputs: [], outputs: [btcOutput(alice.owner, 1n)], witnesses: [] }), 'no-inputs'],
    ['no outputs', () => signedTransfer([input], [], alice.seed), 'no-outputs'],
    ['a missing witness', () => ({ ...signedTransfer([input], [btcOutput(alice.owner, 1n)], alice.seed), witnesses: [] }), 'witness-count'],
    ['1001 outputs', () => signedTransfer([input], Array.from({ length: 1001 }, () => btcOutput(alice.owner, 1n)), alice.seed), 'too-many-outputs'],
    [
      'a peg-out to a non-standard script',
      () => ({ kind: 'pegout', inputs: [input], outputs: [], destinationScript: new Uint8Array([0x6a]), amount: 1n, witnesses: [keyWitness(CHAIN_ID, { kind: 'transfer', inputs: [], outputs: [] }, alice.seed)] }),
      'bad-destination',
    ],
  ];
  for (const [what, build, code] of cases) {
    it(`refuses ${what} with code ${code}`, () => {
      expect(() => checkTransaction(build())).to.throw(ValidationError).with.property('code', code);
    });
  }

  it('refuses 1001 inputs', () => {
    const inputs = Array.from({ length: 1001 }, (_, index) => ({ txid: input.txid, index }));
    const tx: Transaction = { kind: 'transfer', inputs, outputs: [btcOutput(alice.owner, 1n)], witnesses: [] };
    expect(() => checkTransaction(tx)).to.throw(ValidationError).with.property('code', 'too-many-inputs');
  });
});

describe('sighash', () => {
  const alice = testKey(1);
  const body: TransferBody = {
    kind: 'transfer',
    inputs: [{ txid: new Uint8Array(32).fill(1), index: 0 }, { txid: new Uint8Array(32).fill(2), index: 0 }],
    outputs: [btcOutput(alice.owner, 5n), btcOutput(alice.owner, 6n)],
  };

  it('ALL signs chain id, type and the unsigned transaction; verifiable with @noble/ed25519', () => {
    const message = sighashMessage(CHAIN_ID, body, 0, SighashType.all);
    const expected = independentTaggedHash('Strongbox/sighash', new Uint8Array([...CHAIN_ID, 0x01, ...encodeUnsigned(body)]));
    expect(toHex(message)).to.equal(expected);
    const witness = keyWitness(CHAIN_ID, body, alice.seed);
    expect(witness.type === 'key' && noble.verify(witness.signature, message, alice.publicKey)).to.equal(true);
  });

  it('ALL changes with the chain id, so a signature cannot be replayed on another chain', () => {
    const other = new Uint8Array(32).fill(1);
    expect(toHex(sighashMessage(other, body, 0, SighashType.all))).to.not.equal(toHex(sighashMessage(CHAIN_ID, body, 0, SighashType.all)));
  });

  it('SINGLE|ANYONECANPAY ignores other inputs and outputs but not its own pair', () => {
    const message = sighashMessage(CHAIN_ID, body, 1, SighashType.singleAnyoneCanPay);
    const grown: TransferBody = { ...body, inputs: [...body.inputs, { txid: new Uint8Array(32).fill(3), index: 1 }], outputs: [btcOutput(alice.owner, 99n), body.outputs[1]!] };
    expect(toHex(sighashMessage(CHAIN_ID, grown, 1, SighashType.singleAnyoneCanPay))).to.equal(toHex(message));
    const changed: TransferBody = { ...body, outputs: [body.outputs[0]!, btcOutput(alice.owner, 7n)] };
    expect(toHex(sighashMessage(CHAIN_ID, changed, 1, SighashType.singleAnyoneCanPay))).to.not.equal(toHex(message));
  });

  it('SINGLE|ANYONECANPAY needs an output at the input index and a transfer', () => {
    const short: TransferBody = { ...body, outputs: [body.outputs[0]!] };
    expect(() => sighashMessage(CHAIN_ID, short, 1, SighashType.singleAnyoneCanPay)).to.throw(ValidationError, 'no output');
    const mint = { kind: 'pegin', bitcoinTxid: new Uint8Array(32), bitcoinVout: 0, amount: 1n, recipient: alice.owner } as const;
    expect(() => sighashMessage(CHAIN_ID, mint, 0, SighashType.singleAnyoneCanPay)).to.throw(ValidationError, 'only allowed in transfers');
  });

  it('outputs of pegged BTC use the fixed BTC asset id', () => {
    expect(toHex(btcOutput(alice.owner, 1n).asset)).to.equal(toHex(BTC_ASSET_ID));
  });
});
