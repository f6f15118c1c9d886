import type { Genesis } from '../../sidechain/genesis.ts';
import type { LedgerReader } from '../../sidechain/ledger/index.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { confirmationsAt } from '../../watcher/follower/machine.ts';
import { parseFollowerState } from '../../watcher/follower/state-codec.ts';
import { COINBASE_MATURITY, isMintable, mintAmount, requiredConfirmations } from './pegin.ts';
import type { PeginStore } from './pegin-store.ts';

/**
 * Where a deposit stands: gaining confirmations, deep enough and queued for its mint, minted, or
 * never to be minted (below the genesis minimum, or all of it the fee), which its amount decides
 * from its first confirmation: counting such a deposit's confirmations would promise a mint.
 */
export const DEPOSIT_STATES = ['confirming', 'confirmed', 'minted', 'below-minimum'] as const;
export type DepositState = (typeof DEPOSIT_STATES)[number];

export interface DepositView {
  txid: string;
  vout: number;
  amountSats: bigint;
  /** The recipient's owner payload (R). */
  recipient: Uint8Array;
  bitcoinHeight: number;
  confirmations: number;
  required: number;
  state: DepositState;
  /** The sidechain transaction that mints it; its id is known before it exists, as mints carry no signature. Null when it is never minted. */
  mintTxid: string | null;
}

function mintTxid(genesis: Genesis, deposit: { txid: string; vout: number; amountSats: bigint; recipient: Uint8Array }): string {
  return txInfo({
    kind: 'pegin',
    bitcoinTxid: new Uint8Array(Buffer.from(deposit.txid, 'hex')),
    bitcoinVout: deposit.vout,
    amount: mintAmount(genesis, deposit.amountSats),
    recipient: deposit.recipient,
    witnesses: [],
  }).idHex;
}

/**
 * Every deposit a member knows, newest first, read from what its peg-in follower has committed
 * to its database: deposits in blocks still below the depth, and deposits that reached it with
 * whether the ledger has minted them. Deposits a reorg removed are in neither.
 *
 * A deposit paid by a coinbase needs COINBASE_MATURITY confirmations, not the genesis depth, and
 * neither record says whether a deposit is one: `isCoinbase` asks the Bitcoin node. It is asked
 * only of deposits still waiting for their mint with fewer confirmations than that, the only
 * ones whose state and required confirmations the answer changes; asking of every deposit ever
 * made, each time the list is read (the explorer reads it every two seconds), would cost a node
 * lookup per deposit. Every other row shows the genesis depth: a minted deposit has what its
 * mint needed, and one with COINBASE_MATURITY confirmations has what either rule asks.
 */
export async function listDeposits(store: PeginStore, genesis: Genesis, ledger: LedgerReader, isCoinbase: (txid: string) => Promise<boolean>): Promise<DepositView[]> {
  const stored = await store.followerState();
  if (!stored) return [];
  const follower = parseFollowerState(stored);
  const confirming = follower.chain
    .filter((entry) => !entry.settled)
    .flatMap((entry) => entry.deposits.map((deposit) => ({ ...deposit, recipient: new Uint8Array(Buffer.from(deposit.recipient, 'hex')) })));
  const confirmed = await store.confirmedDeposits();
  // The two reads are not one snapshot: a follower step between them shows a deposit in both, and
  // a member whose follower lags sees the federation's mint before its own confirmation. So each
  // outpoint appears once, the confirmed record wins, and the ledger decides what is minted.
  const byOutpoint = new Map<string, { deposit: (typeof confirmed)[number]; deep: boolean }>();
  for (const deposit of confirming) byOutpoint.set(`${deposit.txid}:${deposit.vout}`, { deposit, deep: false });
  for (const deposit of confirmed) byOutpoint.set(`${deposit.txid}:${deposit.vout}`, { deposit, deep: true });
  const views = await Promise.all(
    [...byOutpoint].map(async ([outpoint, { deposit, deep }]): Promise<DepositView> => {
      const mintable = isMintable(genesis, deposit.amountSats);
      const minted = ledger.isMinted(outpoint);
      const confirmations = confirmationsAt(follower, deposit.height);
      const coinbase = !minted && mintable && confirmations < COINBASE_MATURITY && (await isCoinbase(deposit.txid));
      return {
        txid: deposit.txid,
        vout: deposit.vout,
        amountSats: deposit.amountSats,
        recipient: deposit.recipient,
        bitcoinHeight: deposit.height,
        confirmations,
        required: requiredConfirmations(genesis, coinbase),
        // A coinbase asked about is short of its maturity: confirming, though deep by the genesis depth.
        state: minted ? 'minted' : !mintable ? 'below-minimum' : deep && !coinbase ? 'confirmed' : 'confirming',
        mintTxid: mintable ? mintTxid(genesis, deposit) : null,
      };
    }),
  );
  return views.sort((a, b) => b.bitcoinHeight - a.bitcoinHeight || a.txid.localeCompare(b.txid) || a.vout - b.vout);
}

/** How many deposits are in each state, and their satoshis. */
export function depositTotals(deposits: readonly DepositView[]): Record<DepositState, { count: number; sats: bigint }> {
  const totals = Object.fromEntries(DEPOSIT_STATES.map((state) => [state, { count: 0, sats: 0n }])) as Record<DepositState, { count: number; sats: bigint }>;
  for (const deposit of deposits) {
    totals[deposit.state].count += 1;
    totals[deposit.state].sats += deposit.amountSats;
  }
  return totals;
}
