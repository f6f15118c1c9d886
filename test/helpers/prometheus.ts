/**
 * Samples of a Prometheus text exposition, keyed as printed (`name{label="value"}`), so a test
 * reads what a scraper reads.
 */
export function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

export async function scrape(apiUrl: string): Promise<Map<string, number>> {
  const response = await fetch(`${apiUrl}/metrics`);
  if (!response.ok) throw new Error(`GET ${apiUrl}/metrics answered ${response.status}`);
  return parseMetrics(await response.text());
}

/** The metric families an exposition declares (`# TYPE name kind`), with or without samples yet. */
export function metricFamilies(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!));
}
