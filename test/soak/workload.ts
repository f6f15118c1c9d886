import { address as bitcoinAddress, networks } from 'bitcoinjs-lib';
import { MemberApiError, type MemberClient } from '../../federation/api/client.ts';
import { issuerAuthorization } from '../../federation/roles/issuer-request.ts';
import { buildPegout, buildTransfer, inputRoom, selectCoins, type SpendableOutput } from '../../federation/wallet/build-transfer.ts';
import { acceptOffer, createOffer } from '../../federation/wallet/dvp.ts';
import { addressPayload } from '../../sidechain/address.ts';
import { BTC_ASSET_ID, BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import { dividendHolders, dividendOutputs } from '../../sidechain/ledger/dividend.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import type { DividendBody, Transaction } from '../../sidechain/transaction/types.ts';
import type { Faucet } from '../../regtest/faucet.ts';
import type { InvariantFacts } from '../helpers/invariants.ts';
import type { TestNetwork } from '../helpers/local-network.ts';
import { bitcoinDestination } from '../helpers/peg-workload.ts';
import { sleep, submitUntilFinal } from '../helpers/faults.ts';
import { issuance, type TestWallet } from '../helpers/transactions.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** What one transaction of the workload does to the wallets' balances, once final. */
interface Recorded {
  txid: string;
  what: string;
  deltas: { owner: string; asset: string; amount: bigint }[];
  final: boolean;
}

/** A tally by name, printed in the summary. */
export class Tally {
  readonly counts = new Map<string, number>();
  add(name: string, by = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + by);
  }
  get(name: string): number {
    return this.counts.get(name) ?? 0;
  }
}

/**
 * The books the workload keeps beside the chain: every transaction it submitted with what it
 * moves, and every deposit address it paid. A wallet's balance must be exactly what its own final
 * transactions and its minted deposits make it, on every member.
 */
export class Books {
  private readonly records: Recorded[] = [];
  private readonly depositOwners = new Map<string, string>();
  /** Transactions a member answered final while the workload waited for them. */
  readonly answeredFinal = new Set<string>();
  readonly wallets = new Map<string, TestWallet>();

  track(wallet: TestWallet, depositAddress: string): void {
    this.wallets.set(hex(wallet.owner), wallet);
    this.depositOwners.set(hex(bitcoinAddress.toOutputScript(depositAddress, networks.regtest)), hex(wallet.owner));
  }

  /** Records `tx` with the coins it spends; an issuance names the asset it creates. */
  record(tx: Transaction, what: string, spent: readonly { owner: Uint8Array; coin: SpendableOutput }[], issued?: Uint8Array): string {
    const txid = txInfo(tx).idHex;
    const deltas = spent.map(({ owner, coin }) => ({ owner: hex(owner), asset: coin.asset, amount: -coin.amount }));
    if ('outputs' in tx) for (const output of tx.outputs) deltas.push({ owner: hex(output.owner), asset: hex(output.asset), amount: output.amount });
    if (tx.kind === 'issuance') deltas.push({ owner: hex(tx.recipient), asset: hex(issued!), amount: tx.supply });
    this.records.push({ txid, what, deltas, final: false });
    return txid;
  }

  /** Marks the transactions final that `client` holds final; returns how many changed. */
  async refresh(client: MemberClient): Promise<number> {
    let changed = 0;
    for (const record of this.records) {
      if (record.final) continue;
      const status = await client.transaction(record.txid).catch(() => null);
      if (status?.status === 'final') {
        record.final = true;
        changed++;
      }
    }
    return changed;
  }

  /** Balances by owner and asset the books expect from the final transactions and the mints in `facts`. */
  expected(facts: InvariantFacts): Map<string, Map<string, bigint>> {
    const balances = new Map<string, Map<string, bigint>>();
    const credit = (owner: string, asset: string, amount: bigint) => {
      if (!this.wallets.has(owner)) return;
      const assets = balances.get(owner) ?? new Map<string, bigint>();
      assets.set(asset, (assets.get(asset) ?? 0n) + amount);
      balances.set(owner, assets);
    };
    for (const record of this.records) if (record.final) for (const delta of record.deltas) credit(delta.owner, delta.asset, delta.amount);
    const outputs = new Map<string, string>(facts.bitcoinTxs.flatMap((tx) => tx.outputs.map((output, vout) => [`${tx.txid}:${vout}`, output.script] as const)));
    for (const mint of facts.mints) {
      const owner = this.depositOwners.get(outputs.get(mint.outpoint) ?? '');
      if (owner) credit(owner, BTC_ASSET_KEY, mint.amount);
    }
    return balances;
  }

