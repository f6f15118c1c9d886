import type { Network } from 'bitcoinjs-lib';
import type { Logger } from 'pino';
import { sameBytes } from '../../sidechain/bytes.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import type { LedgerReader } from '../../sidechain/ledger/index.ts';
import type { PeginBody, Transaction } from '../../sidechain/transaction/types.ts';
import { sortedMultisig, type SortedMultisig } from '../../watcher/escrow.ts';
import { depositMultisig } from '../../watcher/pegin-tweak.ts';
import { bitcoinNetwork } from '../../watcher/networks.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import { ChainFollower, followerStartAt } from '../../watcher/follower/chain-follower.ts';
import { followerTip } from '../../watcher/follower/machine.ts';
import { parseFollowerState, serializeFollowerState } from '../../watcher/follower/state-codec.ts';
import type { Deposit } from '../../watcher/deposits.ts';
import type { ConfirmedDeposit, PeginStore } from './pegin-store.ts';

/** How far below the Bitcoin tip a member with no stored position starts looking for deposits. */
const FIRST_START_LOOKBACK = 100;
/** Mints per block, so a burst of deposits cannot crowd out transfers. */
export const MAX_MINTS_PER_BLOCK = 200;
/**
 * Bitcoin spends a coinbase output only once it has 100 confirmations. A deposit a miner paid in
 * a coinbase is minted no sooner: a settlement spending it earlier is refused by every node, and
 * every peg-out after it, spending its change, waits behind it.
 */
export const COINBASE_MATURITY = 100;

export class PeginError extends ValidationError {}

/**
 * The peg-in side of one member: the escrow, deposit addresses bound to sidechain recipients,
 * the reorg-safe follower of its own Bitcoin node, the deposits that reached the confirmation
 * depth, and the check every member makes of every mint before it votes for a block.
 */
export class Pegin {
  readonly escrow: SortedMultisig;
  readonly network: Network;
  private watched = new Map<string, Uint8Array>();
  private confirmed: ConfirmedDeposit[] = [];
  private readonly reportedBelowMinimum = new Set<string>();
  /** Deposits whose mint this member's own check refused, with the Bitcoin height it was refused at: not proposed again until the next block. */
  private readonly refused = new Map<string, number>();
  private readonly reportedRefused = new Set<string>();
  /** Whether a txid is a coinbase: a fact of the transaction (a coinbase commits to its height), so asked of the node once. */
  private readonly coinbase = new Map<string, boolean>();
  private onDepositsChanged: () => void = () => {};

  private constructor(
    private readonly genesis: Genesis,
    private readonly rpc: BitcoinRpc,
    private readonly store: PeginStore,
    private readonly follower: ChainFollower,
    private readonly log: Logger,
  ) {
    this.escrow = sortedMultisig(genesis.members.threshold, genesis.pegKeys);
    this.network = bitcoinNetwork(genesis.file.bitcoinNetwork);
  }

  static async start(genesis: Genesis, rpc: BitcoinRpc, store: PeginStore, log: Logger): Promise<Pegin> {
    const confirmations = genesis.file.pegin.confirmations;
    const stored = await store.followerState();
    const state = stored ? parseFollowerState(stored) : await followerStartAt(rpc, Math.max(0, (await rpc.getBlockCount()) - FIRST_START_LOOKBACK), { confirmations });
    let pegin: Pegin | undefined;
    const follower = new ChainFollower(rpc, state, {
      watched: () => pegin!.watched,
      commit: async (next, effects) => {
        const confirmedNow: Deposit[] = [];
        const revoked: Deposit[] = [];
        for (const effect of effects) {
          if (effect.type === 'confirmed') confirmedNow.push(effect.deposit);
          if (effect.type === 'unconfirmed') revoked.push(effect.deposit);
          if (effect.type === 'deepReorg') {
            revoked.push(...effect.revoked);
            log.error({ depth: effect.depth, forkHeight: effect.forkHeight, revoked: effect.revoked.length }, 'DEEP BITCOIN REORG: minting halted until an operator acts');
          }
        }
        await store.saveFollowerStep(serializeFollowerState(next), confirmedNow, revoked);
      },
    });
    pegin = new Pegin(genesis, rpc, store, follower, log);
    pegin.watched = await store.registrations();
    pegin.confirmed = await store.confirmedDeposits();
    return pegin;
  }

  /** Called whenever deposits join or leave the confirmed set, so the proposer can mint them. */
  onConfirmedDepositsChanged(listener: () => void): void {
    this.onDepositsChanged = listener;
  }

  get halted(): boolean {
    return this.follower.state.halted;
  }

  get bitcoinHeight(): number {
    return this.follower.state.chain.at(-1)?.height ?? 0;
  }

  /** The best block hash of the Bitcoin node as the follower last read it. */
  get bitcoinTip(): string {
    return followerTip(this.follower.state).hash;
  }

