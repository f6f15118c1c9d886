import { readFileSync } from 'node:fs';

/**
 * How far apart the members stored each height they decided themselves, from the `block final`
 * line each member logs once the block is stored: with work pending, that is also the moment it
 * enters the next height and arms that height's first timeout. A height's spread is the latest
 * member's time less the earliest; heights fewer than two members decided (the others fetched
 * them from peers) have none.
 */
export function heightEntrySpreads(logFiles: readonly string[], fromHeight: number): number[] {
  const times = new Map<number, number[]>();
  for (const file of logFiles) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes('"block final"')) continue;
      const entry = JSON.parse(line) as { time: number; height: number };
      if (entry.height < fromHeight) continue;
      times.set(entry.height, [...(times.get(entry.height) ?? []), entry.time]);
    }
  }
  return [...times.values()].filter((stored) => stored.length >= 2).map((stored) => Math.max(...stored) - Math.min(...stored));
}
