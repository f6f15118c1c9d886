import { expect } from 'chai';
import { Transaction as BitcoinTransaction } from 'bitcoinjs-lib';
import { ValidationError } from '../../sidechain/errors.ts';
import type { BurnRecord, UnpaidBurns } from '../../sidechain/ledger/index.ts';
import { anchorPayloadOf, anchorScript, decodeAnchorPayload, encodeAnchorPayload } from '../../watcher/anchor-payload.ts';
import { assessReserves, checkAnchorTransaction, checkSettlementTransaction } from '../../federation/audit/bitcoin-rules.ts';
import { fromHex, readVectors, toHex } from '../helpers/block-vectors.ts';

const vectors = readVectors<{
  valid: { description: string; chainId: string; height: number; blockHash: string; payload: string; script: string }[];
  invalid: { description: string; script: string; error: string }[];
}>('anchor-payload.json');

/** A Bitcoin transaction spending a made-up outpoint to `outputs`: the audit reads only its outputs. */
function bitcoinTx(outputs: { script: Uint8Array; value: bigint }[]): BitcoinTransaction {
  const tx = new BitcoinTransaction();
  tx.addInput(new Uint8Array(32).fill(0xaa), 0);
  for (const { script, value } of outputs) tx.addOutput(script, value);
  return tx;
}

const p2wpkh = (byte: number) => Uint8Array.from([0x00, 0x14, ...new Uint8Array(20).fill(byte)]);
const escrow = Uint8Array.from([0x00, 0x20, ...new Uint8Array(32).fill(0xe5)]);
const burn = (n: number, script: Uint8Array, amount: bigint): BurnRecord => ({ txid: n.toString(16).padStart(64, '0'), destinationScript: script, amount, height: 1 });

describe('anchor payload vectors', () => {
  for (const vector of vectors.valid) {
    it(`${vector.description}: encodes to the vector and is read back from the transaction's OP_RETURN`, () => {
      const payload = encodeAnchorPayload(fromHex(vector.chainId), vector.height, fromHex(vector.blockHash));
      expect(toHex(payload)).to.equal(vector.payload);
      expect(toHex(anchorScript(payload))).to.equal(vector.script);
      const read = anchorPayloadOf(bitcoinTx([{ script: p2wpkh(1), value: 5_000n }, { script: fromHex(vector.script), value: 0n }]));
      expect({ chainPrefix: toHex(read.chainPrefix), height: read.height, blockHash: toHex(read.blockHash) }).to.deep.equal({
        chainPrefix: vector.chainId.slice(0, 8),
        height: vector.height,
        blockHash: vector.blockHash,
      });
    });
  }

  for (const vector of vectors.invalid) {
    it(`refuses ${vector.description}`, () => {
      expect(() => anchorPayloadOf(bitcoinTx([{ script: fromHex(vector.script), value: 0n }]))).to.throw(ValidationError, vector.error);
    });
  }

  it('refuses a payload of another length when decoding', () => {
    expect(() => decodeAnchorPayload(new Uint8Array(43))).to.throw(ValidationError, 'an anchor payload is 44 bytes, got 43');
  });
});

