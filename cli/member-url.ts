import { existsSync } from 'node:fs';
import { defaultDataDir, networkFilePath, readNetworkFile } from '../federation/local-network/network-file.ts';
import { MemberClient, type MemberClientOptions } from '../federation/api/client.ts';
import type { Genesis } from '../sidechain/genesis.ts';
import { readGenesisFile } from '../federation/genesis-file.ts';
import { ConfigError } from '../sidechain/errors.ts';
import { EXPLORER_PATH } from '../federation/explorer/path.ts';
import { stderrLines } from './stderr-line.ts';
import { requestTimeoutMs } from './request-timeout.ts';

export interface NetworkOptions {
  member?: string;
  genesis?: string;
  dataDir?: string;
}

/** A client of the members at `urls` that waits for an answer as long as this command's request timeout says. */
export function memberClientOf(urls: string | readonly string[], options: Omit<MemberClientOptions, 'requestTimeoutMs'> = {}): MemberClient {
  return new MemberClient(urls, { ...options, requestTimeoutMs: requestTimeoutMs() });
}

/**
 * The member to talk to: --member, then $STRONGBOX_MEMBER_URL, then the local network's members,
 * then, with no local network, the members the genesis file (--genesis, $STRONGBOX_GENESIS_FILE)
 * lists: the first that accepts a connection (said on stderr, in one line, when it is not the first).
 */
export function memberClientFrom(options: NetworkOptions): MemberClient {
  const given = options.member ?? process.env.STRONGBOX_MEMBER_URL;
  if (given) return memberClientOf(memberApiUrl(given));
  const local = options.dataDir ?? defaultDataDir();
  const onFailover = (down: readonly string[], answering: string) => stderrLines.say(`${down.length === 1 ? `member at ${down[0]} is` : `members at ${down.join(', ')} are`} unreachable; ${answering} answered instead`);
  // A member's operator or a user of a federation run by hand has its genesis, whose members may
  // list their API addresses: what the refusal below offers (a genesis with --genesis) is enough.
  const genesisFile = options.genesis ?? process.env.STRONGBOX_GENESIS_FILE;
  if (genesisFile !== undefined && !existsSync(networkFilePath(local))) {
    const listed = listedMemberUrls(readGenesisFile(genesisFile, '--genesis')).map(memberApiUrl);
    if (listed.length === 0) throw new ConfigError('--member', `no member API URL given, and the genesis ${genesisFile} lists none: name a member with --member or STRONGBOX_MEMBER_URL`);
    return memberClientOf(listed, { onFailover, noneAnswered: `are the members the genesis ${genesisFile} lists running?` });
  }
  const urls = readNetworkFile(local).members.map((member) => memberApiUrl(member.apiUrl));
  if (urls.length === 0) throw new ConfigError('--member', 'no member API URL given and the local network has no members');
  return memberClientOf(urls, { onFailover, noneAnswered: localNetworkDown(local) });
}

/** What to do when no member of the local network in `dataDir` answers. */
export function localNetworkDown(dataDir: string): string {
  return `is the local network in ${dataDir} running? (\`strongbox up\` starts it)`;
}

/**
 * Every member API address known besides the one given: the local network's members (when no
 * member is given), and those the genesis file lists. For asking tips, never for trusting data.
 */
export function knownMemberUrls(options: NetworkOptions, genesis: Genesis): string[] {
  const given = options.member ?? process.env.STRONGBOX_MEMBER_URL;
  const local = given ? [] : readNetworkFile(options.dataDir ?? defaultDataDir()).members.map((member) => member.apiUrl);
  return [...new Set([...local, ...listedMemberUrls(genesis)].map((url) => url.replace(/\/$/, '')))];
}

/** The member API addresses the genesis file lists (a member may list none). */
export function listedMemberUrls(genesis: Genesis): string[] {
  return genesis.file.members.flatMap((member) => (member.apiUrl ? [member.apiUrl] : []));
}

/** A member's API address as given, checked: http(s), and the API itself rather than a page it serves. */
function memberApiUrl(given: string): string {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new ConfigError('--member', `${JSON.stringify(given)} is not a URL; a member's API address looks like http://127.0.0.1:8100`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('--member', `${given} is not an http:// or https:// address`);
  const explorer = url.pathname.indexOf(EXPLORER_PATH);
  if (explorer >= 0) throw new ConfigError('--member', `${given} is the member's explorer; its API address is ${url.origin}${url.pathname.slice(0, explorer)}`);
  return given.replace(/\/$/, '');
}

/** What a command that asks no member (info, verify-proof) can be given when there is no local network. */
export const GENESIS_ONLY = 'name the genesis file with --genesis';

/**
 * The genesis file: --genesis, then $STRONGBOX_GENESIS_FILE, then the local network's; without
 * one, the refusal names `instead` (GENESIS_ONLY, for a command without --member).
 */
export function genesisFrom(options: NetworkOptions, instead?: string): Genesis {
  const given = options.genesis ?? process.env.STRONGBOX_GENESIS_FILE;
  const dataDir = options.dataDir ?? defaultDataDir();
  // With a member named and no local network, only the genesis is missing; it is never taken from
  // the member, since the command checks what the member says against it.
  if (given === undefined && (options.member ?? process.env.STRONGBOX_MEMBER_URL) !== undefined && !existsSync(networkFilePath(dataDir))) {
    throw new ConfigError('--genesis', "no genesis file given: with --member, name the chain's genesis file with --genesis or STRONGBOX_GENESIS_FILE (the member's answers are checked against it)");
  }
  const path = given ?? readNetworkFile(dataDir, instead).genesisFile;
  if (!path) throw new ConfigError('--genesis', 'no genesis file given and the local network names none');
  return readGenesisFile(path, '--genesis');
}
