import type { EmailBody } from './arrival-store';
import { StringInterner } from './string-interner';

const INTERNED_STRINGS = 4096; // distinct texts and senders shared at once

/**
 * Full message bodies, bounded: a ring of the most recent `maxCount` bodies, also capped in bytes;
 * the arrival store trims each handset or mailbox to its most recent N through `delete`. An SMS body
 * is kept as two strings (text, sender) rather than an object, so millions of them churn little.
 */
export class BodyStore {
  private slotOf: Int32Array; // arrival index → ring slot + 1, 0: no body
  private readonly owner: Int32Array; // ring slot → arrival index, -1: free
  private readonly payload: (string | EmailBody | undefined)[];
  private readonly sender: (string | undefined)[];
  private readonly sizes: Int32Array;
  private next = 0;
  private count = 0;
  private bytes = 0;
  private readonly interner = new StringInterner(INTERNED_STRINGS);

  constructor(
    maxCount: number,
    private readonly maxBytes: number,
    expectedArrivals: number,
  ) {
    this.slotOf = new Int32Array(expectedArrivals);
    const n = Math.max(1, maxCount);
    this.owner = new Int32Array(n).fill(-1);
    this.payload = new Array<string | EmailBody | undefined>(n).fill(undefined);
    this.sender = new Array<string | undefined>(n).fill(undefined);
    this.sizes = new Int32Array(n);
  }

  putSms(index: number, text: string, from: string): void {
    this.put(
      index,
      this.interner.intern(text),
      this.interner.intern(from),
      64 + 2 * (text.length + from.length),
    );
  }

  putEmail(index: number, body: EmailBody): void {
    this.put(index, body, undefined, 256 + body.raw.length);
  }

  /** The SMS text and sender, or the email, or undefined when the body is not kept. */
  get(index: number): { text: string; from: string } | EmailBody | undefined {
    const slot = index < this.slotOf.length ? (this.slotOf[index] as number) - 1 : -1;
    if (slot < 0) return undefined;
    const p = this.payload[slot];
    return typeof p === 'string' ? { text: p, from: this.sender[slot] ?? '' } : p;
  }

  delete(index: number): void {
    const slot = index < this.slotOf.length ? (this.slotOf[index] as number) - 1 : -1;
    if (slot >= 0) this.free(slot);
  }

  get size(): number {
    return this.count;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  private put(index: number, payload: string | EmailBody, from: string | undefined, size: number): void {
    if (index >= this.slotOf.length) {
      const grown = new Int32Array(Math.max(index + 1, this.slotOf.length * 2));
      grown.set(this.slotOf);
      this.slotOf = grown;
    }
    const slot = this.next;
    this.next = (this.next + 1) % this.owner.length;
    if ((this.owner[slot] as number) >= 0) this.free(slot);
    this.owner[slot] = index;
    this.payload[slot] = payload;
    this.sender[slot] = from;
    this.sizes[slot] = size;
    this.slotOf[index] = slot + 1;
    this.count++;
    this.bytes += size;
    // Over the byte budget: free the oldest bodies, walking the ring forward from the newest.
    for (let s = this.next; this.bytes > this.maxBytes && s !== slot; s = (s + 1) % this.owner.length) {
      if ((this.owner[s] as number) >= 0) this.free(s);
    }
  }

  private free(slot: number): void {
    this.slotOf[this.owner[slot] as number] = 0;
    this.owner[slot] = -1;
    this.payload[slot] = undefined;
    this.sender[slot] = undefined;
    this.count--;
    this.bytes -= this.sizes[slot] as number;
  }
}
