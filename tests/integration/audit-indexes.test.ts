import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, databaseUrl, type TestDb } from '../helpers/world';
import { appendAudit } from '../../shared/audit/append-audit';
import { subscriberHash, type AuditEventInput } from '../../shared/audit/audit-event';
import type { AuditFilters } from '../../shared/api/audit.schema';
import { planAuditQuery, walkSql, WALK_SETTINGS } from '../../services/api/steps/audit/plan-audit-query';
import { queryWithSettings } from '../../shared/store/query-with-settings';

// The partial indexes of migration 052 serve a walk only when the walk's conditions imply their
// predicates; a walk that no longer matches one falls back to another index and still answers
// right (audit-api.test.ts checks the rows), just slowly on a big log. This reads the plans.
const kinds = databaseUrl() ? (['postgres', 'pglite'] as const) : (['pglite'] as const);

const delivery = (n: number, type: AuditEventInput['type'], withHash = true): AuditEventInput => ({
  type,
  actor: 'worker:deliver',
  campaignId: 1 + (n % 2),
  notificationId: n,
  carrier: 'prairie-link',
  channel: 'sms',
  ...(withHash ? { subscriberHash: subscriberHash(n % 5) } : {}),
});

describe.each(kinds)('audit walks on %s → the index each filter is meant to use', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('auditix', { kind });
    const events: AuditEventInput[] = [];
    for (let n = 1; n <= 40; n++) {
      events.push(delivery(n, 'notification.queued'), delivery(n, 'notification.sent'));
      events.push(delivery(n, n % 7 === 0 ? 'notification.failed' : 'notification.delivered', false));
    }
    await t.db.transaction((tx) => appendAudit(tx, events));
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
  });

  async function plannedIndexes(f: AuditFilters): Promise<string> {
    const plan = await planAuditQuery(t.db, f);
    const q = walkSql(plan, 0, 10, 'ASC', 'seq');
    const r = await queryWithSettings<{ 'QUERY PLAN': string }>(
      t.db,
      `${WALK_SETTINGS}; SET LOCAL enable_seqscan = off`,
      `EXPLAIN ${q.sql}`,
      q.params,
    );
    return r.rows.map((x) => x['QUERY PLAN']).join('\n');
  }

  it('subscriber → the subscriber index (created events) and the notification index (the rest)', async () => {
    const plan = await plannedIndexes({ subscriber: subscriberHash(3) });
    expect(plan).toMatch(/subscriber_hash_seq_idx/);
    expect(plan).toMatch(/notification_id_seq_idx/);
  });

  it('a rare type → the type index; with a campaign → the campaign × type index', async () => {
    expect(await plannedIndexes({ type: 'notification.failed' })).toMatch(/_type_seq_idx/);
    const both = await plannedIndexes({ campaign: 1, type: 'notification.failed' });
    expect(both).toMatch(/campaign_id_type_seq_idx/);
  });

  it('a delivery type (not in the type indexes) with a campaign → the campaign index', async () => {
    const plan = await plannedIndexes({ campaign: 1, type: 'notification.delivered' });
    expect(plan).toMatch(/campaign_id_seq_idx/);
    expect(plan).not.toMatch(/campaign_id_type_seq_idx/);
  });
});
