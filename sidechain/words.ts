/** "1 block", "2 blocks": a count and a noun, with its plural when that is not the noun and an s ("1 address", "2 addresses"). */
export function plural(count: number | bigint, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 || count === 1n ? noun : nouns}`;
}
