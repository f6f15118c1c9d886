import { MemberApiError, orphanReason } from '../../federation/api/client.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { decodeTransaction } from '../../sidechain/transaction/codec.ts';
import { parseTxid } from '../command-arguments.ts';
import { memberClientFrom, type NetworkOptions } from '../member-url.ts';
import { printResult } from '../output.ts';

export async function showTransaction(txidArgument: string, options: NetworkOptions & { json?: boolean }): Promise<void> {
  const txid = parseTxid(txidArgument);
  const client = memberClientFrom(options);
  // One the member dropped (invalid since) is refused with the member's reason, as it stands.
  const known = await client.transaction(txid).catch(async (error: unknown) => {
    if (!(error instanceof MemberApiError && error.status === 404 && error.code !== 'dropped')) throw error;
    // The id of a Bitcoin transaction (a deposit's, a peg-out payment's) is no sidechain one: said so, with what follows it.
    if (await client.depositStatus(txid).then(() => true, () => false)) {
      throw new ValidationError('unknown-transaction', `${txid} is a Bitcoin transaction, not one of the sidechain's: \`strongbox pegin status ${txid}\` follows a deposit it pays, and a peg-out is followed by its burn (\`strongbox pegout status <burn txid>\`)`);
    }
    throw new ValidationError('unknown-transaction', `member at ${client.baseUrl} does not know transaction ${txid}: it never took it (not received, or refused), or it restarted since, which empties its pending transactions (another member may hold it)`);
  });
  if (known.status === 'final') {
    const { kind } = decodeTransaction(new Uint8Array(Buffer.from(known.hex!, 'hex')));
    printResult(options, `${txid}: final at height ${known.height}, a transaction of kind ${kind}`, known);
    return;
  }
  if (known.status === 'orphan') {
    printResult(options, `${txid}: not final; ${orphanReason(client.baseUrl, known.waitingFor ?? [])} (\`strongbox tx ${txid} --member <another member>\` asks one of them)`, known);
    return;
  }
  // A pending transaction waits as long as too few members are up to make blocks: said with it.
  const shortfall = await client.blockShortfall();
  printResult(options, `${txid}: pending, waiting for its block${shortfall ? `, but ${shortfall}; blocks resume once enough of them are back (\`strongbox status\` shows which)` : ''}`, known);
}
