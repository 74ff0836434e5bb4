import { z } from 'zod';
import { ApiError } from './api-error';

/**
 * Cursor pagination as Gorgias does it (docs/gorgias.md, "Reading answers"): `limit` 1–100 (default 30),
 * `order_by` `created_datetime:asc|desc` (default desc), and opaque cursors in
 * `meta.next_cursor`/`meta.prev_cursor`. A cursor names the item it continues from (creation time and id), so
 * pages stay stable while items are added.
 */

export const orderBySchema = z.enum(['created_datetime:asc', 'created_datetime:desc']);

export const pageQueryShape = {
  limit: z.coerce.number().int().min(1).max(100).default(30),
  cursor: z.string().min(1).optional(),
  order_by: orderBySchema.default('created_datetime:desc'),
};
export const pageQuerySchema = z.strictObject(pageQueryShape);
export type PageQuery = z.infer<typeof pageQuerySchema>;

/** Where an item sorts: creation time (epoch ms), then id. */
export type SortKey = [number, number];

const cursorSchema = z.object({
  direction: z.enum(['next', 'prev']),
  key: z.tuple([z.number(), z.number()]),
});
type Cursor = z.infer<typeof cursorSchema>;

export interface Page<T> {
  object: 'list';
  uri: string;
  data: T[];
  meta: { next_cursor: string | null; prev_cursor: string | null };
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new ApiError(400, 'Invalid cursor.', { cursor: ['Not a valid cursor.'] });
  }
}

function compareKeys(a: SortKey, b: SortKey): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** One page of `items`, which may be in any order; `keyOf` gives each item's sort key. */
export function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => SortKey,
  query: PageQuery,
  uri: string,
): Page<T> {
  const sign = query.order_by === 'created_datetime:asc' ? 1 : -1;
  const compare = (a: SortKey, b: SortKey) => sign * compareKeys(a, b);
  const ordered = [...items].sort((a, b) => compare(keyOf(a), keyOf(b)));

  let start = 0;
  let end = Math.min(ordered.length, query.limit);
  if (query.cursor !== undefined) {
    const cursor = decodeCursor(query.cursor);
    const indexWhere = (test: (order: number) => boolean) => {
      const index = ordered.findIndex((item) => test(compare(keyOf(item), cursor.key)));
      return index === -1 ? ordered.length : index;
    };
    if (cursor.direction === 'next') {
      // The page after the cursor's item: items strictly after it.
      start = indexWhere((order) => order > 0);
      end = Math.min(ordered.length, start + query.limit);
    } else {
      // The page before the cursor's item: the last `limit` items strictly before it.
      end = indexWhere((order) => order >= 0);
      start = Math.max(0, end - query.limit);
    }
  }

  const data = ordered.slice(start, end);
  const first = data[0];
  const last = data[data.length - 1];
  return {
    object: 'list',
    uri,
    data,
    meta: {
      next_cursor:
        last && end < ordered.length ? encodeCursor({ direction: 'next', key: keyOf(last) }) : null,
      prev_cursor: first && start > 0 ? encodeCursor({ direction: 'prev', key: keyOf(first) }) : null,
    },
  };
}
