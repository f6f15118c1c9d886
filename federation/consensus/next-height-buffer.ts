import type { ConsensusMessage } from './messages.ts';

/** Two rounds' worth of proposal, prevote and precommit per member. */
const PER_MEMBER = 6;

/**
 * Messages for the height after the current one, held until this member decides: peers that
 * decided first have moved on, and their first messages must not be lost. Bounded per member so
 * a peer cannot fill our memory with votes for a height we have not reached.
 */
export class NextHeightBuffer {
  private readonly byMember = new Map<number, ConsensusMessage[]>();

  /** False when the sender's share is full. */
  add(message: ConsensusMessage): boolean {
    const queue = this.byMember.get(message.memberIndex) ?? [];
    if (queue.length >= PER_MEMBER) return false;
    queue.push(message);
    this.byMember.set(message.memberIndex, queue);
    return true;
  }

  drain(): ConsensusMessage[] {
    const messages = [...this.byMember.values()].flat();
    this.byMember.clear();
    return messages;
  }
}
