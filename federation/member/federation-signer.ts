import { Psbt, type Network } from 'bitcoinjs-lib';
import type { Logger } from 'pino';
import { decodeUnsignedBitcoinTx } from '../../sidechain/bitcoin-tx.ts';
import { sameBytes } from '../../sidechain/bytes.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import type { Ancestor } from '../../watcher/cpfp.ts';
import { sortedMultisig, type SortedMultisig } from '../../watcher/escrow.ts';
import { federationPsbt, memberCoinKey, multisigTxVsize, signFederationPsbt, verifyPartialSignature, type FederationCoin } from '../../watcher/federation-psbt.ts';
import { bitcoinNetwork } from '../../watcher/networks.ts';
import { errorFields } from '../observability/logger.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';

export class FederationSignerError extends ValidationError {}

/** A Bitcoin transaction recorded on the final chain that k members must sign. */
export interface FederationTx {
  bitcoinTxid: string;
  /** The unsigned transaction exactly as recorded. */
  bitcoinTx: Uint8Array;
  /** Per input, the coin it spends. */
  coins: FederationCoin[];
  /** What it is, for logs: "peg-out", "anchor", "fee bump". */
  what: string;
  /** This member's own last check before it signs; throws to refuse. */
  check(): Promise<void>;
}

interface OpenTx extends FederationTx {
  /** Per input, member index → DER signature with sighash byte. */
  signatures: Map<number, Uint8Array>[];
  ownPsbt?: Uint8Array;
  confirmations: number | null;
  /** When this member first saw it in its node's mempool: how long it has waited for a block. */
  pendingSinceMs?: number;
}

/**
 * Unconfirmed ancestors a transaction may have and still be relayed: Bitcoin Core's
 * limitancestorcount of 25 counts the transaction itself, and bcoin keeps the same limit. The
 * federation's chains stop one short of it, for a funding transaction no member follows.
 */
export const MAX_UNCONFIRMED_ANCESTORS = 24;

/** A recorded transaction stays watched (re-signed, re-broadcast) until this deep in Bitcoin. */
const SETTLED_DEPTH = 6;

/**
 * The dance every federation-signed Bitcoin transaction goes through, whatever it pays: once a
 * record of it is final, each member runs its own check, signs every input with its key for the
 * coin, sends its signatures to the others, keeps the ones that verify under the sender's key,
 * and with k on every input finalizes and broadcasts. Everything it signs is on the chain first,
 * so after a crash it only re-signs and re-sends the same transactions.
 */
export class FederationSigner {
  readonly escrow: SortedMultisig;
  readonly network: Network;
  private readonly open = new Map<string, OpenTx>();
  private sendSignatures: (psbt: Uint8Array) => void = () => {};

  constructor(
    private readonly genesis: Genesis,
    private readonly rpc: BitcoinRpc,
    private readonly keys: { memberIndex: number; pegPrivateKey: Uint8Array },
    private readonly log: Logger,
  ) {
    this.escrow = sortedMultisig(genesis.members.threshold, genesis.pegKeys);
    this.network = bitcoinNetwork(genesis.file.bitcoinNetwork);
  }

  /** Where this member's signatures go: every other member. */
  onSignatures(send: (psbt: Uint8Array) => void): void {
    this.sendSignatures = send;
  }

  /** A final record's transaction, to be signed and broadcast from the next tick on. */
  add(tx: FederationTx): void {
    if (this.open.has(tx.bitcoinTxid)) return;
    this.open.set(tx.bitcoinTxid, { ...tx, signatures: tx.coins.map(() => new Map()), confirmations: null });
  }

  /** Confirmations as last seen (null: not on this member's node) and since when it waits in the mempool. */
  status(bitcoinTxid: string): { confirmations: number | null; pendingSinceMs?: number } | undefined {
    const open = this.open.get(bitcoinTxid);
    return open && { confirmations: open.confirmations, ...(open.pendingSinceMs === undefined ? {} : { pendingSinceMs: open.pendingSinceMs }) };
  }

