import { z } from 'zod';
import { genesisSchema } from '../../sidechain/genesis.ts';
import { blockSummarySchema } from './block-view.ts';
import { transactionViewSchema } from './transaction-view.ts';
import * as wire from './wire-shapes.ts';

/** The answers of the member's public read API and of transaction submission (member-routes.ts). */

const mintingHalted = z.boolean().describe('minting stopped after a deep Bitcoin reorg, until an operator resumes it');

export const status = z.strictObject({
  network: z.string().describe('the network name of the genesis'),
  chainId: wire.hex32('the chain id: hash of the canonical genesis, as hex'),
  memberIndex: wire.memberIndex.describe('this member'),
  height: wire.height.describe('the tip of the final chain'),
  tipHash: wire.hex32('hash of the tip block'),
  mempool: wire.uint.describe("transactions waiting in this member's mempool"),
  consensus: z.strictObject({
    height: wire.height.describe('the height being decided'),
    round: wire.uint,
    step: z.enum(['propose', 'prevote', 'precommit', 'commit']),
    lockedRound: z.number().int().min(-1).describe('round of the block this member is locked on; -1 when it is not locked'),
    lockedHash: wire.hex32('hash of the block this member is locked on').nullable(),
    started: z.boolean().describe('consensus runs at this height; an idle member waits for work before it starts'),
    startedMs: z.number().int().nullable().describe("when consensus started at this height, ms since the epoch on this member's clock; null while it waits for work, or just after a restart"),
  }),
  peersConnected: z.array(wire.memberIndex).describe('members with an open, authenticated connection to this one'),
  peersDown: z
    .array(
      z.strictObject({
        memberIndex: wire.memberIndex,
        sinceMs: wire.uint.describe("when its link failed for this reason, in ms since 1970; this member's start when it never linked"),
        code: z.string().describe('the cause, for programs: `dial-error`, `other-version`, `link-closed`, `never-linked`, `silent`, or a handshake refusal `handshake-…`'),
        reason: z.string().describe('the cause in plain words, e.g. connection refused at its address, or another peer protocol version'),
      }),
    )
    .describe('the other members with no link to this one, each with the last reason its link failed'),
  members: z.array(z.strictObject({ index: wire.memberIndex, name: z.string() })),
  threshold: wire.uint.describe('signatures (k of n) a block and an escrow spend need'),
  bitcoin: z.strictObject({
    height: wire.uint.describe("the last Bitcoin block this member's peg-in follower has read; 0 before the first"),
    mintingHalted,
    nodeError: z
      .strictObject({
        sinceMs: wire.uint.describe('when the node first failed to answer, in ms since 1970'),
        reason: z.string().describe('why the last attempt failed (unreachable, credentials refused)'),
      })
      .nullable()
      .describe("null while this member's Bitcoin node answers; otherwise it cannot mint, pay out or anchor until it does"),
  }),
  database: z
    .strictObject({
      sinceMs: wire.uint.describe('when the database first failed to answer, in ms since 1970'),
      reason: z.string().describe("why the last attempt failed (Postgres's reason, or no answer in time)"),
    })
    .nullable()
    .describe("null while this member reaches its database; otherwise it takes no part in consensus, and its height is the last it stored, until the database is back"),
});

export const block = blockSummarySchema.extend({ transactions: z.array(wire.txid).describe('ids of its transactions, in block order') });

export const encodedBlock = z.strictObject({
  height: wire.height,
  block: wire.hexBytes('the block in its canonical binary encoding, as hex'),
  commit: wire.hexBytes('its commit certificate in canonical binary, as hex'),
});
export const blockRange = z.strictObject({ blocks: z.array(encodedBlock) });

export const escrow = z.strictObject({
  descriptor: z.string().describe('output descriptor of the escrow: wsh(sortedmulti(k, peg keys)) with its checksum'),
  address: wire.bitcoinAddress.describe('the escrow address; deposits go to per-recipient addresses derived from it (POST /pegin/addresses)'),
  threshold: wire.uint.describe('peg keys (k of n) an escrow spend needs'),
  pegin: genesisSchema.shape.pegin.describe('peg-in parameters of the genesis: confirmations a deposit needs, and the fee and minimum in satoshis as decimal strings'),
  mintingHalted,
});

