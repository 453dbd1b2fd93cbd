import { z } from 'zod';
import { ACCOUNT_TYPES, DATA_CATEGORIES } from '../domain';

/**
 * Ledger states of a notification that (may have) reached a handset or mailbox: accepted by the
 * carrier or SMTP sink, or still in flight. A correction goes to every subscriber with one of these
 * in the original campaign; one still `sending` at ENDEX is included, since it may yet arrive.
 */
export const RECEIVED_STATES = ['sending', 'sent', 'delivered', 'undelivered'] as const;

/** Who a campaign reaches; every field narrows, an empty filter means everyone registered. */
export const audienceFilter = z
  .object({
    // Carrier ids are checked against the registry by the step (UNKNOWN_CARRIER), not here.
    carriers: z.array(z.string().min(1).max(64)).min(1).optional(),
    regions: z.array(z.string().min(1).max(64)).min(1).optional(),
    dataCategories: z.array(z.enum(DATA_CATEGORIES)).min(1).optional(),
    accountTypes: z.array(z.enum(ACCOUNT_TYPES)).min(1).optional(),
    /**
     * Corrections: only subscribers who received campaign N (a ledger row in RECEIVED_STATES), read
     * when the audience is walked, so sends that finish after ENDEX are still covered.
     */
    recipientsOfCampaign: z.number().int().positive().optional(),
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
  if (f.recipientsOfCampaign !== undefined) {
    // Served by the ledger's unique (campaign_id, subscriber_id, channel) index.
    add(
      (p) =>
        `EXISTS (SELECT 1 FROM notification rc WHERE rc.campaign_id = ${p}::bigint AND rc.subscriber_id = s.id
                    AND rc.state IN (${RECEIVED_STATES.map((st) => `'${st}'`).join(', ')}))`,
      f.recipientsOfCampaign,
    );
  }
  return { sql: parts.join(' '), params };
}