  /** The deposit address for sidechain recipient R (the 33 bytes an sbx address encodes). */
  depositAddress(recipient: Uint8Array): { address: string; script: Uint8Array } {
    const multisig = depositMultisig(this.escrow, recipient);
    return { address: multisig.address(this.network), script: multisig.scriptPubKey };
  }

  /**
   * Watches the deposit addresses of a final block's mints that this member did not know: the
   * address was registered with the other members while this one was away. Later deposits there
   * are then followed here too, and a deposit's status answered.
   */
  async watchMinted(transactions: readonly Transaction[]): Promise<void> {
    for (const tx of transactions) {
      if (tx.kind === 'pegin' && !this.watched.has(Buffer.from(this.depositAddress(tx.recipient).script).toString('hex'))) await this.register(tx.recipient);
    }
  }

  /** Starts watching R's deposit address; idempotent. */
  async register(recipient: Uint8Array): Promise<string> {
    const { address, script } = this.depositAddress(recipient);
    await this.store.register(script, recipient);
    this.watched.set(Buffer.from(script).toString('hex'), recipient);
    return address;
  }

  /** Whether Bitcoin transaction `txid` is a coinbase, whose deposits need COINBASE_MATURITY confirmations. */
  async isCoinbase(txid: string): Promise<boolean> {
    let known = this.coinbase.get(txid);
    if (known === undefined) {
      known = (await this.rpc.getRawTransaction(txid)).isCoinbase();
      this.coinbase.set(txid, known);
    }
    return known;
  }

  /** A Bitcoin transaction this member's node knows, read in one call, with the confirmations a deposit in it needs. */
  private async depositTransaction(txid: string) {
    const found = await this.rpc.getTransactionAndConfirmations(txid);
    if (!found) throw new PeginError('pegin-unknown', `this member's Bitcoin node does not know transaction ${txid}`);
    return { ...found, required: requiredConfirmations(this.genesis, found.tx.isCoinbase()) };
  }

  /**
   * The state of every output of a Bitcoin transaction that pays a deposit address known to this
   * member: confirmations so far, confirmations required, and whether the ledger minted it.
   */
  async depositStatus(txid: string, ledger: LedgerReader): Promise<{ vout: number; amountSats: bigint; recipient: Uint8Array; confirmations: number; required: number; minted: boolean; belowMinimum: boolean; claimNeeded: boolean }[]> {
    const { tx, confirmations, required } = await this.depositTransaction(txid);
    const deposits = tx.outs.flatMap((out, vout) => {
      const recipient = this.watched.get(Buffer.from(out.script).toString('hex'));
      if (!recipient) return [];
      const amountSats = BigInt(out.value);
      return [{ vout, amountSats, recipient, confirmations, required, minted: ledger.isMinted(`${txid}:${vout}`), belowMinimum: !isMintable(this.genesis, amountSats) }];
    });
    const unfollowed = deposits.filter((deposit) => !deposit.minted && !deposit.belowMinimum && confirmations > 0 && !this.followed(txid, deposit.vout));
    // The tip is read after the transaction, so a block mined in between makes the payment look newer, never older, than the follower's position.
    const passed = unfollowed.length > 0 && (await this.rpc.getBlockCount()) - confirmations + 1 <= this.bitcoinHeight;
    return deposits.map((deposit) => ({ ...deposit, claimNeeded: passed && unfollowed.includes(deposit) }));
  }

  /**
   * Whether the follower recorded this deposit: confirmed, or in a block it follows toward the
   * depth. A payment in a block the follower read before the address was registered here is not
   * recorded, and the follower never reads that block again: only a claim mints it.
   */
  private followed(txid: string, vout: number): boolean {
    const matches = (deposit: { txid: string; vout: number }) => deposit.txid === txid && deposit.vout === vout;
    return this.confirmed.some(matches) || this.follower.state.chain.some((entry) => entry.deposits.some(matches));
  }

