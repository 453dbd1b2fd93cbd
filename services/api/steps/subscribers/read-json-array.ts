import { jsonParser } from 'stream-json/parser.js';
import { BodyStop, MAX_RECORD_BYTES, type SourceRecord } from './source-record';

// stream-chain's end-of-input signal (`none` in stream-chain/defs), a registered global symbol.
const END_OF_INPUT = Symbol.for('object-stream.none');
const LF = 0x0a;
// The element object is depth 2 and its lists depth 3; anything deeper is not a subscriber row.
const MAX_DEPTH = 3;

interface Token {
  name: string;
  value?: unknown;
}

type Container =
  | { kind: 'object'; value: Record<string, unknown>; key: string | null }
  | { kind: 'array'; value: unknown[] };

/**
 * Builds one top-level array element at a time from stream-json's streamed tokens, within a budget:
 * every string arrives in chunks, so an oversize element is dropped as it streams instead of being
 * assembled, and nesting deeper than a subscriber row is refused. (stream-json's own Assembler packs
 * whole strings first, so one 10 MB string would sit in memory.)
 */
class ElementAssembler {
  depth = 0;
  done = false;
  row = 0;
  private readonly max: number;
  private stack: Container[] = [];
  private parts: string[] = [];
  private startLine = 0;
  private chars = 0;
  private oversize = false;
  private tooDeep = false;
  private badEncoding = false;

  constructor(max: number) {
    this.max = max;
  }

  consume(tok: Token, line: number, out: SourceRecord[]): void {
    switch (tok.name) {
      case 'startObject':
      case 'startArray': {
        if (this.depth === 0) {
          if (tok.name !== 'startArray' || this.done) {
            throw new BodyStop(
              'MALFORMED_BODY',
              'the body must be one JSON array of subscriber objects',
              line,
            );
          }
          this.depth = 1;
          return;
        }
        if (this.depth === 1) this.begin(line);
        this.depth += 1;
        this.charge(1);
        if (this.depth > MAX_DEPTH) this.tooDeep = true;
        else if (!this.tooDeep && !this.oversize) {
          this.stack.push(
            tok.name === 'startObject'
              ? { kind: 'object', value: {}, key: null }
              : { kind: 'array', value: [] },
          );
        }
        return;
      }
      case 'endObject':
      case 'endArray': {
        if (this.depth === 1) {
          this.depth = 0;
          this.done = true;
          return;
        }
        const built =
          this.depth <= MAX_DEPTH && !this.tooDeep && !this.oversize ? this.stack.pop() : undefined;
        this.depth -= 1;
        if (this.depth === 1) this.finish(out, built?.value);
        else if (built) this.attach(built.value);
        return;
      }
      case 'startKey':
      case 'startString':
      case 'startNumber':
        if (this.depth === 1) this.begin(line);
        this.parts = [];
        this.charge(1);
        return;
      case 'stringChunk':
      case 'numberChunk': {
        const v = tok.value as string;
        if (v.includes('\uFFFD')) this.badEncoding = true;
        if (this.charge(v.length)) this.parts.push(v);
        return;
      }
      case 'endKey': {
        const top = this.stack[this.stack.length - 1];
        if (top?.kind === 'object') top.key = this.parts.join('');
        this.parts = [];
        return;
      }
      case 'endString':
        this.scalar(this.parts.join(''), out);
        return;
      case 'endNumber':
        this.scalar(Number(this.parts.join('')), out);
        return;
      case 'trueValue':
      case 'falseValue':
      case 'nullValue':
        if (this.depth === 1) this.begin(line);
        this.charge(1);
        this.scalar(tok.value ?? null, out);
        return;
      default:
        return;
    }
  }

  private begin(line: number): void {
    this.row += 1;
    this.startLine = line;
    this.chars = 0;
    this.oversize = false;
    this.tooDeep = false;
    this.badEncoding = false;
    this.stack = [];
  }

