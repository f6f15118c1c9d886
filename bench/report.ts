/** One measured figure, next to the baseline measured in the same run. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number; unit: string };
  ratio?: number;
}

/** A baseline of zero (no heights of that size in a run, say) gives no ratio rather than NaN or Infinity. */
export function figure(name: string, value: number, unit: string, baseline?: Figure): Figure {
  if (!baseline) return { name, value, unit };
  const measured = { name, value, unit, baseline: { name: baseline.name, value: baseline.value, unit: baseline.unit } };
  return baseline.value === 0 ? measured : { ...measured, ratio: value / baseline.value };
}

export function printTable(figures: Figure[]): void {
  const rows = figures.map((f) => [
    f.name,
    `${formatNumber(f.value)} ${f.unit}`,
    f.baseline ? `${f.baseline.name}: ${formatNumber(f.baseline.value)} ${f.baseline.unit}` : '',
    f.ratio === undefined ? '' : `${(f.ratio * 100).toFixed(1)} %`,
  ]);
  const header = ['figure', 'value', 'baseline (same run)', 'ratio'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
}

function formatNumber(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
}

/** The value at percentile `p` of ascending `sorted` values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