  /** The workload's final transactions by kind, as the chain holds them. */
  finalByKind(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const record of this.records) if (record.final) counts.set(record.what, (counts.get(record.what) ?? 0) + 1);
    return counts;
  }
}

/** A member's height as its API gives it, -1 when it does not answer within 2 s (down, paused, or busy). */
export async function heightOf(baseUrl: string): Promise<number> {
  try {
    const response = await fetch(`${baseUrl}/status`, { signal: AbortSignal.timeout(2_000) });
    return response.ok ? ((await response.json()) as { height: number }).height : -1;
  } catch {
    return -1;
  }
}

/** The client of the member at the highest height (the one that has seen the workload's latest final transactions). */
export async function clientAtTip(net: TestNetwork): Promise<MemberClient> {
  const heights = await Promise.all(net.clients.map((client) => heightOf(client.baseUrl)));
  return net.clients[heights.indexOf(Math.max(...heights))]!;
}

/**
 * One stream of the workload: a few wallets it spends from (no other lane spends them, so its
 * coin reads are its own) and an issuer that sells newly issued shares against pegged BTC and
 * pays dividends on them. Steps run one after the other: transfers, deposits, burns, DvP trades
 * and dividends.
 */
export class Lane {
  private nonce = 1n;
  private readonly sold: Uint8Array[] = [];

  constructor(
    private readonly net: TestNetwork,
    private readonly books: Books,
    private readonly tally: Tally,
    private readonly random: () => number,
    private readonly wallets: readonly TestWallet[],
    private readonly issuer: TestWallet,
    private readonly everyone: readonly TestWallet[],
    private readonly depositAddress: Map<TestWallet, string>,
    private readonly faucet: Faucet,
  ) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private sats(low: number, high: number): bigint {
    return BigInt(low + Math.floor(this.random() * (high - low)));
  }

  private async coins(wallet: TestWallet, asset = BTC_ASSET_KEY): Promise<SpendableOutput[]> {
    const client = await clientAtTip(this.net);
    return (await client.utxos(wallet.address)).filter((coin) => coin.asset === asset);
  }

  private spent(wallet: TestWallet, coins: readonly SpendableOutput[], tx: Transaction, from = 0): { owner: Uint8Array; coin: SpendableOutput }[] {
    if (!('inputs' in tx)) return [];
    return tx.inputs.slice(from).map((input) => ({ owner: wallet.owner, coin: coins.find((coin) => coin.txid === hex(input.txid) && coin.vout === input.index)! }));
  }

  /**
   * Submits until final. One not final within two minutes (refused meanwhile, say for a coin read
   * from a member behind, or still waiting) is tallied with the last answer it got, and the books
   * find out at the next checkpoint whether it became final after all.
   */
  private async submit(what: string, tx: Transaction, spent: { owner: Uint8Array; coin: SpendableOutput }[], issued?: Uint8Array): Promise<boolean> {
    this.books.record(tx, what, spent, issued);
    try {
      this.books.answeredFinal.add(await submitUntilFinal(this.net, tx, this.random, 120_000));
      this.tally.add(`${what} final`);
      return true;
    } catch (error) {
      const answer = String(error).split(' final: ')[1]?.slice(0, 160) ?? 'no answer';
      this.tally.add(`${what} not final within 2 min (${answer})`);
      return false;
    }
  }

  async step(): Promise<void> {
    const roll = this.random();
    if (roll < 0.4) return this.transfer();
    if (roll < 0.55) return this.deposit();
    if (roll < 0.75) return this.burn();
    if (roll < 0.9) return this.trade();
    return this.dividend();
  }

  private async transfer(): Promise<void> {
    const from = this.pick(this.wallets);
    const to = this.pick(this.everyone.filter((wallet) => wallet !== from));
    const amount = this.sats(1_000, 60_000);
    const coins = await this.coins(from);
    if (coins.reduce((sum, coin) => sum + coin.amount, 0n) < amount) return this.tally.add('transfer skipped (funds)');
    const tx = buildTransfer(this.net.genesis.chainId, from, coins, BTC_ASSET_ID, to.owner, amount);
    await this.submit('transfer', tx, this.spent(from, coins, tx));
  }

