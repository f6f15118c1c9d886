import { z } from 'zod';

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 1_000;

/**
 * The query every list route takes: `limit` items per page and the `cursor` a previous page
 * returned as `next`. Each route states its cursor's form, so a malformed one is refused by name.
 */
export function pageQuery(cursor: z.ZodType<string>) {
  return z
    .object({
      limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
      cursor: cursor.optional(),
    })
    .strict();
}

export interface Page<T> {
  items: T[];
  /** The cursor of the following page, or null on the last one. */
  next: string | null;
}

/**
 * Cuts a page out of rows fetched with `limit + 1`: the extra row only tells whether another
 * page exists, so the last page says so without an empty request after it.
 */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (last: T) => string): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}
