import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DecodeError } from '../../sidechain/encoding/index.ts';
import { LedgerState } from '../../sidechain/ledger/index.ts';
import { decodeLedger, encodeLedger, encodeLedgerPieces, encodeLedgerSteps, freezeLedger, ledgerDigest } from '../../sidechain/ledger/snapshot.ts';
import { ledgerFromVector, type LedgerVector } from '../helpers/ledger-snapshot-vector.ts';

const vector = JSON.parse(readFileSync(new URL('../vectors/ledger-snapshot.json', import.meta.url), 'utf8')) as LedgerVector;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Everything a reader of the ledger may ask, in a form deep equality compares. */
function contents(ledger: LedgerState) {
  const assets = [...ledger.assets.keys()].sort();
  const owners = [...new Set([...ledger.utxos.values()].map((utxo) => hex(utxo.owner)))].sort();
  return {
    utxos: [...ledger.utxos.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
    assets: assets.map((key) => ({ ...ledger.getAsset(key)!, allowlist: [...ledger.getAsset(key)!.allowlist].sort() })),
    minted: [...ledger.minted].sort(),
    burns: [...ledger.burns.keys()].sort().map((txid) => ledger.getBurn(txid)),
    unpaid: ledger.unpaidBurns(),
    supply: ledger.supply(),
    holders: assets.flatMap((key) => [0, 2, 3, 4, 5].map((height) => ledger.holdersAt(key, height))),
    balances: assets.flatMap((key) => owners.map((owner) => ledger.holding(key, owner))),
    histories: owners.map((owner) => ledger.holdings.historyOf(owner)),
  };
}

/** `utxos` random outputs, and as many changes of the register (in ten owners' histories). */
function randomLedger(utxos: number): LedgerState {
  const ledger = new LedgerState();
  const assets = [randomBytes(32), randomBytes(32), randomBytes(32)];
  const holders = Array.from({ length: 10 }, () => randomBytes(33));
  for (let i = 0; i < utxos; i++) {
    const asset = assets[i % assets.length]!;
    ledger.putUtxo(`${randomBytes(32).toString('hex')}:${i % 5}`, { owner: randomBytes(33), asset, assetKey: hex(asset), amount: BigInt(i + 1), height: i % 1000 });
    const owner = holders[i % holders.length]!;
    ledger.putHolding({ assetKey: hex(asset), owner, ownerKey: hex(owner), height: i, txid: randomBytes(32).toString('hex'), balance: BigInt(i) });
  }
  return ledger;
}

const point = { height: 12, blockHash: new Uint8Array(32).fill(9) };

describe('ledger snapshot encoding', () => {
  it('encodes the vector ledger to the vector bytes and digest, whatever order it was put together in, and decodes them back to the same ledger', () => {
    const { ledger, point } = ledgerFromVector(vector);
    const bytes = encodeLedger(freezeLedger(ledger, point));
    expect(hex(bytes)).to.equal(vector.bytes);
    expect(hex(ledgerDigest(bytes))).to.equal(vector.digest);

    const reversed = { ...vector, assets: [...vector.assets].reverse(), minted: [...vector.minted].reverse(), burns: [...vector.burns].reverse(), utxos: [...vector.utxos].reverse() };
    expect(hex(encodeLedger(freezeLedger(ledgerFromVector(reversed).ledger, point)))).to.equal(vector.bytes);

    const decoded = decodeLedger(Buffer.from(vector.bytes, 'hex'));
    expect(decoded.point).to.deep.equal({ height: vector.height, blockHash: new Uint8Array(Buffer.from(vector.blockHash, 'hex')) });
    expect(contents(decoded.ledger)).to.deep.equal(contents(ledger));
    expect(hex(encodeLedger(freezeLedger(decoded.ledger, decoded.point)))).to.equal(vector.bytes);
  });

  it('gives one encoding to one UTXO set whatever slots its history left it in, in pieces that join to the whole, with the digest of the whole', async () => {
    const ledger = randomLedger(30_000);
    const entries = [...ledger.utxos.entries()];
    // The same outputs, put in reverse order into a set that first held and lost others.
    const other = new LedgerState();
    for (const [key, utxo] of randomLedger(5_000).utxos) other.putUtxo(key, utxo);
    for (const key of [...other.utxos.keys()]) other.deleteUtxo(key);
    for (const [key, utxo] of entries.reverse()) other.putUtxo(key, utxo);
    for (const [ownerKey] of ledger.holdings.freeze()) for (const change of ledger.holdings.historyOf(ownerKey)) other.putHolding(change);

    const pieces = [...encodeLedgerPieces(freezeLedger(ledger, point))];
    // About 256 KiB each, the register's history cut as the UTXO set is, so no step holds the thread long.
    expect(pieces.length).to.be.greaterThan(16);
    for (const piece of pieces) expect(piece.length).to.be.below(1.1 * 2 ** 18);
    const bytes = Buffer.concat(pieces);
    expect(hex(encodeLedger(freezeLedger(other, point)))).to.equal(hex(bytes));
    expect(ledgerDigest(pieces)).to.deep.equal(ledgerDigest(bytes));

    const steps = encodeLedgerSteps(freezeLedger(ledger, point));
    const stepped: Uint8Array[] = [];
    for await (const piece of steps.pieces) stepped.push(piece);
    expect(hex(Buffer.concat(stepped))).to.equal(hex(bytes));
    expect(steps.digest()).to.deep.equal(ledgerDigest(bytes));

    const { ledger: decoded } = decodeLedger(bytes);
    expect(contents(decoded)).to.deep.equal(contents(ledger));
    expect(hex(encodeLedger(freezeLedger(decoded, point)))).to.equal(hex(bytes));
  });

  it('is the ledger as it was when frozen, whatever is applied after', () => {
    const { ledger, point } = ledgerFromVector(vector);
    const frozen = freezeLedger(ledger, point);
    const [first] = vector.utxos;
    ledger.deleteUtxo(first!.key);
    ledger.putUtxo(`${'ab'.repeat(32)}:0`, ledger.getUtxo(vector.utxos[1]!.key)!);
    ledger.addMinted(`${'cd'.repeat(32)}:3`);
    ledger.putHolding({ ...vector.holdings[0]!, owner: new Uint8Array(Buffer.from(vector.holdings[0]!.owner, 'hex')), ownerKey: vector.holdings[0]!.owner, height: 8, balance: 1n });
    ledger.setSupply({ minted: 1n, burned: 0n });
    expect(hex(encodeLedger(frozen))).to.equal(vector.bytes);
  });

  it('refuses bytes that are not a canonical encoding: out of order, trailing, truncated, or of another format', () => {
    const bytes = Buffer.from(vector.bytes, 'hex');
    const refusal = (input: Uint8Array) => {
      try {
        decodeLedger(input);
        return null;
      } catch (error) {
        expect(error).to.be.instanceOf(DecodeError);
        return (error as Error).message;
      }
    };
    expect(refusal(Buffer.concat([bytes, Buffer.of(0)]))).to.match(/1 trailing bytes/);
    expect(refusal(bytes.subarray(0, bytes.length - 1))).to.match(/truncated at UTXO height/);
    const otherFormat = Buffer.from(bytes);
    otherFormat[1] = otherFormat[1]! ^ 0x20;
    expect(refusal(otherFormat)).to.match(/format "Strongbox ledger snapshot" is not/);

    // The two UTXOs of one transaction (outputs 0 and 1) swapped: the same ledger, out of order.
    const txid = Buffer.from(vector.utxos.find((utxo) => utxo.key.endsWith(':1'))!.key.split(':')[0]!, 'hex');
    const record = 32 + 4 + 33 + 1 + 8 + 4;
    // The txid's last appearance is its output 1's record, right after its output 0's.
    const first = bytes.lastIndexOf(txid) - record;
    const swapped = Buffer.from(bytes);
    bytes.copy(swapped, first, first + record, first + 2 * record);
    bytes.copy(swapped, first + record, first, first + record);
    expect(refusal(swapped)).to.match(/UTXO [0-9a-f]{64}:0 is not after [0-9a-f]{64}:1: not in canonical order/);
  });
});
