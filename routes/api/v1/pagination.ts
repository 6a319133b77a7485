import { z } from 'zod';

/** `?limit=&cursor=` on every list; `cursor` is a previous page's `nextCursor`. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).optional(),
});

/** `{ data, nextCursor }`: nextCursor is null on the last page. */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), nextCursor: z.string().nullable() });

export const idParams = z.object({ id: z.uuid({ error: 'must be a UUID' }) });