  private async deposit(): Promise<void> {
    const wallet = this.pick(this.wallets);
    await this.faucet.fund(this.depositAddress.get(wallet)!, this.sats(20_000, 300_000));
    this.tally.add('deposit paid on Bitcoin');
  }

  private async burn(): Promise<void> {
    const wallet = this.pick(this.wallets);
    const amount = this.sats(12_000, 80_000);
    const coins = await this.coins(wallet);
    if (coins.reduce((sum, coin) => sum + coin.amount, 0n) < amount) return this.tally.add('burn skipped (funds)');
    const tx = buildPegout(this.net.genesis.chainId, wallet, coins, bitcoinDestination().script, amount);
    await this.submit('burn', tx, this.spent(wallet, coins, tx));
  }

  /** The issuer issues 100 shares of a new security and sells them whole to one of the lane's wallets. */
  private async trade(): Promise<void> {
    const buyer = this.pick(this.wallets);
    const price = this.sats(5_000, 50_000);
    const buyerCoins = await this.coins(buyer);
    if (buyerCoins.reduce((sum, coin) => sum + coin.amount, 0n) < price) return this.tally.add('DvP skipped (funds)');
    const issued = issuance(this.net.genesis.chainId, this.issuer, 100n, this.nonce++);
    if (!(await this.submit('issuance', issued.tx, [], issued.asset))) return;
    const asset = hex(issued.asset);
    const coin = { txid: txInfo(issued.tx).idHex, vout: 0, asset, amount: 100n };
    const offer = createOffer(this.net.genesis.chainId, this.issuer, coin, { asset: BTC_ASSET_ID, amount: price }, 0xffffffff);
    const swap = acceptOffer(this.net.genesis.chainId, offer, { owner: this.issuer.owner, asset, amount: 100n }, buyer, selectCoins(buyerCoins, BTC_ASSET_ID, price));
    if (await this.submit('DvP', swap, [{ owner: this.issuer.owner, coin }, ...this.spent(buyer, buyerCoins, swap, 1)])) this.sold.push(issued.asset);
  }

  /** A dividend on a security sold earlier, at the tip's height, split among its holders by the register. */
  private async dividend(): Promise<void> {
    if (this.sold.length === 0) return this.trade();
    const asset = this.pick(this.sold);
    const client = await clientAtTip(this.net);
    const recordHeight = (await client.status()).height;
    const register = await client.holders(hex(asset), issuerAuthorization(this.net.genesis.chainId, asset, this.issuer.keys.seed, Date.now()), recordHeight);
    const owed = dividendHolders(
      register.holders.map((holder) => {
        const owner = addressPayload(holder.address);
        return { owner, ownerKey: hex(owner), amount: holder.amount };
      }),
      this.issuer.keys.publicKey,
    );
    if (owed.length === 0) return this.tally.add('dividend skipped (no holders)');
    const total = this.sats(1_000, 20_000);
    const outputs = dividendOutputs(total, owed);
    const coins = await this.coins(this.issuer);
    if (coins.reduce((sum, coin) => sum + coin.amount, 0n) < total) return this.tally.add('dividend skipped (funds)');
    const room = inputRoom({ kind: 'dividend', asset, recordHeight, inputs: [], outputs: [...outputs, { owner: this.issuer.owner, asset: BTC_ASSET_ID, amount: 1n }], witnesses: [] });
    const { inputs, change } = selectCoins(coins, BTC_ASSET_ID, total, { room });
    if (change > 0n) outputs.push({ owner: this.issuer.owner, asset: BTC_ASSET_ID, amount: change });
    const body: DividendBody = { kind: 'dividend', asset, recordHeight, inputs, outputs };
    const tx: Transaction = { ...body, witnesses: inputs.map((_, inputIndex) => keyWitness(this.net.genesis.chainId, body, this.issuer.keys.seed, { inputIndex })) };
    await this.submit('dividend', tx, this.spent(this.issuer, coins, tx));
  }

  /** Runs steps until `running()` is false, each through `gate` so a checkpoint can hold the lane between steps. */
  async run(running: () => boolean, gate: { step(work: () => Promise<unknown>): Promise<void> }): Promise<void> {
    while (running()) {
      await gate.step(async () => {
        try {
          await this.step();
        } catch (error) {
          // A coin read or a register read from a member going away: the step is skipped, not the run.
          this.tally.add(`step failed (${error instanceof MemberApiError ? error.code : (error as Error).name})`);
        }
      });
      await sleep(this.random() * 500);
    }
  }
}
