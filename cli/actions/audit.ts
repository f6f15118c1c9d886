import { z } from 'zod';
import { AuditFailure } from '../../federation/audit/auditor.ts';
import { StrongboxError, ValidationError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import { memberBlockSource } from '../../federation/audit/block-source.ts';
import { runAudit, type AuditedTip, type AuditProgress, type AuditReport } from '../../federation/audit/run-audit.ts';
import { readJsonFile } from '../../federation/json-file.ts';
import { genesisFrom, knownMemberUrls, memberClientFrom, memberClientOf, type NetworkOptions } from '../member-url.ts';
import { printResult, toJson } from '../output.ts';
import { plural } from '../../federation/words.ts';
import { progressLine } from '../progress.ts';
import { bitcoinRpcFrom } from '../bitcoin-node.ts';

interface AuditOptions extends NetworkOptions {
  bitcoinRpc?: string;
  previous?: string;
  broadcastGrace?: string;
  json?: boolean;
}

/** Members broadcast a record's transaction well within a second of its block: ten minutes only hides a node that missed it. */
const MAX_BROADCAST_GRACE_SECONDS = 600;

const hash = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
const passedReport = z.object({ ok: z.literal(true), chainId: hash, height: z.number().int().min(0), tipHash: hash });

/** The tip a passing `audit --json` report of this chain names; refused with one line otherwise. */
function previousTip(file: string, genesis: Genesis): AuditedTip {
  const refuse = (reason: string) => new ValidationError('bad-previous', `--previous: ${reason}`);
  const json = readJsonFile(file, refuse);
  if ((json as { ok?: unknown } | null)?.ok === false) throw refuse(`${file} is the report of an audit that did not pass: give the report of the last audit that passed`);
  const parsed = passedReport.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw refuse(`${file} is not the report of strongbox audit --json (${issue.path.join('.') || 'the document'}: ${issue.message})`);
  }
  const chainId = Buffer.from(genesis.chainId).toString('hex');
  if (parsed.data.chainId !== chainId) throw refuse(`${file} is the report of an audit of chain ${parsed.data.chainId}, not chain ${chainId} of the genesis file given`);
  return { height: parsed.data.height, tipHash: parsed.data.tipHash };
}

/** Progress on stderr, rewritten in place, only where a person watches (a terminal). */
function auditProgress(): { update: (progress: AuditProgress) => void; clear: () => void } {
  const line = progressLine();
  let shownAt = Number.NEGATIVE_INFINITY;
  return {
    update({ height, expectedHeight, elapsedMs }) {
      if (!line.tty || (elapsedMs - shownAt < 100 && height !== expectedHeight)) return;
      shownAt = elapsedMs;
      const rate = elapsedMs > 0 ? Math.round((height * 1000) / elapsedMs) : 0;
      line.show(`audit: block ${height} of ${expectedHeight} (${rate} blocks/s)`);
    },
    clear: () => line.clear(),
  };
}

/** An anchor still in the node's mempool protects nothing yet: it is counted apart from the confirmed ones. */
function anchorLine(anchors: AuditReport['anchors']['list']): string {
  const confirmed = anchors.filter((anchor) => anchor.confirmations > 0);
  const last = confirmed.at(-1);
  const waiting = anchors.length - confirmed.length;
  return [
    `${confirmed.length} confirmed in Bitcoin`,
    last && `the last for height ${last.anchoredHeight} with ${plural(last.confirmations, 'confirmation')}`,
    waiting > 0 && `${waiting} more in the Bitcoin node's mempool, not confirmed yet`,
  ].filter(Boolean).join(', ');
}

/** Blocks only signatures protect yet, with the cadence the genesis sets: the oldest growing old means anchoring stopped. */
function unanchoredLines({ unanchored }: AuditReport['anchors'], { intervalBlocks, intervalSeconds }: Genesis['file']['anchor']): string[] {
  if (unanchored.blocks === 0) return [];
  return [
    `unanchored:  ${plural(unanchored.blocks, 'block')} with transactions after the last anchor, the oldest at height ${unanchored.oldestHeight} dated ${new Date(Number(unanchored.oldestTimeMs)).toISOString()}; anchors are due every ${plural(intervalBlocks, 'block')} or ${intervalSeconds} s while the chain is active`,
  ];
}

function summary(report: AuditReport, genesis: Genesis): string {
  const sats = (value: bigint) => `${value.toLocaleString('en-US')} sats`;
  const { anchors, reserves } = report;
  const { unpaidBurns } = reserves;
  // A burn waits for its batch, or for operators' approval past the circuit breaker; one waiting long is worth a question.
  const unpaid = unpaidBurns.count > 0 ? `; ${plural(unpaidBurns.count, 'final burn')} (${sats(unpaidBurns.sats)}) not paid yet, the oldest final at height ${unpaidBurns.oldestHeight}` : '';
  const owed = unpaidBurns.count > 0 ? ` + ${sats(unpaidBurns.sats)} owed to burns not paid yet` : '';
  return [
    `audit passed: chain ${report.network} (${report.chainId}) as served by ${report.source}, Bitcoin from ${report.bitcoinNode} at block ${report.bitcoinTip.height} (${new Date(Number(report.bitcoinTip.timeMs)).toISOString()})`,
    `blocks:      ${report.blocks} from genesis to ${report.tipHash}: hash links, ≥ k signatures, ${plural(report.transactions, 'transaction')} re-executed`,
    `mints:       ${report.mints.count} (${sats(report.mints.sats)}), each a confirmed deposit to its recipient's deposit address`,
    `anchors:     ${anchorLine(anchors.list)}`,
    ...unanchoredLines(anchors, genesis.file.anchor),
    `settlements: ${report.settlements.count} paying ${plural(report.settlements.burns, 'burn')}${report.settlements.inMempool > 0 ? `, ${report.settlements.inMempool} of them in the Bitcoin node's mempool, not confirmed yet` : ''}${unpaid}`,
    ...(report.awaitedBroadcasts > 0
      ? [`waited:      for the Bitcoin transaction of ${plural(report.awaitedBroadcasts, 'record')} in the newest blocks to reach the node: members broadcast it once the record is final`]
      : []),
    `reserves:    ${sats(reserves.escrowSats)} unspent in ${plural(reserves.unspentOutputs, 'escrow output')} ≥ ${sats(reserves.outstandingSats)} pegged outstanding${owed}`,
    ...(report.previous ? [`history:     holds block ${report.previous.height} (${report.previous.tipHash}) as the previous audit passed it`] : []),
    ...report.othersAhead.map((other) => `beyond:      ${other.member} says its chain reaches height ${other.height}: the blocks after ${report.height} are not audited here; audit that member too`),
    ...equivocationLines(report.equivocations),
  ].join('\n');
}

