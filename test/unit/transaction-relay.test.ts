import { expect } from 'chai';
import { DecodeError, Writer } from '../../sidechain/encoding/index.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import {
  admitRelayedBatch,
  decodeTransactionBatch,
  encodeTransactionBatch,
  RELAY_BATCH_BYTES,
  RELAY_BATCH_TRANSACTIONS,
  RELAY_DELAY_MS,
  TransactionRelay,
} from '../../federation/member/transaction-relay.ts';

const bytes = (fill: number, length = 3) => new Uint8Array(length).fill(fill);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('relaying transactions to peers in batches', () => {
  describe('the batch encoding', () => {
    it('is a count and each transaction with its length, and decodes back to the same transactions', () => {
      const batch = encodeTransactionBatch([bytes(1), bytes(2, 1)]);
      expect(Buffer.from(batch).toString('hex')).to.equal('0203010101' + '0102');
      expect(decodeTransactionBatch(batch)).to.deep.equal([bytes(1), bytes(2, 1)]);
    });

    it('refuses an empty batch, trailing bytes, a truncated transaction and a count above a block', () => {
      const refusals: [string, Uint8Array][] = [
        ['no transactions', new Uint8Array([0])],
        ['trailing', new Uint8Array([...encodeTransactionBatch([bytes(1)]), 0])],
        ['truncated', new Uint8Array([1, 2, 1])],
        ['above the limit', new Writer().varint(RELAY_BATCH_TRANSACTIONS + 1).finish()],
      ];
      for (const [reason, encoded] of refusals) expect(() => decodeTransactionBatch(encoded), reason).to.throw(DecodeError, reason);
    });
  });

  describe('the relay', () => {
    it('sends the transactions added within the delay as one batch, in the order they came', async () => {
      const sent: Uint8Array[][] = [];
      const relay = new TransactionRelay((batch) => sent.push(decodeTransactionBatch(batch)));
      relay.add(bytes(1));
      relay.add(bytes(2));
      expect(sent).to.deep.equal([]);
      await sleep(RELAY_DELAY_MS * 3);
      expect(sent).to.deep.equal([[bytes(1), bytes(2)]]);
      relay.add(bytes(3));
      await sleep(RELAY_DELAY_MS * 3);
      expect(sent).to.deep.equal([[bytes(1), bytes(2)], [bytes(3)]]);
    });

    it('sends at once when a batch reaches its size, without waiting', () => {
      const sent: Uint8Array[][] = [];
      const relay = new TransactionRelay((batch) => sent.push(decodeTransactionBatch(batch)));
      const half = bytes(7, RELAY_BATCH_BYTES / 2);
      relay.add(half);
      relay.add(half);
      expect(sent).to.deep.equal([[half, half]]);
      relay.close();
    });

    it('sends nothing once closed, and nothing when nothing waits', async () => {
      const sent: Uint8Array[] = [];
      const relay = new TransactionRelay((batch) => sent.push(batch));
      relay.flush();
      relay.add(bytes(1));
      relay.close();
      await sleep(RELAY_DELAY_MS * 3);
      expect(sent).to.deep.equal([]);
    });
  });

  describe('admitting a relayed batch', () => {
    it('admits each transaction on its own, in order, and counts what it admitted and refused', () => {
      const seen: number[] = [];
      const failures: unknown[] = [];
      const broken = new Error('database away');
      const outcome = admitRelayedBatch(
        [bytes(1), bytes(2), bytes(3), bytes(4)],
        (transaction) => {
          seen.push(transaction[0]!);
          if (transaction[0] === 2) throw new ValidationError('already-pending', 'already pending');
          if (transaction[0] === 3) throw broken;
        },
        (error) => failures.push(error),
      );
      expect(seen).to.deep.equal([1, 2, 3, 4]);
      expect(outcome).to.deep.equal({ admitted: 2, refused: 2 });
      // A refusal is the sender's batch's business; any other error is this member's, reported.
      expect(failures).to.deep.equal([broken]);
    });
  });
});
