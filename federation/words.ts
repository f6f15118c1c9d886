/** "1 block", "2 blocks": a count and a noun with a regular plural. */
export function plural(count: number | bigint, noun: string): string {
  return `${count} ${noun}${count === 1 || count === 1n ? '' : 's'}`;
}
