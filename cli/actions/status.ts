import { memberClientFrom, type NetworkOptions } from '../member-url.ts';
import type { MemberStatus } from '../../federation/api/client.ts';
import { printResult } from '../output.ts';
import { plural } from '../../federation/words.ts';

function bitcoinLine({ height, mintingHalted, nodeError }: MemberStatus['bitcoin']): string {
  const read = height === 0 ? 'no Bitcoin block read yet' : `block ${height} read`;
  const notes = [
    ...(nodeError ? [`the member cannot ask its Bitcoin node since ${new Date(nodeError.sinceMs).toISOString()}, so it mints, pays out and anchors nothing: ${nodeError.reason}`] : []),
    ...(mintingHalted ? ['minting halted after a deep Bitcoin reorg until operators resume it (strongbox pegin resume --config <member config>)'] : []),
  ];
  return [read, ...notes].join('; ');
}

function databaseLine({ sinceMs, reason }: NonNullable<MemberStatus['database']>): string {
  return `database out of reach since ${new Date(sinceMs).toISOString()}, so the member takes no part in blocks and its height is the last it stored: ${reason}`;
}

export async function showStatus(options: NetworkOptions & { json?: boolean }): Promise<void> {
  const client = memberClientFrom(options);
  const status = await client.status();
  const peers = status.peersConnected.length === 0 ? 'no other member' : `member${status.peersConnected.length === 1 ? '' : 's'} ${status.peersConnected.join(', ')}`;
  const shortfall = await client.blockShortfall(status);
  const quorum = shortfall ? `${shortfall}: no block is made until more are back` : `${status.peersConnected.length + 1} of ${status.members.length} members reached, ${status.threshold} needed for a block`;
  printResult(
    options,
    [
      `chain    ${status.chainId}`,
      `height   ${status.height} (tip ${status.tipHash})`,
      `pending  ${plural(status.mempool, 'transaction')}`,
      `member   ${status.memberIndex}, connected to ${peers}`,
      ...(status.peersDown ?? []).map(({ memberIndex, sinceMs, reason }) => `member ${memberIndex} not linked since ${new Date(sinceMs).toISOString()}: ${reason}`),
      `quorum   ${quorum}`,
      `bitcoin  ${bitcoinLine(status.bitcoin)}`,
      ...(status.database ? [databaseLine(status.database)] : []),
    ].join('\n'),
    status,
  );
}