export const depositAddress = z.strictObject({
  recipient: z.string().describe('the sidechain address as given'),
  depositAddress: wire.bitcoinAddress.describe('the Bitcoin address whose deposits mint pegged BTC to the recipient'),
});

const depositProgress = {
  confirmations: wire.bitcoinConfirmations,
  required: wire.requiredConfirmations,
  minted: z.boolean().describe('the ledger has minted it'),
};
export const claim = z.strictObject(depositProgress);
export const depositStatus = z.strictObject({
  txid: wire.bitcoinTxid,
  minimumSats: wire.sats.describe('the smallest deposit that is minted, in satoshis as a decimal string'),
  deposits: z
    .array(
      z.strictObject({
        vout: wire.uint,
        amountSats: wire.sats,
        recipient: wire.address,
        ...depositProgress,
        belowMinimum: z.boolean().describe('below the minimum: never minted'),
        claimNeeded: z.boolean().describe('paid before its address was registered with this member, in a Bitcoin block it had already read: minted only once claimed (`POST /pegin/claims`)'),
        mintedIn: z.strictObject({ txid: wire.txid, height: wire.height }).optional().describe('the sidechain transaction that minted it, once minted'),
      }),
    )
    .describe('its outputs that pay a deposit address this member knows'),
});

export const evidence = z.strictObject({
  evidence: z.array(
    z.strictObject({
      kind: z.string().describe('`conflicting-votes` or `conflicting-proposals`'),
      memberIndex: wire.memberIndex.describe('the member that signed both'),
      height: wire.height,
      messages: wire.hexBytes('the two conflicting signed messages, encoded, as hex'),
    }),
  ),
});

export const heardFrom = z.strictObject({
  height: wire.height.describe('the height this member is deciding'),
  messages: z.array(wire.hexBytes('a consensus message, encoded, as hex')).describe('the proposals and votes the member asked about signed at that height, as this member received them'),
});

export const outputSpender = z.strictObject({
  vout: wire.uint.describe('the output spent'),
  spentBy: wire.txid.describe('the transaction that spent it'),
  input: wire.uint.describe("the spending transaction's input that names it"),
  height: wire.height.describe('the block holding the spending transaction'),
});

export const pending = z.strictObject({ txid: wire.txid, status: z.literal('pending').describe("valid and waiting in this member's mempool") });
export const transaction = z.discriminatedUnion('status', [
  pending,
  z.strictObject({
    txid: wire.txid,
    status: z
      .literal('orphan')
      .describe(
        "relayed by another member, and held by this one, which lacks an output it spends: this member is behind and has not applied the block creating it yet (or that output was spent, or never existed). Not pending here, nor relayed or proposed by this member, until it has that block; it is admitted then (it becomes `pending`), or refused; one spending an output that never existed is dropped 10 minutes after it came. The other members hold it pending",
      ),
    waitingFor: z.array(z.strictObject({ txid: wire.txid, vout: wire.uint })).describe('the outputs it spends that this member does not hold yet; empty once they all exist, until the next block retries it'),
  }),
  z.strictObject({
    txid: wire.txid,
    status: z.literal('final'),
    height: wire.height.describe('the block that holds it'),
    position: wire.uint.describe('its index in that block'),
    hex: wire.hexBytes('its canonical encoding, signatures included, as hex'),
    transaction: transactionViewSchema,
    spenders: z.array(outputSpender).describe('its outputs that final transactions have spent, by output index; an output not listed is unspent'),
  }),
]);

const submissionResult = z.discriminatedUnion('status', [pending, z.strictObject({ status: z.literal('refused'), error: wire.error })]);
export type SubmissionResult = z.infer<typeof submissionResult>;
export const submissions = z.strictObject({ results: z.array(submissionResult).describe('one per transaction sent, in order') });

export const balances = z.strictObject({
  address: z.string().describe('the address as given'),
  balances: z.array(z.strictObject({ asset: wire.assetId, amount: wire.baseUnits })).describe('one per asset it holds'),
});
