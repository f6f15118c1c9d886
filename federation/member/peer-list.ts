import { ConfigError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import type { MemberConfig } from '../config.ts';

/**
 * The config's peers are every other member of the genesis, once each. A member dials those of
 * higher index and catches up from any of them, so one left out is never linked or asked, and an
 * entry for a member the genesis does not have (or for this member itself) is a list written for
 * another federation or another seat: refused at start, before anything is opened, naming the entry.
 */
export function assertPeersOfGenesis(config: Pick<MemberConfig, 'memberIndex' | 'peers'>, genesis: Genesis): void {
  const members = genesis.file.members;
  const listed = new Set<number>();
  config.peers.forEach(({ memberIndex }, position) => {
    const field = `peers[${position}].memberIndex`;
    if (memberIndex === config.memberIndex) throw new ConfigError(field, `${memberIndex} is this member's own index (memberIndex): peers lists the other members`);
    if (memberIndex >= members.length) throw new ConfigError(field, `the genesis has no member ${memberIndex}: its ${members.length} members are 0 to ${members.length - 1}`);
    if (listed.has(memberIndex)) throw new ConfigError(field, `member ${memberIndex} is listed twice`);
    listed.add(memberIndex);
  });
  const missing = members.flatMap((member, index) => (index === config.memberIndex || listed.has(index) ? [] : [`${index} (${member.name})`]));
  if (missing.length > 0) {
    throw new ConfigError('peers', `no entry for member ${missing.join(', ')} of the genesis: list every other member with its peer URL (url) and API URL (apiUrl)`);
  }
}
