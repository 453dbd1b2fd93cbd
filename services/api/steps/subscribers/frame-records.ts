/**
 * Cuts a byte stream into records (lines; for CSV, RFC 4180 records whose quoted fields may span
 * lines) with their line numbers, in bounded memory. It exists because a stream parser that meets a
 * malformed record cannot resynchronise: csv-parse, after a bad closing quote or an oversize record,
 * swallows the rest of the file. Framing first confines every defect to its own record:
 *
 * - a record longer than `maxRecordBytes` is dropped as it streams (never buffered) up to the next
 *   line feed and reported as `oversize`: a 10 MB line costs one error, not 10 MB of memory;
 * - a quoted field still open after `maxRecordLines` lines, `maxRecordBytes` bytes or at the end of
 *   the input is reported as `unclosed-quote` on its first line, and framing resumes on the line after
 *   it, so one stray quote cannot eat the file.
 *
 * Only quotes and line feeds are looked at (Buffer#indexOf, native), so framing costs little more
 * than reading. A UTF-8 BOM at the start is skipped; a trailing CR is cut (CRLF files).
 */

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const EMPTY = Buffer.alloc(0);
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export interface FramedRecord {
  /** Physical line (1-based) where the record starts. */
  line: number;
  /** The record's bytes, without the line end; empty when `problem` is set. */
  bytes: Buffer;
  problem: null | 'oversize' | 'unclosed-quote';
}

export interface FrameOptions {
  maxRecordBytes: number;
  /** CSV: a line feed inside a quoted field does not end the record. */
  quoteAware: boolean;
  /** CSV: lines one record may span before its open quote is presumed unclosed. */
  maxRecordLines?: number;
}

type QuoteState = 'out' | 'in' | 'in-quote-seen';

export class RecordFramer {
  private readonly max: number;
  private readonly quoteAware: boolean;
  private readonly maxLines: number;
  private parts: Buffer[] = [];
  private partsLen = 0;
  private line = 1;
  private startLine = 1;
  private recordLines = 1;
  private discarding = false;
  private atStreamStart = true;
  private quote: QuoteState = 'out';
  /** Absolute offset of the next byte to scan, and of the current record's first byte. */
  private offset = 0;
  private recordStart = 0;
  /** Absolute offset of the quote that may close a field (state in-quote-seen). */
  private quoteSeenAt = -1;
  private lastByte = -1;
  private head: Buffer = EMPTY;

  constructor(opts: FrameOptions) {
    this.max = opts.maxRecordBytes;
    this.quoteAware = opts.quoteAware;
    this.maxLines = opts.maxRecordLines ?? 8;
  }

  /** Frames one chunk; returns the records it completed. */
  push(chunk: Buffer): FramedRecord[] {
    if (this.atStreamStart) {
      // Hold the first bytes until a BOM can be told apart, however small the chunks.
      this.head = this.head.length > 0 ? Buffer.concat([this.head, chunk]) : chunk;
      if (this.head.length < BOM.length && BOM.subarray(0, this.head.length).equals(this.head)) return [];
      chunk = this.head;
      this.head = EMPTY;
    }
    const out: FramedRecord[] = [];
    const queue: Buffer[] = [chunk];
    while (queue.length > 0) this.scan(queue.shift()!, out, queue);
    return out;
  }