/** One line per member proven to have signed twice, and one per member serving evidence that proves nothing. */
function equivocationLines({ proven, unproven }: AuditReport['equivocations']): string[] {
  const byMember = new Map<number, typeof proven>();
  for (const equivocation of proven) byMember.set(equivocation.member, [...(byMember.get(equivocation.member) ?? []), equivocation]);
  return [
    ...[...byMember.values()].map((list) => {
      const { member, name } = list[0]!;
      const heights = list.map((equivocation) => equivocation.height);
      const [low, high] = [Math.min(...heights), Math.max(...heights)];
      const steps = [...new Set(list.map((equivocation) => equivocation.step))].join(', ');
      const holders = new Set(list.flatMap((equivocation) => equivocation.heldBy)).size;
      return `evidence:    member ${member} (${name}) signed twice ${plural(list.length, 'time')} (${steps}) at height${low === high ? ` ${low}` : `s ${low}–${high}`}, proven by its own signatures (held by ${plural(holders, 'member')}): the chain above stays single, but that member must be taken out of service`;
    }),
    ...unproven.map(({ source, count }) => `evidence:    ${source} serves ${plural(count, 'piece')} of evidence that does not prove what it claims`),
  ];
}

/** --broadcast-grace's seconds: a whole number, 0 (fail at once) to ten minutes; refused as any other input the audit reads, so --json answers it. */
function graceSeconds(value: string): number {
  if (!/^(0|[1-9][0-9]{0,2})$/.test(value) || Number(value) > MAX_BROADCAST_GRACE_SECONDS) {
    throw new ValidationError(
      'bad-broadcast-grace',
      `option '--broadcast-grace <seconds>' argument '${value}' is invalid. It takes whole seconds, 0 to ${MAX_BROADCAST_GRACE_SECONDS}; 0 fails at once on a transaction the node does not know (see --help)`,
    );
  }
  return Number(value);
}

/** What the audit reads before it asks anyone: every file, URL and number it was given, each refused with one line. */
function auditInputs(options: AuditOptions) {
  const broadcastGraceMs = options.broadcastGrace === undefined ? undefined : graceSeconds(options.broadcastGrace) * 1000;
  const genesis = genesisFrom(options);
  const previous = options.previous === undefined ? undefined : previousTip(options.previous, genesis);
  const client = memberClientFrom(options);
  const bitcoin = bitcoinRpcFrom({ rpc: options.bitcoinRpc, dataDir: options.dataDir, flag: '--bitcoin-rpc' });
  return { broadcastGraceMs, genesis, previous, client, bitcoin };
}

export async function audit(options: AuditOptions): Promise<void> {
  let inputs: ReturnType<typeof auditInputs>;
  try {
    inputs = auditInputs(options);
  } catch (error) {
    // A script reads stdout (AUDITOR.md's cron line keeps it): input refused is an error there, no verdict.
    if (options.json && error instanceof StrongboxError) console.log(toJson({ ok: false, error: { code: error.code, message: error.message } }));
    throw error;
  }
  const { broadcastGraceMs, genesis, previous, client, bitcoin } = inputs;
  const source = memberBlockSource(client);
  const progress = auditProgress();
  let report: AuditReport;
  try {
    const otherClients = knownMemberUrls(options, genesis).map((url) => memberClientOf(url));
    const others = otherClients.map(memberBlockSource);
    // The source is asked at the end, as the member that answered last; the others once each.
    const evidenceFrom = [client, ...otherClients.filter((other) => other.baseUrl !== client.baseUrl)].map((member) => ({ get description() { return member.baseUrl; }, evidence: () => member.evidence() }));
    report = await runAudit({ genesis, source, bitcoin, others, evidenceFrom, previous, broadcastGraceMs, onProgress: progress.update });
  } catch (error) {
    progress.clear();
    // A verdict is on the chain as one member served it (the client may have passed over one
    // that was down): naming that member lets a corrupt copy be told from a broken chain by
    // auditing another member.
    const servedBy = source.description;
    if (options.json) {
      // A script reads stdout: a verdict on the chain (`failure`) or an audit that could not
      // be finished (`error`: a member or node out of reach), never nothing.
      if (error instanceof AuditFailure) console.log(toJson({ ok: false, failure: { check: error.check, height: error.height ?? null, message: error.detail, source: servedBy } }));
      else if (error instanceof StrongboxError) console.log(toJson({ ok: false, error: { code: error.code, message: error.message } }));
    }
    if (error instanceof AuditFailure) throw new AuditFailure(error.check, error.height, `${error.detail}; blocks served by ${servedBy}`);
    throw error;
  }
  progress.clear();
  printResult(options, summary(report, genesis), { ok: true, ...report });
}
