/**
 * Rows of cells as lines of text, each column as wide as its widest cell, two spaces apart:
 * figures (the columns `rightAligned` marks) aligned on their last digit so that amounts read down
 * a column, text on its first letter. A last column of text is not padded, so no line ends in spaces.
 */
export function table(rows: readonly (readonly string[])[], rightAligned: readonly boolean[]): string[] {
  const widths = (rows[0] ?? []).map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const cell = (text: string, column: number, last: boolean) => (rightAligned[column] ? text.padStart(widths[column]!) : last ? text : text.padEnd(widths[column]!));
  return rows.map((row) => row.map((text, column) => cell(text, column, column === row.length - 1)).join('  '));
}