  /** Flushes the last record at the end of the input. */
  end(): FramedRecord[] {
    const out: FramedRecord[] = [];
    if (this.atStreamStart && this.head.length > 0) {
      const head = this.head;
      this.head = EMPTY;
      this.atStreamStart = false;
      this.scan(head, out, []);
    }
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (this.discarding) {
        out.push({ line: this.startLine, bytes: EMPTY, problem: 'oversize' });
        this.discarding = false;
        break;
      }
      if (this.partsLen === 0) break;
      if (this.quoteAware && this.quote === 'in') {
        const rest = this.rescue(out, EMPTY, 0);
        if (rest) {
          const more = this.push(rest);
          out.push(...more);
          continue;
        }
        break;
      }
      this.emit(out, Buffer.concat(this.parts, this.partsLen));
      break;
    }
    return out;
  }

  private resetRecord(): void {
    this.parts = [];
    this.partsLen = 0;
    this.startLine = this.line;
    this.recordLines = 1;
    this.quote = 'out';
    this.quoteSeenAt = -1;
  }

  private emit(out: FramedRecord[], bytes: Buffer): void {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CR) end -= 1;
    if (end > 0)
      out.push({
        line: this.startLine,
        bytes: end === bytes.length ? bytes : bytes.subarray(0, end),
        problem: null,
      });
  }

  /**
   * An open quote that never closed: report the record's first line and hand back every byte after
   * that line, to be framed again from a clean state. Null when the record is a single line.
   */
  private rescue(out: FramedRecord[], buf: Buffer, from: number): Buffer | null {
    const held = Buffer.concat([...this.parts, buf.subarray(from)]);
    const firstLf = held.indexOf(LF);
    out.push({ line: this.startLine, bytes: EMPTY, problem: 'unclosed-quote' });
    this.line = this.startLine + 1;
    this.resetRecord();
    if (firstLf === -1) return null;
    this.lastByte = LF;
    return held.subarray(firstLf + 1);
  }

  /** Follows RFC 4180 quoting over the quotes in [pos, end): opening only at a field start, "" escapes. */
  private followQuotes(buf: Buffer, pos: number, end: number, base: number, endIsLf: boolean): void {
    let q = buf.indexOf(QUOTE, pos);
    while (q !== -1 && q < end) {
      const abs = base + q;
      if (this.quote === 'in-quote-seen') {
        if (abs === this.quoteSeenAt + 1) {
          this.quote = 'in'; // "" inside a quoted field: a literal quote
          q = buf.indexOf(QUOTE, q + 1);
          continue;
        }
        this.quote = 'out'; // the earlier quote closed the field
      }
      if (this.quote === 'in') {
        this.quote = 'in-quote-seen';
        this.quoteSeenAt = abs;
      } else {
        const before = q > 0 ? buf[q - 1] : this.lastByte;
        if (abs === this.recordStart || before === COMMA) this.quote = 'in';
        // else: a stray quote inside an unquoted field; the CSV parser refuses the record later
      }
      q = buf.indexOf(QUOTE, q + 1);
    }
    // A quote followed by anything but another quote (a line feed included) closed its field.
    if (this.quote === 'in-quote-seen' && (endIsLf || base + end > this.quoteSeenAt + 1)) this.quote = 'out';
  }

  private scan(buf: Buffer, out: FramedRecord[], queue: Buffer[]): void {
    let pos = 0;
    if (this.atStreamStart && buf.length > 0) {
      this.atStreamStart = false;
      if (buf.subarray(0, BOM.length).equals(BOM)) pos = BOM.length;
    }
    const base = this.offset;
    if (this.partsLen === 0 && !this.discarding) this.recordStart = base + pos;
    let segStart = pos;
    while (pos < buf.length) {
      const lf = buf.indexOf(LF, pos);
      if (this.discarding) {
        if (lf === -1) break;
        out.push({ line: this.startLine, bytes: EMPTY, problem: 'oversize' });
        this.discarding = false;
        this.line += 1;
        this.resetRecord();
        pos = segStart = lf + 1;
        this.recordStart = base + pos;
        continue;
      }
      const end = lf === -1 ? buf.length : lf;
      if (this.quoteAware) this.followQuotes(buf, pos, end, base, lf !== -1);
      if (this.partsLen + (end - segStart) > this.max) {
        if (this.quoteAware && this.recordLines > 1) {
          const rest = this.rescue(out, buf, segStart);
          if (rest) queue.unshift(rest);
          this.offset = base + buf.length;
          return;
        }
        // One physical line too long: drop it as it streams, up to its line feed.
        this.discarding = true;
        this.parts = [];
        this.partsLen = 0;
        pos = end;
        if (lf === -1) break;
        continue;
      }
      if (lf === -1) break;
      if (this.quoteAware && this.quote === 'in') {
        // A line feed inside a quoted field: the record goes on.
        this.line += 1;
        this.recordLines += 1;
        if (this.recordLines > this.maxLines) {
          const rest = this.rescue(out, buf, segStart);
          if (rest) queue.unshift(rest);
          this.offset = base + buf.length;
          return;
        }
        pos = lf + 1;
        continue;
      }
      const bytes =
        this.partsLen === 0
          ? buf.subarray(segStart, lf)
          : Buffer.concat([...this.parts, buf.subarray(segStart, lf)]);
      this.emit(out, bytes);
      this.line += 1;
      this.resetRecord();
      pos = segStart = lf + 1;
      this.recordStart = base + pos;
    }
    if (!this.discarding && segStart < buf.length) {
      this.parts.push(buf.subarray(segStart));
      this.partsLen += buf.length - segStart;
    }
    if (buf.length > 0) this.lastByte = buf[buf.length - 1]!;
    this.offset = base + buf.length;
  }
}

/** Frames an async byte stream, yielding the records of each chunk together (one await per chunk). */
export async function* frameRecords(
  source: AsyncIterable<Buffer>,
  opts: FrameOptions,
): AsyncGenerator<FramedRecord[]> {
  const framer = new RecordFramer(opts);
  for await (const chunk of source) {
    const records = framer.push(chunk);
    if (records.length > 0) yield records;
  }
  const last = framer.end();
  if (last.length > 0) yield last;
}