  /** Size and fee of a watched transaction, as a fee-bumping child counts it. */
  ancestor(bitcoinTxid: string): Ancestor | undefined {
    const open = this.open.get(bitcoinTxid);
    if (!open) return undefined;
    const decoded = decodeUnsignedBitcoinTx(open.bitcoinTx);
    const spent = open.coins.reduce((sum, coin) => sum + coin.value, 0n);
    const paid = decoded.outputs.reduce((sum, output) => sum + output.value, 0n);
    return { vsize: multisigTxVsize(this.escrow, decoded.inputs.length, decoded.outputs.map((output) => output.script)), fee: spent - paid };
  }

  /**
   * The not yet confirmed transactions a spend of outputs of `bitcoinTxids` pays for: they and,
   * through the coins they spend, every watched ancestor still waiting for a block, each once.
   */
  unconfirmedAncestry(...bitcoinTxids: string[]): Ancestor[] {
    return this.unconfirmedAncestorIds(bitcoinTxids).map((txid) => this.ancestor(txid)!);
  }

  /** How many transactions `unconfirmedAncestry` would give, without decoding them. */
  unconfirmedAncestorCount(...bitcoinTxids: string[]): number {
    return this.unconfirmedAncestorIds(bitcoinTxids).length;
  }

  private unconfirmedAncestorIds(bitcoinTxids: readonly string[]): string[] {
    const seen = new Set<string>();
    const pending = [...bitcoinTxids];
    while (pending.length > 0) {
      const txid = pending.pop()!;
      const open = this.open.get(txid);
      if (!open || seen.has(txid) || (open.confirmations ?? 0) > 0) continue;
      seen.add(txid);
      pending.push(...open.coins.map((coin) => coin.txid));
    }
    return [...seen];
  }

  /**
   * Whether a new transaction spending outputs of `bitcoinTxids` would be relayed: with as many
   * unconfirmed ancestors as nodes accept, it would be recorded on the chain and then refused by
   * every node until a block confirms some of them.
   */
  relayable(...bitcoinTxids: string[]): boolean {
    return this.unconfirmedAncestorCount(...bitcoinTxids) < MAX_UNCONFIRMED_ANCESTORS;
  }

  /**
   * Signatures from another member: only those over a transaction watched here, by that member's
   * key. True when they complete k signatures on every input of a transaction not yet out, so the
   * caller can broadcast it at once rather than at the next step.
   */
  receiveSignatures(from: number, bytes: Uint8Array): boolean {
    let psbt: Psbt;
    try {
      psbt = Psbt.fromBuffer(Buffer.from(bytes), { network: this.network });
    } catch {
      throw new FederationSignerError('bad-psbt', `member ${from} sent a PSBT that does not parse`);
    }
    const open = this.open.get(decodeUnsignedBitcoinTx(psbt.data.getTransaction(), 'bad-psbt').txid);
    if (!open) return false;
    const wasComplete = this.complete(open);
    this.takeSignatures(open, from, psbt);
    return !wasComplete && this.complete(open) && open.confirmations === null;
  }

  private complete(open: OpenTx): boolean {
    return open.signatures.every((signatures) => signatures.size >= this.genesis.members.threshold);
  }

  /**
   * Keeps the signatures in `psbt` that member `from` made with its own key for each coin and that
   * verify. A member sends its signatures again every step until the transaction reaches its
   * node; an input that holds a verified signature of that member needs no other, so what it sends
   * for that input again is neither rebuilt nor checked.
   */
  private takeSignatures(open: OpenTx, from: number, psbt: Psbt): void {
    const pegKey = this.genesis.pegKeys[from];
    if (!pegKey) return;
    let check: Psbt | undefined;
    open.coins.forEach((coin, index) => {
      if (open.signatures[index]!.has(from)) return;
      const expected = memberCoinKey(pegKey, coin);
      const signature = psbt.data.inputs[index]?.partialSig?.find((entry) => sameBytes(entry.pubkey, expected));
      if (!signature) return;
      check ??= federationPsbt(this.escrow, this.network, open.bitcoinTx, open.coins);
      check.updateInput(index, { partialSig: [signature] });
      if (verifyPartialSignature(check, index, expected)) open.signatures[index]!.set(from, signature.signature);
    });
  }