  /**
   * A deposit to a derivable address paid before the address was registered here: the follower
   * had passed its block. The claim is checked against the node at once, and one that is not a
   * deposit to the recipient's address is refused with its reason. One that is joins the deposits
   * the follower follows, however early it comes: it is minted at the depth as a watched deposit
   * is, or at once if it has it. Every member still re-checks the mint before voting.
   */
  async claim(txid: string, vout: number, recipient: Uint8Array, ledger: LedgerReader): Promise<{ confirmations: number; required: number; minted: boolean }> {
    const { tx, confirmations, required } = await this.depositTransaction(txid);
    // Claimed before, or watched all along: nothing left to claim, and the answer says so.
    if (ledger.isMinted(`${txid}:${vout}`)) return { confirmations, required, minted: true };
    const where = `mint of ${txid}:${vout}`;
    const output = tx.outs[vout];
    if (!output) throw new PeginError('pegin-unknown', `${where}: the transaction has no output ${vout}`);
    const amountSats = BigInt(output.value);
    checkDepositOutput(this.genesis, this.escrow, output, { kind: 'pegin', bitcoinTxid: new Uint8Array(Buffer.from(txid, 'hex')), bitcoinVout: vout, amount: mintAmount(this.genesis, amountSats), recipient }, where);
    if (!isMintable(this.genesis, amountSats)) throw new PeginError('pegin-minimum', `${where}: the peg-in fee of ${this.genesis.file.pegin.feeSats} sats takes all ${amountSats} sats, so it is never minted`);
    if (this.halted) throw new PeginError('pegin-halted', `${where}: minting is halted after a deep Bitcoin reorg; claim again once the operators resume it`);
    await this.register(recipient);
    // Read again now that the address is watched: a block the follower reads from here on finds the deposit itself, and one it read already is given it.
    const found = await this.rpc.getTransactionAndConfirmations(txid);
    if (!found?.blockHash) return { confirmations: found?.confirmations ?? confirmations, required, minted: false };
    // The tip is read after the transaction, so a block mined in between makes the height look newer, never older.
    const height = (await this.rpc.getBlockCount()) - found.confirmations + 1;
    const deposit: Deposit = { txid, vout, amountSats, recipient: Buffer.from(recipient).toString('hex'), scriptPubKey: Buffer.from(output.script).toString('hex'), blockHash: found.blockHash, height };
    const effects = await this.follower.claim(deposit);
    if (effects.some((effect) => effect.type === 'confirmed')) await this.reloadConfirmed();
    return { confirmations: found.confirmations, required, minted: false };
  }

  /**
   * Follows the Bitcoin node one step. While halted, it first looks for the operator's request to
   * resume: the request is taken before the follower resumes, so a crash in between leaves the
   * member halted (the safe side) rather than keeping a request for a later halt.
   */
  async poll(): Promise<void> {
    if (this.halted && (await this.store.takeResumeRequest())) {
      this.log.warn({ deepReorg: this.follower.state.deepReorg }, 'minting resumed by the operator after a deep Bitcoin reorg');
      await this.follower.resume();
      await this.reloadConfirmed();
    }
    const height = this.bitcoinHeight;
    const effects = await this.follower.sync();
    if (effects.some((effect) => effect.type === 'confirmed' || effect.type === 'unconfirmed' || effect.type === 'deepReorg')) await this.reloadConfirmed();
    // A new Bitcoin block may make a refused mint pass (a coinbase one block nearer maturity): the proposer is told to try again.
    else if (this.refused.size > 0 && this.bitcoinHeight !== height) this.onDepositsChanged();
  }

  private async reloadConfirmed(): Promise<void> {
    this.confirmed = await this.store.confirmedDeposits();
    this.onDepositsChanged();
  }

  /**
   * Mints for confirmed deposits the ledger has not minted yet, for the proposer's next block.
   * Every build and every news of work asks, and the store holds each deposit ever confirmed, so
   * those the final ledger has minted leave the list kept here: a final mint is never undone.
   */
  pendingMints(ledger: LedgerReader): Transaction[] {
    if (this.halted) return [];
    this.confirmed = this.confirmed.filter((deposit) => !ledger.isMinted(`${deposit.txid}:${deposit.vout}`));
    const mints: Transaction[] = [];
    for (const deposit of this.confirmed) {
      if (mints.length >= MAX_MINTS_PER_BLOCK) break;
      const outpoint = `${deposit.txid}:${deposit.vout}`;
      if (this.refused.has(outpoint)) {
        if (this.refused.get(outpoint) === this.bitcoinHeight) continue;
        this.refused.delete(outpoint);
      }
      if (!isMintable(this.genesis, deposit.amountSats)) {
        if (!this.reportedBelowMinimum.has(outpoint)) this.log.warn({ outpoint, amountSats: deposit.amountSats, minimum: this.genesis.file.pegin.minimumSats }, 'deposit below the peg-in minimum is not minted');
        this.reportedBelowMinimum.add(outpoint);
        continue;
      }
      const body: PeginBody = {
        kind: 'pegin',
        bitcoinTxid: new Uint8Array(Buffer.from(deposit.txid, 'hex')),
        bitcoinVout: deposit.vout,
        amount: mintAmount(this.genesis, deposit.amountSats),
        recipient: deposit.recipient,
      };
      mints.push({ ...body, witnesses: [] });
    }
    return mints;
  }