  /** Counts characters against the element's budget; false once it is spent. */
  private charge(n: number): boolean {
    this.chars += n;
    if (this.chars > this.max) {
      this.oversize = true;
      this.stack = [];
      this.parts = [];
    }
    return !this.oversize;
  }

  private scalar(value: unknown, out: SourceRecord[]): void {
    this.parts = [];
    if (this.depth === 1) this.finish(out, value);
    else this.attach(value);
  }

  private attach(value: unknown): void {
    if (this.oversize || this.tooDeep) return;
    const top = this.stack[this.stack.length - 1];
    if (!top) return;
    if (top.kind === 'array') top.value.push(value);
    else if (top.key !== null) {
      // A "__proto__" key would set the object's prototype, not a field: it is dropped.
      if (top.key !== '__proto__') top.value[top.key] = value;
      top.key = null;
    }
  }

  private finish(out: SourceRecord[], value: unknown): void {
    const at = { line: this.startLine, row: this.row };
    if (this.oversize) {
      out.push({
        ...at,
        error: {
          field: null,
          code: 'OVERSIZE_ROW',
          message: `the element is longer than ${this.max} characters; it was skipped`,
        },
      });
    } else if (this.tooDeep) {
      out.push({
        ...at,
        error: {
          field: null,
          code: 'MALFORMED_ROW',
          message: 'the element nests deeper than a subscriber row',
        },
      });
    } else if (this.badEncoding) {
      out.push({
        ...at,
        error: { field: null, code: 'BAD_ENCODING', message: 'the element is not valid UTF-8' },
      });
    } else {
      out.push({ ...at, value });
    }
    this.stack = [];
  }
}

/**
 * A JSON array of subscriber objects → records, streaming: stream-json tokenises, the assembler above
 * builds one element at a time. Input is fed line by line so every element knows the line it starts
 * on. A syntax error ends the reading (BodyStop): JSON cannot be resynchronised after one, and the
 * elements before it stay registered.
 */
export async function* readJsonArray(
  chunks: AsyncIterable<Buffer>,
  opts: { maxRecordBytes?: number } = {},
): AsyncGenerator<SourceRecord[]> {
  const tokenize = jsonParser({ packValues: false, streamValues: true }) as unknown as (
    input: string | symbol,
  ) => { values?: Token[] } | symbol;
  const asm = new ElementAssembler(opts.maxRecordBytes ?? MAX_RECORD_BYTES);
  // Not fatal: a bad byte becomes U+FFFD, which marks its element BAD_ENCODING instead of ending the body.
  const decoder = new TextDecoder('utf-8');
  let line = 1;

  const feed = (input: string | symbol, out: SourceRecord[]) => {
    let result: { values?: Token[] } | symbol;
    try {
      result = tokenize(input);
    } catch {
      throw new BodyStop(
        'MALFORMED_BODY',
        `the body is not valid JSON (near line ${line}); reading stopped there`,
        line,
      );
    }
    if (typeof result === 'symbol' || !result.values) return;
    for (const tok of result.values) asm.consume(tok, line, out);
  };

  for await (const chunk of chunks) {
    const out: SourceRecord[] = [];
    let pos = 0;
    try {
      while (pos < chunk.length) {
        const lf = chunk.indexOf(LF, pos);
        const end = lf === -1 ? chunk.length : lf + 1;
        const text = decoder.decode(chunk.subarray(pos, end), { stream: true });
        if (text.length > 0) feed(text, out);
        if (lf !== -1) line += 1;
        pos = end;
      }
    } catch (err) {
      // On a stop, the elements completed before it in this chunk still count.
      if (out.length > 0) yield out;
      throw err;
    }
    if (out.length > 0) yield out;
  }
  const out: SourceRecord[] = [];
  try {
    const tail = decoder.decode();
    if (tail.length > 0) feed(tail, out);
    feed(END_OF_INPUT, out);
  } catch (err) {
    if (out.length > 0) yield out;
    throw err;
  }
  if (out.length > 0) yield out;
  if (!asm.done) {
    throw new BodyStop('MALFORMED_BODY', 'the body ended before its JSON array was closed', line);
  }
}