  /** The PSBT with every signature collected so far (k per input at most): what any BIP-174 tool can finalize. */
  combinedPsbt(bitcoinTxid: string): Psbt | undefined {
    const open = this.open.get(bitcoinTxid);
    if (!open) return undefined;
    const psbt = federationPsbt(this.escrow, this.network, open.bitcoinTx, open.coins);
    open.signatures.forEach((signatures, index) => {
      const partialSig = [...signatures.entries()]
        .sort(([a], [b]) => a - b)
        .slice(0, this.genesis.members.threshold)
        .map(([member, signature]) => ({ pubkey: memberCoinKey(this.genesis.pegKeys[member]!, open.coins[index]!), signature }));
      if (partialSig.length > 0) psbt.updateInput(index, { partialSig });
    });
    return psbt;
  }

  /** Member indexes whose signature this member holds, per input. */
  signers(bitcoinTxid: string): number[][] | undefined {
    return this.open.get(bitcoinTxid)?.signatures.map((signatures) => [...signatures.keys()].sort((a, b) => a - b));
  }

  private async signOwn(open: OpenTx): Promise<Uint8Array> {
    if (open.ownPsbt) return open.ownPsbt;
    await open.check();
    const psbt = federationPsbt(this.escrow, this.network, open.bitcoinTx, open.coins);
    signFederationPsbt(psbt, open.coins, this.keys.pegPrivateKey);
    open.ownPsbt = psbt.toBuffer();
    this.takeSignatures(open, this.keys.memberIndex, psbt);
    this.log.info({ bitcoinTxid: open.bitcoinTxid }, `signed ${open.what}`);
    return open.ownPsbt;
  }

  /**
   * One step for every transaction not yet deep in Bitcoin, in the order their records became
   * final, so a parent is always broadcast before a child that bumps it: sign it (once) and share
   * the signatures; with k on every input, finalize and broadcast to this member's node.
   */
  async tick(now = Date.now()): Promise<void> {
    for (const open of this.open.values()) {
      open.confirmations = await this.rpc.getTransactionConfirmations(open.bitcoinTxid);
      if (open.confirmations !== null && open.confirmations >= SETTLED_DEPTH) {
        this.open.delete(open.bitcoinTxid);
        continue;
      }
      if (open.confirmations === 0) open.pendingSinceMs ??= now;
      if (open.confirmations !== null) continue;
      try {
        this.sendSignatures(await this.signOwn(open));
      } catch (error) {
        this.log.error({ bitcoinTxid: open.bitcoinTxid, ...errorFields(error) }, `refusing to sign a ${open.what}`);
        continue;
      }
      if (!this.complete(open)) continue;
      const psbt = this.combinedPsbt(open.bitcoinTxid)!;
      psbt.finalizeAllInputs();
      try {
        await this.rpc.sendRawTransaction(psbt.extractTransaction().toHex());
      } catch (error) {
        // A child whose parent is not out yet waits for the next tick; the others go on.
        this.log.warn({ bitcoinTxid: open.bitcoinTxid, err: error }, `${open.what} not accepted by the Bitcoin node yet; retrying`);
        continue;
      }
      // The node took it into its mempool: what waits for it being there (the next anchor spending
      // its change) goes on now, not after the next tick has asked the node again.
      open.confirmations = 0;
      open.pendingSinceMs ??= now;
      this.log.info({ bitcoinTxid: open.bitcoinTxid }, `${open.what} broadcast`);
    }
  }
}
