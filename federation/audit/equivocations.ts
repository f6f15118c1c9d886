import { z } from 'zod';
import { MAX_BLOCK_BYTES } from '../../sidechain/block.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import { VoteType } from '../../sidechain/vote.ts';
import { checkEvidence, decodeEvidence, type Evidence } from '../consensus/index.ts';

/**
 * A member that signed two different things where the protocol allows one, proven by both signed
 * messages: the member's own key signed them, so no other member can have made it up.
 */
export interface Equivocation {
  member: number;
  name: string;
  step: 'proposal' | 'prevote' | 'precommit';
  height: number;
  round: number;
  /** The members that hold the proof. */
  heldBy: string[];
}

/** A member's list of evidence, as its API serves it: nothing in it is believed before it is checked. */
export interface EvidenceSource {
  description: string;
  evidence(): Promise<unknown>;
}

export interface EquivocationsSeen {
  proven: Equivocation[];
  /** Members that served evidence which does not prove what it claims: a claim against another member that does not hold. */
  unproven: { source: string; count: number }[];
}

const servedEvidence = z.object({ evidence: z.array(z.object({ messages: z.string().regex(/^([0-9a-f]{2})*$/) })) });

/**
 * The equivocations the given members hold proof of, each proof checked against the genesis's
 * member keys. A member that does not answer adds nothing: evidence adds to an audit, the chain
 * is judged without it.
 */
export async function equivocationsHeld(genesis: Genesis, sources: readonly EvidenceSource[]): Promise<EquivocationsSeen> {
  const proven = new Map<string, Equivocation>();
  const unproven: EquivocationsSeen['unproven'] = [];
  const answers = await Promise.all(sources.map(async (source) => ({ source, answer: await source.evidence().catch(() => undefined) })));
  for (const { source, answer } of answers) {
    const served = servedEvidence.safeParse(answer);
    if (!served.success) continue;
    let failed = 0;
    for (const entry of served.data.evidence) {
      const evidence = provenEvidence(genesis, entry.messages);
      if (!evidence) {
        failed++;
        continue;
      }
      const seen = equivocationOf(genesis, evidence);
      const key = `${seen.member}/${seen.height}/${seen.round}/${seen.step}`;
      const known = proven.get(key) ?? seen;
      if (!known.heldBy.includes(source.description)) known.heldBy.push(source.description);
      proven.set(key, known);
    }
    if (failed > 0) unproven.push({ source: source.description, count: failed });
  }
  const order = (a: Equivocation, b: Equivocation) => a.member - b.member || a.height - b.height || a.round - b.round || a.step.localeCompare(b.step);
  return { proven: [...proven.values()].sort(order), unproven };
}

function provenEvidence(genesis: Genesis, hex: string): Evidence | undefined {
  try {
    const evidence = decodeEvidence(Buffer.from(hex, 'hex'), MAX_BLOCK_BYTES);
    checkEvidence(genesis.chainId, genesis.members.keys, evidence);
    return evidence;
  } catch {
    return undefined;
  }
}

function equivocationOf(genesis: Genesis, { first }: Evidence): Equivocation {
  const step = first.kind === 'proposal' ? 'proposal' : first.type === VoteType.Prevote ? 'prevote' : 'precommit';
  return { member: first.memberIndex, name: genesis.file.members[first.memberIndex]?.name ?? String(first.memberIndex), step, height: first.height, round: first.round, heldBy: [] };
}
