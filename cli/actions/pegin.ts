import { existsSync } from 'node:fs';
import { addressPayload, looksLikeBitcoin } from '../../sidechain/address.ts';
import { ConfigError, StrongboxError, ValidationError } from '../../sidechain/errors.ts';
import { sortedMultisig } from '../../watcher/escrow.ts';
import { depositMultisig } from '../../watcher/pegin-tweak.ts';
import { bitcoinNetwork } from '../../watcher/networks.ts';
import { MemberApiError, MemberClient } from '../../federation/api/client.ts';
import { defaultDataDir, networkFilePath, readNetworkFile } from '../../federation/local-network/network-file.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import { readGenesisFile } from '../../federation/genesis-file.ts';
import { genesisFrom, listedMemberUrls, localNetworkDown, memberClientFrom, memberClientOf, type NetworkOptions } from '../member-url.ts';
import { printResult } from '../output.ts';
import { plural } from '../../federation/words.ts';
import { progressLine } from '../progress.ts';
import { stderrLines } from '../stderr-line.ts';
import { withMemberDatabase } from '../member-database.ts';
import { PeginStore } from '../../federation/member/pegin-store.ts';
import { parseFollowerState } from '../../watcher/follower/state-codec.ts';
import type { DeepReorg } from '../../watcher/follower/machine.ts';
import { parseAddress, parseTxid } from '../command-arguments.ts';
import { chainTransactionWords } from '../chain-transaction.ts';
import { describeSats } from '../asset-amount.ts';

/**
 * The members to register with: --member, the local network's, the API addresses the genesis
 * lists, then $STRONGBOX_MEMBER_URL. Every member that will mint must watch the address, so a
 * list of all of them comes before the one member other commands talk to.
 */
function membersFrom(options: { member?: string[]; dataDir?: string }, genesisOf: () => Genesis | undefined): MemberClient[] {
  if (options.member) return options.member.map((url) => memberClientOf(url));
  const local = options.dataDir ?? defaultDataDir();
  if (existsSync(networkFilePath(local))) return readNetworkFile(local).members.map((member) => memberClientOf(member.apiUrl, { noneAnswered: localNetworkDown(local) }));
  const genesis = genesisOf();
  const listed = genesis ? listedMemberUrls(genesis) : [];
  if (listed.length > 0) return listed.map((url) => memberClientOf(url));
  const given = process.env.STRONGBOX_MEMBER_URL;
  if (given) return [memberClientOf(given)];
  throw new ConfigError(
    '--member',
    `no member to ask: no local network at ${local}, and ${genesis ? 'the genesis lists no member API addresses' : 'no genesis file given (--genesis) to list them'}; name the members with --member <url...>`,
  );
}

/**
 * Asks every member the same; a member out of reach is passed over, said on stderr with the
 * command that asks it later (`again`, to which its --member is added), as long as k (the members
 * a mint needs, from a member's /status) answered. Refusals still fail.
 */
async function askEnoughMembers<T>(clients: MemberClient[], what: string, again: string, ask: (client: MemberClient) => Promise<T>): Promise<T[]> {
  type Outcome = { client: MemberClient; value: T } | { client: MemberClient; error: MemberApiError };
  const outcomes = await Promise.all(
    clients.map((client): Promise<Outcome> =>
      ask(client).then(
        (value) => ({ client, value }),
        (error: unknown) => {
          if (error instanceof MemberApiError && error.code === 'member-unreachable' && clients.length > 1) return { client, error };
          throw error;
        },
      ),
    ),
  );
  const answered = outcomes.flatMap((outcome) => ('value' in outcome ? [outcome] : []));
  const unreachable = outcomes.flatMap((outcome) => ('error' in outcome ? [outcome] : []));
  if (unreachable.length === 0) return answered.map((outcome) => outcome.value);
  if (answered.length === 0) throw unreachable[0]!.error;
  const needed = (await answered[0]!.client.status()).threshold;
  const away = unreachable.map((outcome) => outcome.client.baseUrl).join(' ');
  if (answered.length < needed) {
    throw new StrongboxError('members-unreachable', `could not ${what} with enough members: ${answered.length} did and a mint needs ${needed}; out of reach: ${away}. Try again once they are back`);
  }
  stderrLines.say(`could not ${what} with ${away} (out of reach); ${answered.length} members did, and a mint needs ${needed}. Once ${unreachable.length === 1 ? 'it is' : 'they are'} back: ${again} --member ${away}`);
  return answered.map((outcome) => outcome.value);
}

/** The refusal of a txid the member's Bitcoin node does not know: one of the sidechain's own (a mint's, most likely) is named as such. */
async function notABitcoinTransaction(client: MemberClient, txid: string, error: unknown): Promise<never> {
  if (!(error instanceof MemberApiError && error.code === 'pegin-unknown')) throw error;
  const known = await chainTransactionWords(client, txid);
  if (known) throw new ValidationError('not-a-deposit', `${txid} is ${known} on the sidechain, not a Bitcoin transaction: \`pegin status\` takes the Bitcoin transaction that paid the deposit address (the txid \`regtest fund\` printed)`);
  throw error;
}

