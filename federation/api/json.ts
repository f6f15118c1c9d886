/** JSON for the wire: bigint as decimal strings, bytes as lowercase hex. */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'bigint') return item.toString();
    if (item instanceof Uint8Array) return Buffer.from(item).toString('hex');
    return item;
  });
}
