import { defineRoute } from '../http/define-route';
import {
  auditCheckpointList,
  auditCheckpointQuery,
  auditExportQuery,
  auditPage,
  auditPublicKey,
  auditQuery,
  auditVerifyQuery,
  auditVerifyResult,
} from '../../../shared/api/audit.schema';
import { errorBody } from '../../../shared/api/common.schema';
import { AppError } from '../../../shared/errors';
import { latestCheckpoint, toSignedCheckpoint } from '../../../shared/audit/write-checkpoint';
import type { ApiDeps } from '../steps/api-deps';
import { queryAudit } from '../steps/query-audit';
import { actorOf, canReadPii } from '../http/principal';
import { apiSigningKey } from '../steps/audit/audit-signing-key';
import { exportAudit } from '../steps/audit/export-audit';
import { verifyLiveChain } from '../steps/audit/verify-live-chain';

const READERS = ['auditor', 'operator'] as const;

export function auditRoutes(deps: ApiDeps) {
  const key = () => apiSigningKey(deps.config);
  return [
    defineRoute({
      method: 'get',
      path: '/v1/audit',
      summary: 'Query the delivery audit log (filters, cursor pagination by seq)',
      tags: ['audit'],
      roles: READERS,
      query: auditQuery,
      responses: {
        200: { description: 'A page of events in seq order', schema: auditPage },
        400: { description: 'Invalid filter', schema: errorBody },
        403: { description: 'reveal=contact without the pii:read scope', schema: errorBody },
      },
      handler: async ({ query, req }) => {
        if (query.reveal === 'contact' && !canReadPii(req))
          throw new AppError('FORBIDDEN', 'reveal=contact needs a key with the pii:read scope');
        return { status: 200, body: await queryAudit(deps.db, query, { actor: actorOf(req) }) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/export',
      summary:
        'Export the audit log, streamed: format=csv (formula-safe), ndjson (AuditEvent per line), or bundle (rows + signed checkpoints + public key, for `npm run audit:verify`)',
      tags: ['audit'],
      roles: READERS,
      query: auditExportQuery,
      responses: {
        200: {
          description:
            'csv: text/csv; ndjson and bundle: application/x-ndjson. Stops at EXPORT_MAX_ROWS with a closing note naming the cursor to continue from',
          contentType: 'application/x-ndjson',
        },
        400: { description: 'Invalid filter, or a bundle larger than EXPORT_MAX_ROWS', schema: errorBody },
      },
      handler: async ({ query, req, res }) => {
        await exportAudit(
          { db: deps.db, key, maxRows: deps.config.EXPORT_MAX_ROWS },
          query,
          res,
          actorOf(req),
        );
        return undefined;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/verify',
      summary: 'Verify the stored hash chain and its signed checkpoints; reports the first broken seq',
      tags: ['audit'],
      roles: READERS,
      query: auditVerifyQuery,
      responses: {
        200: { description: 'The verdict (ok or the first broken seq)', schema: auditVerifyResult },
        404: { description: 'No checkpoint at that seq', schema: errorBody },
      },
      handler: async ({ query, req }) => ({
        status: 200,
        body: await verifyLiveChain({ db: deps.db, key: await key() }, query, actorOf(req)),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/public-key',
      summary: 'The Ed25519 public key that signs audit checkpoints (pin its keyId before verifying)',
      tags: ['audit'],
      roles: ['public'],
      responses: { 200: { description: 'The key and the latest checkpoint', schema: auditPublicKey } },
      handler: async () => {
        const k = await key();
        const latest = await latestCheckpoint(deps.db);
        return {
          status: 200,
          body: {
            algorithm: 'Ed25519' as const,
            keyId: k.keyId,
            publicKey: k.publicKeyPem,
            signs: 'canonical JSON (sorted keys, no spaces) of {"hash","seq","time"}',
            checkpointEvery: deps.config.AUDIT_CHECKPOINT_EVERY,
            checkpointSeconds: deps.config.AUDIT_CHECKPOINT_SECONDS,
            latestCheckpoint: latest
              ? {
                  seq: latest.seq,
                  hash: latest.hash,
                  time: latest.time,
                  keyId: latest.keyId,
                  signature: latest.signature,
                }
              : null,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/checkpoints',
      summary: 'Signed audit checkpoints in seq order (cursor pagination by seq)',
      tags: ['audit'],
      roles: READERS,
      query: auditCheckpointQuery,
      responses: { 200: { description: 'A page of checkpoints', schema: auditCheckpointList } },
      handler: async ({ query }) => {
        const r = await deps.db.query<Parameters<typeof toSignedCheckpoint>[0]>(
          'SELECT * FROM audit_checkpoints WHERE seq > $1 ORDER BY seq LIMIT $2',
          [query.after ?? 0, query.limit + 1],
        );
        const items = r.rows.slice(0, query.limit).map((row) => {
          const { publicKey: _pk, ...cp } = toSignedCheckpoint(row);
          return cp;
        });
        return {
          status: 200,
          body: { items, nextCursor: r.rows.length > query.limit ? items[items.length - 1]!.seq : null },
        };
      },
    }),
  ];
}
