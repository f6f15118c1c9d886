import { expect } from 'chai';
import { DecodeError, Writer } from '../../sidechain/encoding/index.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import {
  admitRelayedBatch,
  decodeTransactionBatch,
  encodeTransactionBatch,
  LINK_UP_BUDGET_SHARE,
  linkUpPauseMs,
  RELAY_BATCH_BYTES,
  RELAY_BATCH_TRANSACTIONS,
  RELAY_DELAY_MS,
  relayBatches,
  sendPendingOnLinkUp,
  TransactionRelay,
} from '../../federation/member/transaction-relay.ts';
import { DEFAULT_CHAIN_OPTIONS } from '../../federation/member/chain.ts';
import { FRAME_OVERHEAD } from '../../federation/transport/frame.ts';
import { DEFAULT_PEER_RATE_LIMIT } from '../../federation/transport/options.ts';
import { BURST_SECONDS, PeerBudget, type PeerRateLimit } from '../../federation/transport/rate-limit.ts';
import { MAX_BLOCK_BYTES } from '../../sidechain/block.ts';

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
        (encoded) => encoded,
        (transaction) => {
          seen.push(transaction[0]!);
          if (transaction[0] === 2) throw new ValidationError('already-pending', 'already pending');
          if (transaction[0] === 3) throw broken;
        },
        (error) => failures.push(error),
      );
      expect(seen).to.deep.equal([1, 2, 3, 4]);
      expect(outcome).to.deep.equal({ admitted: 2, orphaned: 0, refused: 2 });
      // A refusal is the sender's batch's business; any other error is this member's, reported.
      expect(failures).to.deep.equal([broken]);
    });

    it('hands one refused only for a missing input to the orphans, which say whether they keep it; every other refusal is refused', () => {
      const offered: number[] = [];
      const outcome = admitRelayedBatch(
        [bytes(1), bytes(2), bytes(3), bytes(4)],
        (encoded) => encoded,
        (transaction) => {
          if (transaction[0] === 2 || transaction[0] === 3) throw new ValidationError('missing-input', 'input is not in the UTXO set');
          if (transaction[0] === 4) throw new ValidationError('double-spend', 'input is already spent');
        },
        (error) => expect.fail(String(error)),
        (transaction) => {
          offered.push(transaction[0]!);
          // The second is held already, say.
          return transaction[0] === 2;
        },
      );
      expect(offered).to.deep.equal([2, 3]);
      expect(outcome).to.deep.equal({ admitted: 1, orphaned: 1, refused: 2 });
    });
    it('decodes each transaction once, hands the orphans the decoded one with its bytes, and refuses one that does not decode', () => {
      const decoded: number[] = [];
      const offered: [number, number][] = [];
      const outcome = admitRelayedBatch(
        [bytes(1), bytes(2), bytes(3)],
        (encoded) => {
          decoded.push(encoded[0]!);
          if (encoded[0] === 3) throw new DecodeError('transaction', 'truncated');
          return { tag: encoded[0]! };
        },
        () => {
          throw new ValidationError('missing-input', 'input is not in the UTXO set');
        },
        (error) => expect.fail(String(error)),
        (transaction, encoded) => {
          offered.push([transaction.tag, encoded[0]!]);
          return true;
        },
      );
      expect([decoded, offered]).to.deep.equal([
        [1, 2, 3],
        [
          [1, 1],
          [2, 2],
        ],
      ]);
      expect(outcome).to.deep.equal({ admitted: 0, orphaned: 2, refused: 1 });
    });
  });

  describe('sending a peer that links the transactions pending here', () => {
    /** Distinct transactions of `size` bytes each, numbered in their first four bytes. */
    const numbered = (count: number, size: number) =>
      Array.from({ length: count }, (_, index) => {
        const transaction = new Uint8Array(size);
        new DataView(transaction.buffer).setUint32(0, index);
        return transaction;
      });

    /**
     * Sends `pending` to a peer whose inbound budget is the real PeerBudget under `limit`, on a
     * clock that moves only by the sender's pauses: what the peer admits, drops and receives.
     */
    const sendToPeer = async (pending: Uint8Array[], limit: PeerRateLimit, linked = () => true) => {
      const budget = new PeerBudget(limit);
      let nowMs = 0;
      const received: Uint8Array[][] = [];
      const pauses: number[] = [];
      let dropped = 0;
      let frameBytes = 0;
      const result = await sendPendingOnLinkUp(pending, {
        send: (batch) => {
          const size = 1 + batch.length + FRAME_OVERHEAD;
          frameBytes += size;
          if (budget.admit(size, nowMs)) received.push(decodeTransactionBatch(batch));
          else dropped += 1;
        },
        linked,
        limit,
        pause: async (ms) => {
          pauses.push(ms);
          nowMs += ms;
        },
      });
      return { result, received, dropped, pauses, seconds: nowMs / 1000, frameBytes };
    };

    it('batches as the relay does, in order, each batch cut at its bytes or its count', () => {
      const half = bytes(7, RELAY_BATCH_BYTES / 2);
      expect([...relayBatches([half, half, bytes(1)])]).to.deep.equal([[half, half], [bytes(1)]]);
      const small = numbered(RELAY_BATCH_TRANSACTIONS + 1, 4);
      expect([...relayBatches(small)].map((batch) => batch.length)).to.deep.equal([RELAY_BATCH_TRANSACTIONS, 1]);
      expect([...relayBatches([])]).to.deep.equal([]);
    });

    it("delivers a full mempool, oldest first, within the peer's frame and byte budget, using at most its share of either", async () => {
      // The most a member's mempool holds, as transactions of one size.
      const size = Math.floor(DEFAULT_CHAIN_OPTIONS.mempoolMaxBytes / DEFAULT_CHAIN_OPTIONS.mempoolMaxCount);
      const full = numbered(DEFAULT_CHAIN_OPTIONS.mempoolMaxCount, size);
      // The default budget, and the least a member accepts: a frame a second, and bytes whose burst holds one largest frame.
      const smallest = { framesPerSecond: 1, bytesPerSecond: Math.ceil((MAX_BLOCK_BYTES + 1024 + FRAME_OVERHEAD) / BURST_SECONDS) };
      for (const limit of [DEFAULT_PEER_RATE_LIMIT, smallest]) {
        const sent = await sendToPeer(full, limit);
        expect(sent.dropped, JSON.stringify(limit)).to.equal(0);
        const numbers = sent.received.flat().map((transaction) => new DataView(transaction.buffer, transaction.byteOffset).getUint32(0));
        expect(numbers).to.deep.equal(full.map((_, index) => index));
        expect(sent.result).to.deep.equal({ transactions: full.length, batches: sent.received.length });
        // One pause after each batch: the event loop runs between them.
        expect(sent.pauses).to.have.length(sent.received.length);
        expect(sent.received.length).to.be.at.most(sent.seconds * limit.framesPerSecond * LINK_UP_BUDGET_SHARE);
        expect(sent.frameBytes).to.be.at.most(sent.seconds * limit.bytesPerSecond * LINK_UP_BUDGET_SHARE);
      }
    });

    it('stops when the link closes, reading no further', async () => {
      const half = bytes(7, RELAY_BATCH_BYTES / 2);
      let read = 0;
      function* pending() {
        for (let index = 0; index < 10; index++) {
          read += 1;
          yield half;
        }
      }
      let batches = 0;
      const result = await sendPendingOnLinkUp(pending(), {
        send: () => (batches += 1),
        linked: () => batches < 2,
        limit: DEFAULT_PEER_RATE_LIMIT,
        pause: async () => {},
      });
      expect(result).to.deep.equal({ transactions: 4, batches: 2 });
      expect(read).to.equal(6);
    });

    it('sends nothing when nothing is pending', async () => {
      const sent = await sendToPeer([], DEFAULT_PEER_RATE_LIMIT);
      expect(sent.result).to.deep.equal({ transactions: 0, batches: 0 });
      expect(sent.pauses).to.deep.equal([]);
    });

    it('pauses for whichever of the frame and the byte budget is the tighter', () => {
      const limit = { framesPerSecond: 100, bytesPerSecond: 1_000_000 };
      expect(linkUpPauseMs(1_000, limit)).to.equal(10 / LINK_UP_BUDGET_SHARE);
      expect(linkUpPauseMs(100_000, limit)).to.equal(100 / LINK_UP_BUDGET_SHARE);
    });
  });
});
