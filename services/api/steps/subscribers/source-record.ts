import type { StopCode } from '../../../../shared/api/subscribers.schema';
import type { RowProblem } from './validate-subscriber';

/**
 * One record read from a bulk body, before validation: the parsed fields, or the reason it could
 * not be read (oversize, bad encoding, malformed). Readers yield them in groups, one group per chunk
 * of input, so a million rows cost a few thousand awaits rather than a million.
 */
export type SourceRecord =
  | { line: number; row: number; value: unknown; error?: undefined }
  | { line: number; row: number; value?: undefined; error: RowProblem };

/** Reading stopped before the end of the body; the rows read before it stay registered. */
export class BodyStop extends Error {
  constructor(
    readonly code: StopCode,
    message: string,
    /** Line where reading stopped, when the reader knows it. */
    readonly line: number | null = null,
  ) {
    super(message);
    this.name = 'BodyStop';
  }
}

/** Longest record accepted, in bytes; real rows are a few hundred. Longer ones are refused whole. */
export const MAX_RECORD_BYTES = 16 * 1024;