/**
 * The refusal of a Bitcoin transaction that pays no watched deposit address. One the federation
 * wrote itself (a peg-out payment, which pays its change to the escrow, or an anchor) is named as
 * such: a claim, the way out for an unwatched deposit, would only be refused for it.
 */
async function notADeposit(client: MemberClient, txid: string): Promise<ValidationError> {
  const record = await client.bitcoinRecord(txid).catch((error: unknown) => {
    if (error instanceof MemberApiError && error.status === 404) return undefined;
    throw error;
  });
  if (record?.kind === 'settlement') {
    return new ValidationError('not-a-deposit', `${txid} is the federation's payment of peg-outs, recorded on the sidechain by settlement ${record.txid} at height ${record.height}, not a deposit: \`strongbox pegout status <burn txid>\` follows a peg-out`);
  }
  if (record?.kind === 'anchor') {
    return new ValidationError('not-a-deposit', `${txid} is the federation's anchor of the chain, recorded on the sidechain by ${record.txid} at height ${record.height}, not a deposit: \`strongbox anchors\` lists the anchors`);
  }
  return new ValidationError('not-a-deposit', `${txid} pays no deposit address this member watches: a payment to an address from \`pegin-address --offline\` is minted once claimed (strongbox pegin claim ${txid}:<output index> --to <the sbx1… address>)`);
}

export async function peginAddress(recipientArgument: string, options: Omit<NetworkOptions, 'member'> & { member?: string[]; offline?: boolean; json?: boolean }): Promise<void> {
  if (looksLikeBitcoin(recipientArgument)) {
    throw new ValidationError('bad-address', `${recipientArgument} is a Bitcoin address: pegin-address takes the Strongbox address (sbx1…) that receives the pegged BTC, and prints the Bitcoin address to send BTC to`);
  }
  const recipient = parseAddress(recipientArgument);
  const payload = addressPayload(recipient);
  const genesis = genesisFrom({ genesis: options.genesis, dataDir: options.dataDir, member: options.member?.[0] });
  // Derived here from public data alone, so no member has to be trusted for it.
  const escrow = sortedMultisig(genesis.members.threshold, genesis.pegKeys);
  const depositAddress = depositMultisig(escrow, payload).address(bitcoinNetwork(genesis.file.bitcoinNetwork));
  const registered = options.offline
    ? []
    : await askEnoughMembers(membersFrom(options, () => genesis), 'register the deposit address', `strongbox pegin-address ${recipient}`, async (client) => {
        const answer = await client.registerDepositAddress(recipient);
        if (answer !== depositAddress) throw new StrongboxError('pegin-mismatch', `member ${client.baseUrl} derived ${answer}, not ${depositAddress}: do not use it`);
        return client.baseUrl;
      });
  const confirmations = genesis.file.pegin.confirmations;
  // Members watch only the addresses registered with them: a payment to this one waits for a claim.
  const whoWatches = options.offline
    ? `\nregistered with no member (--offline): register it before paying it (strongbox pegin-address ${recipient}); a payment made before that is minted only once claimed (strongbox pegin claim <bitcoin txid>:<output index> --to ${recipient})`
    : `\nregistered with ${plural(registered.length, 'member')}`;
  printResult(
    options,
    `${depositAddress}\nsend BTC there; ${recipient} receives it minus ${genesis.file.pegin.feeSats} sats fee after ${plural(confirmations, 'confirmation')} (a deposit below ${genesis.file.pegin.minimumSats} sats is never minted)${whoWatches}`,
    { recipient, depositAddress, confirmations, feeSats: genesis.file.pegin.feeSats, minimumSats: genesis.file.pegin.minimumSats, registeredWith: registered },
  );
}

