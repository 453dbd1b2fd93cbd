import { z } from 'zod';
import { ACCOUNT_TYPES, DATA_CATEGORIES } from '../domain';
import { CARRIER_IDS } from '../carriers';

/** Who a campaign reaches; every field narrows, an empty filter means everyone registered. */
export const audienceFilter = z
  .object({
    carriers: z.array(z.enum(CARRIER_IDS)).min(1).optional(),
    regions: z.array(z.string().min(1).max(64)).min(1).optional(),
    dataCategories: z.array(z.enum(DATA_CATEGORIES)).min(1).optional(),
    accountTypes: z.array(z.enum(ACCOUNT_TYPES)).min(1).optional(),
  })
  .strict();
export type AudienceFilter = z.infer<typeof audienceFilter>;

/**
 * SQL conditions (each starting with AND) over `subscribers s`, numbering parameters from
 * `firstParam`. Values always travel as parameters.
 */
export function audienceWhere(f: AudienceFilter, firstParam: number): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (cond: (p: string) => string, value: unknown) => {
    params.push(value);
    parts.push(`AND ${cond(`$${firstParam + params.length - 1}`)}`);
  };
  if (f.carriers) add((p) => `s.carrier = ANY(${p}::text[])`, f.carriers);
  if (f.regions) add((p) => `s.region = ANY(${p}::text[])`, f.regions);
  if (f.dataCategories) add((p) => `s.data_categories && ${p}::text[]`, f.dataCategories);
  if (f.accountTypes) add((p) => `s.account_type = ANY(${p}::text[])`, f.accountTypes);
  return { sql: parts.join(' '), params };
}
