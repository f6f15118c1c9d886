import type { Command } from 'commander';
import { ValidationError } from '../../sidechain/errors.ts';
import { readWalletFile } from '../../federation/wallet/wallet-file.ts';
import { buildPegout } from '../../federation/wallet/build-transfer.ts';
import { withWalletLock } from '../../federation/wallet/wallet-lock.ts';
import { addressOfScript, pegoutDestinationScript } from '../../watcher/bitcoin-address.ts';
import { refusedPegoutDestinations } from '../../watcher/federation-scripts.ts';
import { bitcoinNetwork } from '../../watcher/networks.ts';
import { MemberApiError, type MemberClient } from '../../federation/api/client.ts';
import { genesisFrom, memberClientFrom, type NetworkOptions } from '../member-url.ts';
import { printResult } from '../output.ts';
import { plural } from '../../federation/words.ts';
import { finality, submitUntilFinal, type SubmitOptions } from '../submit.ts';
import { progressLine } from '../progress.ts';
import { stderrLines } from '../stderr-line.ts';
import { withMemberDatabase } from '../member-database.ts';
import { parseAmount, parseTxid } from '../command-arguments.ts';
import { chainTransactionWords } from '../chain-transaction.ts';
import { describeAmount, describeSats } from '../asset-amount.ts';
import { BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import { ChainStore } from '../../sidechain/store/chain-store.ts';
import { decodeTransaction } from '../../sidechain/transaction/codec.ts';
import { TxKind } from '../../sidechain/transaction/types.ts';

type StatusOptions = NetworkOptions & { wait: boolean; json?: boolean };
type BurnStatus = Awaited<ReturnType<MemberClient['burnStatus']>>;

/** What the destination receives: the burn less its share of the batch's Bitcoin fee, and where. */
function describePayment(payment: Extract<BurnStatus, { status: 'settling' | 'in-bitcoin' }>): string {
  const sats = (amount: string) => describeSats(BigInt(amount));
  return `${sats(payment.paidSats)} paid to ${payment.destination ?? `the output script ${payment.destinationScript}`}, the burn of ${sats(payment.amountSats)} less a fee share of ${sats(payment.feeShareSats)}, by output ${payment.vout} of Bitcoin transaction ${payment.bitcoinTxid}`;
}

function describeBurn(status: BurnStatus): string {
  switch (status.status) {
    case 'pending':
      return 'burned, waiting for finality';
    case 'final':
      // Approved or not, a burn Bitcoin cannot carry now is not paid: the reason comes first.
      if (status.waitingBecause) return `final at height ${status.height}, not paid yet: ${status.waitingBecause}`;
      if (status.approvedHere) return `final at height ${status.height}, approved by this member's operator; paid once the operators of a quorum of members have approved it (each member knows only its own approval)`;
      if (status.heldForApproval) return `final at height ${status.height}, held by the circuit breaker (above the hourly share of the reserves) until the operators of a quorum of members approve it (strongbox pegout approve)`;
      if (status.waitingForBitcoinBlock) {
        return `final at height ${status.height}, waiting for a Bitcoin block: the federation's peg-outs waiting unconfirmed form as long a chain as Bitcoin nodes relay (on local regtest: strongbox regtest mine 1)`;
      }
      return `final at height ${status.height}, waiting for the federation's next peg-out batch`;
    case 'settling':
      return `final at height ${status.height}; ${describePayment(status)} (being signed and broadcast)`;
    case 'in-bitcoin':
      return `final at height ${status.height}; ${describePayment(status)}, with ${plural(status.confirmations, 'confirmation')}`;
  }
}

/** While `pegout status` waits: what it waits for first, as a terminal line cuts the rest. */
function waitingLine(status: BurnStatus): string {
  switch (status.status) {
    case 'settling':
      return `being signed and broadcast: Bitcoin transaction ${status.bitcoinTxid}…`;
    case 'in-bitcoin':
      // Regtest mines only when asked, which a first-time user of the local network may not know.
      return `waiting for the first Bitcoin confirmation (on local regtest: strongbox regtest mine 1) of ${status.bitcoinTxid}…`;
    default:
      return `${describeBurn(status)}…`;
  }
}

/**
 * The refusal of a txid the member knows no burn by: another transaction of the chain (a mint, a
 * transfer) is named as such, and anything else is most likely the Bitcoin transaction that paid
 * a burn, whose id `pegout status` prints beside the burn's.
 */
async function notABurn(client: MemberClient, txid: string, error: unknown): Promise<never> {
  if (!(error instanceof MemberApiError && error.status === 404)) throw error;
  const known = await chainTransactionWords(client, txid);
  const takes = '`pegout status` takes the burn transaction id that `pegout` printed ("burned in …")';
  if (known) throw new ValidationError('not-a-burn', `${txid} is ${known} on this chain, not a burn: ${takes}`);
  throw new ValidationError('not-a-burn', `no burn ${txid} on this chain: ${takes}, not the Bitcoin transaction that pays it`);
}

/** What the circuit breaker lets the federation pay out in an hour without approvals: the genesis's share of the reserves a member counts. */
async function hourlyShare(client: MemberClient, basisPoints: number): Promise<bigint> {
  return (BigInt((await client.pegoutPolicy()).reservesSats) * BigInt(basisPoints)) / 10_000n;
}

export async function pegout(options: NetworkOptions & SubmitOptions & { to?: string; amount?: string; file: string }): Promise<void> {
  if (!options.to || !options.amount) throw new ValidationError('missing-option', 'pegout needs --to <bitcoin-address> and --amount <sats>');
  const genesis = genesisFrom(options);
  const network = bitcoinNetwork(genesis.file.bitcoinNetwork);
  const destination = pegoutDestinationScript(options.to, network, genesis.file.bitcoinNetwork);
  // Named as pegout status and Bitcoin write it, whatever the case or spaces it was given with.
  const to = addressOfScript(destination, network)!;
  const refused = refusedPegoutDestinations(genesis).get(Buffer.from(destination).toString('hex'));
  if (refused !== undefined) throw new ValidationError('federation-destination', refused);
  const amount = parseAmount(options.amount, '--amount');
  const minimum = BigInt(genesis.file.pegout.minimumSats);
  if (amount < minimum) throw new ValidationError('below-minimum', `a peg-out of ${amount} sats is below the federation's minimum of ${minimum}`);
  const wallet = readWalletFile(options.file);
  const client = memberClientFrom(options);
  const submitted = await withWalletLock(options.file, async () => {
    const tx = buildPegout(genesis.chainId, wallet, await client.utxos(wallet.address), destination, amount);
    const share = await hourlyShare(client, genesis.file.pegout.circuitBreakerBasisPoints);
    if (amount > share) stderrLines.say(`note: ${amount} sats is more than the circuit breaker lets the federation pay out in an hour (${share} sats): the burn will wait until the operators of k members approve it`);
    return submitUntilFinal(client, tx, options, { done: 'burned in', rerun: 'burns as much again' });
  });
  const { txid } = submitted;
  printResult(options, `burned ${describeAmount(amount, BTC_ASSET_KEY, undefined)} for ${to}: ${txid} ${finality(submitted)}; follow it with: strongbox pegout status ${txid}`, { ...submitted, amount, to });
}

export async function pegoutStatus(txidArgument: string, own: StatusOptions, command: Command): Promise<void> {
  // Shared options may land on the parent `pegout` command; read both levels. Its --no-wait is its
  // own: commander lets the parent's values win, and the parent's --wait is the seconds a burn waits.
  const options = { ...command.optsWithGlobals<StatusOptions>(), wait: own.wait };
  const txid = parseTxid(txidArgument);
  const client = memberClientFrom(options);
  const progress = progressLine();
  for (;;) {
    const status = await client.burnStatus(txid).catch((error: unknown) => notABurn(client, txid, error));
    if (!options.wait || (status.status === 'in-bitcoin' && status.confirmations >= 1)) {
      progress.clear();
      printResult(options, `burn ${txid}: ${describeBurn(status)}`, status);
      return;
    }
    // A burn waiting for a block, or for the batch that pays it, waits as long as too few members are up: said first.
    const shortfall = status.status === 'pending' || status.status === 'final' ? await client.blockShortfall() : null;
    if (!options.json) progress.show(shortfall ? `${shortfall}: waiting for more to be back…` : waitingLine(status));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

export async function approveBurns(txidArguments: string[], _options: unknown, command: Command): Promise<void> {
  // --json may land on the parent `pegout` command; read both levels.
  const options = command.optsWithGlobals<{ config?: string; json?: boolean }>();
  const txids = txidArguments.map((txid) => parseTxid(txid));
  const newlyApproved = await withMemberDatabase(options.config, async (pool) => {
    const store = new ChainStore(pool);
    const burns = new Set((await store.burns()).map((burn) => Buffer.from(burn.txid).toString('hex')));
    const unknown = txids.filter((txid) => !burns.has(txid));
    if (unknown.length > 0) throw new ValidationError('unknown-burn', `not a final burn on this member: ${unknown.join(', ')}`);
    // A settlement already binds it to its payment: there is nothing left to approve.
    const paidBy = new Map<string, string>();
    for (const bytes of await store.transactionsOfKind(TxKind.settlement)) {
      const settlement = decodeTransaction(bytes);
      if (settlement.kind === 'settlement') for (const burn of settlement.burns) paidBy.set(Buffer.from(burn).toString('hex'), Buffer.from(settlement.bitcoinTxid).toString('hex'));
    }
    const paid = txids.filter((txid) => paidBy.has(txid));
    if (paid.length > 0) throw new ValidationError('already-settled', `nothing to approve: ${paid.map((txid) => `burn ${txid} is paid by Bitcoin transaction ${paidBy.get(txid)}`).join('; ')}`);
    return store.approveBurns(txids.map((txid) => new Uint8Array(Buffer.from(txid, 'hex'))));
  });
  const approved = [...new Set(txids)].filter((txid) => newlyApproved.has(txid));
  const alreadyApproved = [...new Set(txids)].filter((txid) => !newlyApproved.has(txid));
  const lines = [
    ...(approved.length > 0 ? [`approved ${plural(approved.length, 'burn')} on this member; each is paid once the operators of k members have approved it`] : []),
    ...(alreadyApproved.length > 0 ? [`already approved on this member, nothing changed: ${alreadyApproved.join(', ')}`] : []),
  ];
  printResult(options, lines.join('\n'), { approved, alreadyApproved });
}
