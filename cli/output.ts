/** JSON with bigint amounts as decimal strings and bytes as hex, as everywhere in Strongbox. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, item: unknown) => {
      if (typeof item === 'bigint') return item.toString();
      if (item instanceof Uint8Array) return Buffer.from(item).toString('hex');
      return item;
    },
    2,
  );
}

/** Every command prints either a line for people or, with --json, one JSON document for scripts. */
export function printResult(options: { json?: boolean }, human: string, data: unknown): void {
  console.log(options.json ? toJson(data) : human);
}
