import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../../../../shared/store/db';
import type { Logger } from '../../../../shared/logger';
import { AppError } from '../../../../shared/errors';
import { findCarrier } from '../../../../shared/carriers';
import { canonicalJson } from '../../../../shared/audit/canonical-json';
import type { GenerateRequest, ImportResult } from '../../../../shared/api/subscribers.schema';
import {
  generatePopulation,
  MAX_PER_CARRIER,
  populationCapacity,
  type PopulationOptions,
} from '../../../../shared/population/generate-population';
import { importSubscribers } from './import-subscribers';
import type { SourceRecord } from './source-record';
import {
  busyError,
  claimIdempotencyKey,
  completeIdempotencyKey,
  mismatchError,
  releaseIdempotencyKey,
} from './idempotency';

const GROUP = 1000;

/** A synthetic population as import records; row n is line n, as if it were an NDJSON file. */
export function* populationRecords(opts: PopulationOptions): Generator<SourceRecord[]> {
  let group: SourceRecord[] = [];
  let n = 0;
  for (const value of generatePopulation(opts)) {
    n += 1;
    group.push({ line: n, row: n, value });
    if (group.length >= GROUP) {
      yield group;
      group = [];
    }
  }
  if (group.length > 0) yield group;
}

/** Checks a generation request against the registry, the reserved range and the row limit. */
export function checkGenerateRequest(req: GenerateRequest, maxRows: number): void {
  const unknown = (req.carriers ?? []).filter((c) => !findCarrier(c));
  if (unknown.length > 0) {
    throw new AppError('UNKNOWN_CARRIER', 'carriers must be ids from the fictional carrier registry', [
      {
        path: 'body.carriers',
        code: 'UNKNOWN_CARRIER',
        message: `${unknown.length} carrier id(s) are not in the registry`,
      },
    ]);
  }
  const carriers = req.carriers ? new Set(req.carriers).size : undefined;
  const capacity = populationCapacity(carriers);
  if (req.count > capacity) {
    throw new AppError(
      'VALIDATION_FAILED',
      `count ${req.count} is more than the reserved range holds: ${MAX_PER_CARRIER} numbers per carrier, ${capacity} for the carriers asked`,
      [{ path: 'body.count', code: 'TOO_BIG', message: `at most ${capacity}` }],
    );
  }
  if (req.count > maxRows) {
    throw new AppError(
      'PAYLOAD_TOO_LARGE',
      `count ${req.count} is more than the ${maxRows} rows one request may register`,
    );
  }
}

/**
 * POST /v1/subscribers/generate: a seeded synthetic population, registered through the same path as
 * a bulk file (validation, duplicate detection, batches, audit), so its defects (mix) are refused
 * and reported exactly as a real export's would be. Same request, same population, byte for byte.
 */
export async function generateSubscribers(
  input: { request: GenerateRequest; actor: string; idempotencyKey: string | undefined },
  deps: { db: Db; logger?: Logger; limits: { maxRows: number } },
): Promise<{ result: ImportResult; replayed: boolean }> {
  checkGenerateRequest(input.request, deps.limits.maxRows);
  const scope = `${input.actor} POST /v1/subscribers/generate`;
  const requestHash = createHash('sha256').update(canonicalJson(input.request)).digest('hex');
  if (input.idempotencyKey !== undefined) {
    const claim = await claimIdempotencyKey(deps.db, scope, input.idempotencyKey);
    if (claim.kind === 'busy') throw busyError();
    if (claim.kind === 'replay') {
      if (claim.answer.requestHash !== requestHash) throw mismatchError();
      return { result: claim.answer.body as ImportResult, replayed: true };
    }
  }
  try {
    const { count, seed, carriers, mix } = input.request;
    const result = await importSubscribers(
      {
        importId: randomUUID(),
        format: 'generated',
        actor: input.actor,
        records: populationRecords({
          count,
          seed,
          ...(carriers ? { carriers } : {}),
          ...(mix ? { mix } : {}),
        }),
        maxRows: deps.limits.maxRows,
      },
      { db: deps.db, ...(deps.logger ? { logger: deps.logger } : {}) },
    );
    if (input.idempotencyKey !== undefined) {
      await completeIdempotencyKey(deps.db, scope, input.idempotencyKey, {
        status: 200,
        body: result,
        requestHash,
        requestBytes: 0,
      });
    }
    return { result, replayed: false };
  } catch (err) {
    if (input.idempotencyKey !== undefined) {
      await releaseIdempotencyKey(deps.db, scope, input.idempotencyKey).catch(() => undefined);
    }
    throw err;
  }
}