export async function peginStatus(txidArgument: string, options: { member?: string[]; dataDir?: string; wait: boolean; json?: boolean }): Promise<void> {
  const txid = parseTxid(txidArgument);
  const client = memberClientFrom({ member: options.member?.[0], dataDir: options.dataDir });
  const progress = progressLine();
  for (;;) {
    const { deposits, minimumSats } = await client.depositStatus(txid).catch((error: unknown) => notABitcoinTransaction(client, txid, error));
    if (deposits.length === 0) throw await notADeposit(client, txid);
    // A deposit below the minimum is never minted, and one the members never saw only once claimed: waiting for either would wait forever.
    const done = deposits.every((deposit) => deposit.minted || deposit.belowMinimum || deposit.claimNeeded);
    if (done || !options.wait) {
      progress.clear();
      const claim = (d: (typeof deposits)[number]) =>
        `paid before its deposit address was registered with this member, which had already read its block: it is minted once claimed (strongbox pegin claim ${txid}:${d.vout} --to ${d.recipient})`;
      const outcome = (d: (typeof deposits)[number]) =>
        d.minted ? `minted${d.mintedIn ? ` in ${d.mintedIn.txid} at height ${d.mintedIn.height}` : ''}` : d.belowMinimum ? `below the peg-in minimum of ${minimumSats} sats: it is not minted` : d.claimNeeded ? claim(d) : 'not minted yet';
      const lines = deposits.map((d) => `output ${d.vout}: ${describeSats(BigInt(d.amountSats))} for ${d.recipient}, ${plural(d.confirmations, 'confirmation')} (${d.required} needed), ${outcome(d)}`);
      printResult(options, lines.join('\n'), { txid, minimumSats, deposits });
      return;
    }
    // A mint is made in a block: while too few members are up to make one, that is said first.
    const shortfall = await client.blockShortfall();
    const depth = deposits.filter((d) => !d.belowMinimum && !d.claimNeeded).map((d) => `output ${d.vout}: ${plural(Math.min(d.confirmations, d.required), 'confirmation')} of ${d.required}`);
    if (!options.json) progress.show(`${depth.join(', ')}, waiting for the mint${shortfall ? `, but ${shortfall}: no block is made until more are back` : ''}…`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

export async function claimDeposit(outpointArgument: string, options: { to: string; member?: string[]; genesis?: string; dataDir?: string; json?: boolean }): Promise<void> {
  // Its txid in either case, as pegin status takes one; echoed in lowercase, as Bitcoin writes it.
  const outpoint = outpointArgument.toLowerCase();
  const match = /^([0-9a-f]{64}):(\d{1,6})$/.exec(outpoint);
  if (!match) {
    throw new ValidationError('bad-outpoint', `the deposit must be given as <bitcoin txid>:<output index> (the position of the payment in the transaction; 0 for regtest fund), got ${JSON.stringify(outpointArgument)}`);
  }
  const recipient = parseAddress(options.to);
  const claim = (client: MemberClient) =>
    client.claimDeposit(match[1]!, Number(match[2]), recipient).catch((error: unknown) => {
      // The member says only that the script differs: the user has a wrong --to or a wrong output index.
      if (!(error instanceof MemberApiError && error.code === 'pegin-script')) throw error;
      throw new ValidationError('pegin-script', `output ${outpoint} does not pay the deposit address of ${recipient}: check --to and the output index (\`strongbox pegin-address ${recipient} --offline\` prints that address)`);
    });
  const genesisFile = options.genesis ?? process.env.STRONGBOX_GENESIS_FILE;
  const answers = await askEnoughMembers(
    membersFrom(options, () => (genesisFile === undefined ? undefined : readGenesisFile(genesisFile, '--genesis'))),
    'claim the deposit',
    `strongbox pegin claim ${outpoint} --to ${recipient}`,
    claim,
  );
  const { confirmations, required } = answers[0]!;
  if (answers.some((answer) => answer.minted)) {
    printResult(options, `${outpoint} is already minted: nothing to claim`, { outpoint, confirmations, required, claimed: false, minted: true });
    return;
  }
  // A member follows a claimed deposit to its depth and mints it there, so an early claim needs no second one.
  const ready = confirmations >= required;
  printResult(
    options,
    `claimed by ${plural(answers.length, 'member')}; ${ready ? 'the mint follows in the next block' : `the deposit has ${plural(confirmations, 'confirmation')} and is minted once it has ${required}`} (strongbox pegin status ${match[1]} follows it)`,
    { outpoint, confirmations, required, claimed: true, minted: false },
  );
}

/** The deep reorg that halted minting, as `pegin resume` says it: its depth and fork height, or that they lie below what the member remembers. */
export function reorgLine(reorg: Pick<DeepReorg, 'depth' | 'forkHeight'> | null | undefined): string {
  if (!reorg || reorg.depth === null) return 'the reorg: its fork lies below every Bitcoin block this member remembers, so its depth and fork height are unknown';
  return `the reorg: ${plural(reorg.depth, 'block')} deep, fork at height ${reorg.forkHeight ?? 'unknown'}`;
}

export async function resumeMinting(options: { config?: string; json?: boolean }): Promise<void> {
  const reorg = await withMemberDatabase(options.config, async (pool) => {
    const store = new PeginStore(pool);
    const stored = await store.followerState();
    const state = stored === null ? null : parseFollowerState(stored);
    if (!state?.halted) throw new ValidationError('not-halted', 'minting is not halted on this member; nothing to resume');
    await store.requestResume();
    return state.deepReorg;
  });
  const revoked = reorg?.revoked.map((deposit) => ({ outpoint: `${deposit.txid}:${deposit.vout}`, amountSats: deposit.amountSats })) ?? [];
  printResult(
    options,
    [
      `resume requested; the member resumes minting at its next Bitcoin poll`,
      reorgLine(reorg),
      ...revoked.map((d) => `revoked deposit (its mint may be unbacked): ${d.outpoint}, ${d.amountSats} sats`),
    ].join('\n'),
    { requested: true, depth: reorg?.depth ?? null, forkHeight: reorg?.forkHeight ?? null, revoked },
  );
}
