import { z } from 'zod';

export const errorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(
        z.object({
          path: z.string().optional(),
          line: z.number().optional(),
          code: z.string().optional(),
          message: z.string(),
        }),
      ),
    }),
  })
  .meta({ id: 'Error' });

export const idParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

export const isoDate = z.iso.datetime({ offset: true });