  /**
   * The mints for this member's next proposal, each first checked as every member will check it:
   * one its own node refuses (a coinbase deposit not yet mature, say) is left out, or it would sink
   * every block this member proposes, and is tried again at the node's next block.
   */
  async mintsToPropose(ledger: LedgerReader): Promise<Transaction[]> {
    // Checked side by side: the proposal waits for one round trip to the node, not one per mint.
    const checked = await Promise.all(
      this.pendingMints(ledger).map(async (mint) => {
        try {
          await this.verifyMints([mint]);
          return mint;
        } catch (error) {
          if (!(error instanceof PeginError) || mint.kind !== 'pegin') throw error;
          const outpoint = `${Buffer.from(mint.bitcoinTxid).toString('hex')}:${mint.bitcoinVout}`;
          if (!this.reportedRefused.has(outpoint)) this.log.warn({ outpoint, reason: error.message }, "deposit not minted yet: its mint does not pass this member's own check");
          this.reportedRefused.add(outpoint);
          this.refused.set(outpoint, this.bitcoinHeight);
          return undefined;
        }
      }),
    );
    return checked.filter((mint) => mint !== undefined);
  }

  hasPendingMints(ledger: LedgerReader): boolean {
    return this.pendingMints(ledger).length > 0;
  }

  /** A member's own check of every mint in a proposed block, against its own Bitcoin node. */
  async verifyMints(transactions: readonly Transaction[]): Promise<void> {
    for (const tx of transactions) {
      if (tx.kind !== 'pegin') continue;
      if (this.halted) throw new PeginError('pegin-halted', `mint of ${Buffer.from(tx.bitcoinTxid).toString('hex')}:${tx.bitcoinVout}: minting is halted after a deep Bitcoin reorg`);
      await verifyMintOnBitcoin(this.rpc, this.genesis, this.escrow, tx);
    }
  }
}

/** What a deposit of `amountSats` mints: the deposit less the fee the genesis publishes. */
export function mintAmount(genesis: Genesis, amountSats: bigint): bigint {
  return amountSats - BigInt(genesis.file.pegin.feeSats);
}

/** The confirmations a deposit needs: the genesis depth, and for one paid by a coinbase also its maturity. */
export function requiredConfirmations(genesis: Genesis, coinbase: boolean): number {
  return coinbase ? Math.max(genesis.file.pegin.confirmations, COINBASE_MATURITY) : genesis.file.pegin.confirmations;
}

/** False for a deposit below the genesis minimum, or one the fee would take whole: it is never minted. */
export function isMintable(genesis: Genesis, amountSats: bigint): boolean {
  return amountSats >= BigInt(genesis.file.pegin.minimumSats) && mintAmount(genesis, amountSats) > 0n;
}

/**
 * The check of one mint against a Bitcoin node, made by every member before it votes and by
 * auditors afterwards: the output exists, pays the deposit script derived for the named
 * recipient, is not below the minimum, carries the amount plus the published fee, and has the
 * confirmations the genesis requires (a coinbase's, at least its maturity).
 */
export async function verifyMintOnBitcoin(rpc: BitcoinRpc, genesis: Genesis, escrow: SortedMultisig, mint: PeginBody): Promise<void> {
  const txid = Buffer.from(mint.bitcoinTxid).toString('hex');
  const where = `mint of ${txid}:${mint.bitcoinVout}`;
  const found = await rpc.getTransactionAndConfirmations(txid);
  if (!found) throw new PeginError('pegin-unknown', `${where}: the Bitcoin node does not know the transaction`);
  const { tx, confirmations } = found;
  const required = requiredConfirmations(genesis, tx.isCoinbase());
  if (confirmations < required) {
    throw new PeginError('pegin-unconfirmed', `${where}: ${confirmations} confirmations, ${required} required${tx.isCoinbase() ? ' (a coinbase output is spendable only at 100)' : ''}`);
  }
  checkDepositOutput(genesis, escrow, tx.outs[mint.bitcoinVout], mint, where);
}

/**
 * What a mint's deposit output must be at any depth: there, paying the deposit script derived
 * for the named recipient, not below the minimum, carrying the amount plus the published fee.
 */
function checkDepositOutput(genesis: Genesis, escrow: SortedMultisig, output: { script: Uint8Array; value: number | bigint } | undefined, mint: PeginBody, where: string): void {
  if (!output) throw new PeginError('pegin-unknown', `${where}: the transaction has no output ${mint.bitcoinVout}`);
  const expected = depositMultisig(escrow, mint.recipient).scriptPubKey;
  if (!sameBytes(output.script, expected)) throw new PeginError('pegin-script', `${where}: the output does not pay the recipient's deposit address`);
  const value = BigInt(output.value);
  if (value < BigInt(genesis.file.pegin.minimumSats)) throw new PeginError('pegin-minimum', `${where}: ${value} sats is below the peg-in minimum of ${genesis.file.pegin.minimumSats} sats, so it is never minted`);
  if (mint.amount !== mintAmount(genesis, value)) throw new PeginError('pegin-amount', `${where}: mints ${mint.amount}, the deposit allows ${mintAmount(genesis, value)}`);
}