describe('audit rules for Bitcoin transactions', () => {
  const vector = vectors.valid[0]!;
  const expected = { chainId: fromHex(vector.chainId), height: vector.height, blockHash: fromHex(vector.blockHash) };
  const anchorTx = (script: string) => bitcoinTx([{ script: fromHex(script), value: 0n }, { script: p2wpkh(2), value: 90_000n }]);

  describe('anchors', () => {
    it('accept the transaction committing to this chain, height and block hash', () => {
      checkAnchorTransaction(anchorTx(vector.script), expected);
    });

    const refusals: { description: string; expected: Partial<typeof expected>; tx?: BitcoinTransaction; error: RegExp }[] = [
      { description: 'another chain', expected: { chainId: new Uint8Array(32).fill(9) }, error: /anchors another chain \(04f3ae69…\)/ },
      { description: 'another height', expected: { height: 2 }, error: /anchors height 1, not 2/ },
      { description: 'another block hash', expected: { blockHash: new Uint8Array(32).fill(3) }, error: new RegExp(`anchors block hash ${vector.blockHash} at height 1, the served chain has 0303`) },
      { description: 'a transaction with no OP_RETURN', expected: {}, tx: bitcoinTx([{ script: p2wpkh(2), value: 1n }]), error: /has 0$/ },
      { description: 'a transaction with two OP_RETURNs', expected: {}, tx: bitcoinTx([{ script: fromHex(vector.script), value: 0n }, { script: fromHex(vector.script), value: 0n }]), error: /one OP_RETURN output, .* has 2/ },
    ];
    for (const refusal of refusals) {
      it(`refuse ${refusal.description}`, () => {
        expect(() => checkAnchorTransaction(refusal.tx ?? anchorTx(vector.script), { ...expected, ...refusal.expected })).to.throw(ValidationError, refusal.error);
      });
    }
  });

  describe('settlements', () => {
    it('accept one output per burn, each paying its script at most the burn, and return the escrow change', () => {
      const tx = bitcoinTx([
        { script: p2wpkh(1), value: 49_000n },
        { script: p2wpkh(2), value: 19_000n },
        { script: escrow, value: 1_000_000n },
      ]);
      expect(checkSettlementTransaction(tx, [burn(1, p2wpkh(1), 50_000n), burn(2, p2wpkh(2), 20_000n)], escrow)).to.deep.equal([{ vout: 2, value: 1_000_000n }]);
    });

    it('accept a payment of the whole burn (a zero fee share)', () => {
      expect(checkSettlementTransaction(bitcoinTx([{ script: p2wpkh(1), value: 50_000n }]), [burn(1, p2wpkh(1), 50_000n)], escrow)).to.deep.equal([]);
    });

    it('pair burns to the same script with outputs so that each is paid, whatever their order', () => {
      const tx = bitcoinTx([
        { script: p2wpkh(1), value: 95_000n },
        { script: p2wpkh(1), value: 45_000n },
      ]);
      checkSettlementTransaction(tx, [burn(1, p2wpkh(1), 100_000n), burn(2, p2wpkh(1), 50_000n)], escrow);
      checkSettlementTransaction(tx, [burn(2, p2wpkh(1), 50_000n), burn(1, p2wpkh(1), 100_000n)], escrow);
    });

    it('accept a fee bump, which settles no burn: its escrow change back to the escrow, the operations wallet\'s change beside it', () => {
      const tx = bitcoinTx([
        { script: escrow, value: 300_000n },
        { script: p2wpkh(9), value: 40_000n },
      ]);
      expect(checkSettlementTransaction(tx, [], escrow)).to.deep.equal([{ vout: 0, value: 300_000n }]);
    });

    it("refuse an output that pays neither a burn nor the escrow's change: the burns' fee shares would pay someone, not only the miner", () => {
      // 1,000 paid for a burn of 50,000: of its fee share of 49,000, 48,000 go to another script, and the outflow still equals the burn.
      const tx = bitcoinTx([
        { script: p2wpkh(1), value: 1_000n },
        { script: p2wpkh(7), value: 48_000n },
      ]);
      expect(() => checkSettlementTransaction(tx, [burn(1, p2wpkh(1), 50_000n)], escrow)).to.throw(
        ValidationError,
        new RegExp(`^Bitcoin transaction ${tx.getId()} pays 48000 sats by output 1 to 0014${'07'.repeat(20)}, which is neither a burn it settles nor change to the escrow: a settlement's other outputs may only return change to the escrow$`),
      );
    });

    const refusals: { description: string; outputs: { script: Uint8Array; value: bigint }[]; burns: BurnRecord[] }[] = [
      { description: 'more than the burn', outputs: [{ script: p2wpkh(1), value: 50_001n }], burns: [burn(1, p2wpkh(1), 50_000n)] },
      { description: 'nothing to the burn', outputs: [{ script: p2wpkh(1), value: 0n }], burns: [burn(1, p2wpkh(1), 50_000n)] },
      { description: 'another script', outputs: [{ script: p2wpkh(3), value: 40_000n }], burns: [burn(1, p2wpkh(1), 50_000n)] },
      { description: 'one output for two burns', outputs: [{ script: p2wpkh(1), value: 10_000n }], burns: [burn(1, p2wpkh(1), 50_000n), burn(2, p2wpkh(1), 50_000n)] },
      { description: 'the burn to the escrow change', outputs: [{ script: escrow, value: 10_000n }], burns: [burn(1, p2wpkh(1), 50_000n)] },
    ];
    for (const refusal of refusals) {
      it(`refuse paying ${refusal.description}`, () => {
        expect(() => checkSettlementTransaction(bitcoinTx(refusal.outputs), refusal.burns, escrow)).to.throw(ValidationError, /has no output paying burn 0+[12] \(50000 sats to 0014/);
      });
    }
  });

  describe('reserves', () => {
    const outputs = [
      { outpoint: 'a:0', unspentSats: 600_000n },
      { outpoint: 'b:1', unspentSats: null },
      { outpoint: 'c:0', unspentSats: 400_000n },
    ];
    const noBurnsUnpaid: UnpaidBurns = { count: 0, sats: 0n, oldestHeight: null };
    const owed = (outstandingSats: bigint, unpaidBurns = noBurnsUnpaid) => ({ outstandingSats, unpaidBurns });

    it('pass when the unspent escrow outputs cover the pegged supply outstanding, to the satoshi', () => {
      expect(assessReserves(outputs, owed(1_000_000n))).to.deep.equal({
        reserves: { escrowSats: 1_000_000n, unspentOutputs: 2, spentOutputs: 1, outstandingSats: 1_000_000n, unpaidBurns: noBurnsUnpaid },
        shortfall: null,
      });
      expect(assessReserves([], owed(0n))).to.deep.equal({
        reserves: { escrowSats: 0n, unspentOutputs: 0, spentOutputs: 0, outstandingSats: 0n, unpaidBurns: noBurnsUnpaid },
        shortfall: null,
      });
    });

    it('fall one satoshi short, saying by how much, beside the same summary', () => {
      expect(assessReserves(outputs, owed(1_000_001n))).to.deep.equal({
        reserves: { escrowSats: 1_000_000n, unspentOutputs: 2, spentOutputs: 1, outstandingSats: 1_000_001n, unpaidBurns: noBurnsUnpaid },
        shortfall: 'the escrow holds 1000000 sats in 2 unspent outputs, 1000001 sats of pegged bitcoin are outstanding (short by 1); Bitcoin has spent the output the chain holds in reserve: b:1',
      });
      const manySpent = Array.from({ length: 7 }, (_, i) => ({ outpoint: `s${i}:0`, unspentSats: null }));
      expect(assessReserves([{ outpoint: 'a:0', unspentSats: 5n }, ...manySpent], owed(6n)).shortfall).to.equal(
        'the escrow holds 5 sats in 1 unspent output, 6 sats of pegged bitcoin are outstanding (short by 1); Bitcoin has spent 7 outputs the chain holds in reserve: s0:0, s1:0, s2:0, s3:0, s4:0 and 2 more',
      );
      expect(assessReserves([], owed(1n)).shortfall).to.equal('the escrow holds 0 sats in 0 unspent outputs, 1 sats of pegged bitcoin are outstanding (short by 1)');
    });

    it('count the final burns not paid yet as owed beside the pegged supply: an escrow emptied of what it owes a burner is short', () => {
      const unpaid = { count: 2, sats: 300_000n, oldestHeight: 7 };
      expect(assessReserves(outputs, owed(700_000n, unpaid))).to.deep.equal({
        reserves: { escrowSats: 1_000_000n, unspentOutputs: 2, spentOutputs: 1, outstandingSats: 700_000n, unpaidBurns: unpaid },
        shortfall: null,
      });
      expect(assessReserves(outputs, owed(700_001n, unpaid)).shortfall).to.equal(
        'the escrow holds 1000000 sats in 2 unspent outputs, 700001 sats of pegged bitcoin are outstanding and 300000 sats are owed to 2 final burns not paid yet (short by 1); Bitcoin has spent the output the chain holds in reserve: b:1',
      );
      expect(assessReserves([], owed(0n, { count: 1, sats: 200_000n, oldestHeight: 3 })).shortfall).to.equal(
        'the escrow holds 0 sats in 0 unspent outputs, 0 sats of pegged bitcoin are outstanding and 200000 sats are owed to 1 final burn not paid yet (short by 200000)',
      );
    });
  });
});
