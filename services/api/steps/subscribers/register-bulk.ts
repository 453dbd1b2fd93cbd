import { createHash, randomUUID, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Db } from '../../../../shared/store/db';
import type { Logger } from '../../../../shared/logger';
import { AppError } from '../../../../shared/errors';
import type { BulkFormat, ImportResult } from '../../../../shared/api/subscribers.schema';
import { importSubscribers } from './import-subscribers';
import { readCsv, csvFieldLabel } from './read-csv';
import { readJsonArray } from './read-json-array';
import { readNdjson } from './read-ndjson';
import { BodyStop, type SourceRecord } from './source-record';
import {
  busyError,
  claimIdempotencyKey,
  completeIdempotencyKey,
  mismatchError,
  releaseIdempotencyKey,
} from './idempotency';

const FORMAT_BY_TYPE: Record<string, Exclude<BulkFormat, 'generated'>> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/x-jsonlines': 'ndjson',
  'text/csv': 'csv',
};

export const BULK_CONTENT_TYPES = ['application/json', 'application/x-ndjson', 'text/csv'];

/** The bulk format named by a Content-Type; 415 for anything else, or a charset other than UTF-8. */
export function bulkFormatOf(contentType: string | undefined): Exclude<BulkFormat, 'generated'> {
  const [type = '', ...params] = (contentType ?? '').split(';').map((s) => s.trim().toLowerCase());
  const format = FORMAT_BY_TYPE[type];
  if (!format) {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      `send the rows as ${BULK_CONTENT_TYPES.join(', ')} (got ${type ? JSON.stringify(type.slice(0, 80)) : 'no Content-Type'})`,
    );
  }
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'bulk bodies must be UTF-8 (charset=utf-8)');
  }
  return format;
}

export interface BulkInput {
  body: Readable;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  contentLength: string | undefined;
  idempotencyKey: string | undefined;
  actor: string;
}

export interface BulkDeps {
  db: Db;
  logger?: Logger;
  limits: { maxRows: number; maxBytes: number };
}

export interface BulkAnswer {
  result: ImportResult;
  /** The answer is the stored one of an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

interface BodyTally {
  bytes: number;
  /** Only with an Idempotency-Key: hashing costs about 1 µs a row. */
  hash: Hash | null;
}

/** The request body as chunks, counted and hashed, refusing more than maxBytes (BodyStop). */
async function* bodyChunks(body: Readable, maxBytes: number, tally: BodyTally): AsyncGenerator<Buffer> {
  // Leaving the loop early must not destroy the request: the answer still goes out on its socket.
  for await (const chunk of body.iterator({ destroyOnReturn: false })) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    if (tally.bytes + buf.length > maxBytes) {
      throw new BodyStop(
        'BODY_TOO_LARGE',
        `the body is larger than ${maxBytes} bytes; the rest was not read`,
      );
    }
    tally.bytes += buf.length;
    tally.hash?.update(buf);
    yield buf;
  }
}

function recordsOf(
  format: Exclude<BulkFormat, 'generated'>,
  chunks: AsyncIterable<Buffer>,
): AsyncIterable<SourceRecord[]> {
  if (format === 'csv') return readCsv(chunks);
  if (format === 'ndjson') return readNdjson(chunks);
  return readJsonArray(chunks);
}

/** Hashes a repeat's body as the first request's was hashed, and tells whether it is the same body. */
async function sameBody(
  body: Readable,
  format: BulkFormat,
  first: { requestHash: string; requestBytes: number; complete: boolean },
): Promise<boolean> {
  const hash = createHash('sha256').update(`${format}\n`);
  let seen = 0;
  for await (const chunk of body.iterator({ destroyOnReturn: false })) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    const take = Math.max(0, Math.min(buf.length, first.requestBytes - seen));
    if (take > 0) hash.update(buf.subarray(0, take));
    seen += buf.length;
  }
  if (seen < first.requestBytes) return false;
  if (first.complete && seen !== first.requestBytes) return false;
  return hash.digest('hex') === first.requestHash;
}

/**
 * POST /v1/subscribers/bulk: registers a JSON array, NDJSON or CSV body as a stream (see
 * importSubscribers). With an Idempotency-Key, a repeat of the same request (same key, caller and
 * body) gets the first answer back and registers nothing; the same key with another body is a 409.
 */
export async function registerBulk(input: BulkInput, deps: BulkDeps): Promise<BulkAnswer> {
  const format = bulkFormatOf(input.contentType);
  const encoding = (input.contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      'compressed bodies are not accepted; send the rows uncompressed',
    );
  }
  const declared = input.contentLength === undefined ? NaN : Number(input.contentLength);
  if (declared > deps.limits.maxBytes) {
    throw new AppError(
      'PAYLOAD_TOO_LARGE',
      `the body is ${declared} bytes; at most ${deps.limits.maxBytes} are accepted per request: split the file`,
    );
  }
  const scope = `${input.actor} POST /v1/subscribers/bulk`;
  if (input.idempotencyKey !== undefined) {
    const claim = await claimIdempotencyKey(deps.db, scope, input.idempotencyKey);
    if (claim.kind === 'busy') throw busyError();
    if (claim.kind === 'replay') {
      const first = claim.answer.body as ImportResult;
      const same = await sameBody(input.body, format, { ...claim.answer, complete: first.complete });
      if (!same) throw mismatchError();
      return { result: first, replayed: true };
    }
  }
  const tally: BodyTally = {
    bytes: 0,
    hash: input.idempotencyKey === undefined ? null : createHash('sha256').update(`${format}\n`),
  };
  try {
    const result = await importSubscribers(
      {
        importId: randomUUID(),
        format,
        actor: input.actor,
        records: recordsOf(format, bodyChunks(input.body, deps.limits.maxBytes, tally)),
        maxRows: deps.limits.maxRows,
        ...(format === 'csv' ? { fieldLabel: csvFieldLabel } : {}),
      },
      { db: deps.db, ...(deps.logger ? { logger: deps.logger } : {}) },
    );
    if (input.idempotencyKey !== undefined) {
      await completeIdempotencyKey(deps.db, scope, input.idempotencyKey, {
        status: 200,
        body: result,
        requestHash: tally.hash!.digest('hex'),
        requestBytes: tally.bytes,
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
