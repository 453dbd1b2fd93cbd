import { CARRIERS } from '../../shared/carriers';
import type { Channel } from '../../shared/domain';
import { BodyStore } from './body-store';
import { IndexHashTable } from './index-hash-table';
import { isoTime } from './iso-time';
import { KEY_KIND, decodeKey, encodeKey, hashKey, type EncodedKey } from './key-codec';

/**
 * Ground truth: every accepted SMS and stored email, in arrival order. Built to hold millions of
 * arrivals in little memory: fixed-width facts live in typed-array columns, pipeline keys are stored
 * as two numbers (key-codec.ts) indexed by an open-addressing table, recipients are interned once per
 * handset or mailbox, message ids are derived from the arrival index, and full bodies are kept only
 * for the most recent messages (StorageLimits). About 50 bytes per arrival, none of it traced by GC.
 */

export interface Arrival {
  channel: Channel;
  carrier: string | null;
  recipient: string;
  /** SMS: the idempotency key. Email: the Message-ID without angle brackets. */
  key: string;
  campaignId: number | null;
  at: string;
  messageId: string;
}

export interface EmailBody {
  kind: 'email';
  /** The message as received, cut at StorageLimits.maxRawEmailBytes; headers are parsed on demand. */
  raw: Buffer;
  size: number;
  truncated: boolean;
}

export type MessageBody = { kind: 'sms'; from: string; text: string } | EmailBody;

export interface StorageLimits {
  /** Full bodies kept per handset or mailbox. @defaultValue 20 */
  bodiesPerMailbox: number;
  /** Full bodies kept in all. @defaultValue 50_000 */
  maxBodies: number;
  /** Bytes of bodies kept in all. @defaultValue 64 MiB */
  maxBodyBytes: number;
  /** Bytes of one raw email kept (the rest is counted, not kept). @defaultValue 256 KiB */
  maxRawEmailBytes: number;
}

export const DEFAULT_STORAGE_LIMITS: StorageLimits = Object.freeze({
  bodiesPerMailbox: 20,
  maxBodies: 50_000,
  maxBodyBytes: 64 * 1024 * 1024,
  maxRawEmailBytes: 256 * 1024,
});

export interface NewArrival {
  channel: Channel;
  carrierId: string | null;
  recipient: string;
  key: string;
  campaignId: number | null;
  at: number;
}

export interface ArrivalFilter {
  campaignId?: number;
  channel?: Channel;
  carrierId?: string;
}

const CHANNEL_BY_CODE: readonly Channel[] = ['sms', 'email'];
const CHANNEL_CODE: Record<Channel, number> = { sms: 0, email: 1 };
const ID_PREFIX: Record<Channel, string> = { sms: 'sms', email: 'eml' };
const MESSAGE_ID = /^(sms|eml)-([0-9a-z]+)-(\d+)-(\d+)$/;
const NO_CARRIER = 255;
const CARRIER_INDEX = new Map(CARRIERS.map((c, i) => [c.id, i]));
/**
 * Columns start with room for 2^20 arrivals (≈ 45 MB of address space). Fresh typed arrays are
 * zero pages the OS backs only when written, so the room costs RSS only as it fills, and a run of
 * up to a million arrivals never copies a column (copies leave freed blocks the allocator keeps).
 */
const INITIAL_CAPACITY = 1 << 20;

type Column = Uint8Array | Int32Array | Uint32Array | Float64Array;

function grow<T extends Column>(col: T, capacity: number): T {
  const next = new (col.constructor as new (n: number) => T)(capacity);
  next.set(col);
  return next;
}

/** Handsets (SMS) or mailboxes (email): interned addresses, newest arrival and count per box. */
class Boxes {
  readonly ids = new Map<string, number>();
  readonly addresses: string[] = [];
  last = new Int32Array(1024);
  count = new Int32Array(1024);

  idFor(address: string): number {
    let id = this.ids.get(address);
    if (id === undefined) {
      id = this.addresses.length;
      this.addresses.push(address);
      this.ids.set(address, id);
      if (id >= this.last.length) {
        this.last = grow(this.last, this.last.length * 2);
        this.count = grow(this.count, this.count.length * 2);
      }
      this.last[id] = -1;
    }
    return id;
  }
}

export class ArrivalStore {
  private n = 0;
  private generation = 0;
  private channelCol = new Uint8Array(INITIAL_CAPACITY);
  private carrierCol = new Uint8Array(INITIAL_CAPACITY);
  private keyKindCol = new Uint8Array(INITIAL_CAPACITY);
  private keyACol = new Uint32Array(INITIAL_CAPACITY);
  private keyBCol = new Uint32Array(INITIAL_CAPACITY);
  private atCol = new Float64Array(INITIAL_CAPACITY);
  private campaignCol = new Float64Array(INITIAL_CAPACITY); // NaN: no campaign
  private boxCol = new Int32Array(INITIAL_CAPACITY);
  private prevCol = new Int32Array(INITIAL_CAPACITY); // previous arrival in the same box, -1: none
  private textKeys = new Map<number, string>(); // keys that are not pipeline keys, by arrival index
  private keyIndex = this.newKeyIndex();
  private readonly scratch: EncodedKey = { kind: 0, a: 0, b: 0, text: '' };
  private boxes = { sms: new Boxes(), email: new Boxes() };
  private bodies: BodyStore;

  constructor(
    /** Part of every message id, so ids from another run (seed) are not confused with this one's. */
    private readonly runTag: string,
    private readonly limits: StorageLimits = DEFAULT_STORAGE_LIMITS,
  ) {
    this.bodies = new BodyStore(limits.maxBodies, limits.maxBodyBytes, INITIAL_CAPACITY);
  }

  get count(): number {
    return this.n;
  }

  get storedBodies(): { count: number; bytes: number } {
    return { count: this.bodies.size, bytes: this.bodies.totalBytes };
  }

  /** Generation changes on every reset; a reader streaming arrivals stops when it changes. */
  get currentGeneration(): number {
    return this.generation;
  }

  /** The arrival index for a key (idempotency key or Message-ID) on a channel, or -1. */
  find(channel: Channel, key: string): number {
    const k = encodeKey(key, this.scratch);
    return this.lookup(
      CHANNEL_CODE[channel],
      k.kind,
      k.a,
      k.b,
      k.text,
      hashKey(CHANNEL_CODE[channel], k.kind, k.a, k.b, k.text),
    );
  }

  /**
   * Records an arrival and returns its index. The first arrival for a key owns it: `find` keeps
   * returning it (an email to several recipients gives several arrivals under one Message-ID).
   */
  add(a: NewArrival): number {
    if (this.n === this.atCol.length) this.growColumns();
    const i = this.n;
    const channel = CHANNEL_CODE[a.channel];
    const boxes = this.boxes[a.channel];
    const box = boxes.idFor(a.recipient);
    const key = encodeKey(a.key, this.scratch);
    const hash = hashKey(channel, key.kind, key.a, key.b, key.text);
    const owned = this.lookup(channel, key.kind, key.a, key.b, key.text, hash) >= 0;
    this.channelCol[i] = channel;
    this.carrierCol[i] = a.carrierId === null ? NO_CARRIER : (CARRIER_INDEX.get(a.carrierId) ?? NO_CARRIER);
    this.keyKindCol[i] = key.kind;
    this.keyACol[i] = key.a;
    this.keyBCol[i] = key.b;
    if (key.kind === KEY_KIND.string) this.textKeys.set(i, key.text);
    this.atCol[i] = a.at;
    this.campaignCol[i] = a.campaignId ?? Number.NaN;
    this.boxCol[i] = box;
    this.prevCol[i] = boxes.last[box] as number;
    boxes.last[box] = i;
    boxes.count[box] = (boxes.count[box] as number) + 1;
    this.n++;
    if (!owned) this.keyIndex.insert(hash, i);
    return i;
  }

  keepSmsBody(i: number, text: string, from: string): void {
    this.bodies.putSms(i, text, from);
    this.trimBox(i);
  }

  keepEmailBody(i: number, body: EmailBody): void {
    this.bodies.putEmail(i, body);
    this.trimBox(i);
  }

  arrival(i: number): Arrival {
    const channel = this.channelOf(i);
    const campaign = this.campaignCol[i] as number;
    return {
      channel,
      carrier: this.carrierIdOf(i),
      recipient: this.recipientOf(i),
      key: this.keyOf(i),
      campaignId: Number.isNaN(campaign) ? null : campaign,
      at: isoTime(this.atCol[i] as number),
      messageId: this.messageId(i),
    };
  }

  keyOf(i: number): string {
    return decodeKey(
      this.keyKindCol[i] as number,
      this.keyACol[i] as number,
      this.keyBCol[i] as number,
      this.textKeys.get(i),
    );
  }

  carrierIdOf(i: number): string | null {
    const code = this.carrierCol[i] as number;
    return code === NO_CARRIER ? null : (CARRIERS[code]?.id ?? null);
  }

  recipientOf(i: number): string {
    return this.boxes[this.channelOf(i)].addresses[this.boxCol[i] as number] as string;
  }

  messageId(i: number): string {
    return `${ID_PREFIX[this.channelOf(i)]}-${this.runTag}-${this.generation}-${i}`;
  }

  /** The arrival index a message id names, or -1 (unknown, or from another run or before a reset). */
  indexOfMessageId(id: string): number {
    const m = MESSAGE_ID.exec(id);
    if (!m || m[2] !== this.runTag || Number(m[3]) !== this.generation) return -1;
    const i = Number(m[4]);
    if (i >= this.n || ID_PREFIX[this.channelOf(i)] !== m[1]) return -1;
    return i;
  }

  body(i: number): MessageBody | undefined {
    const b = this.bodies.get(i);
    if (!b) return undefined;
    return 'kind' in b ? b : { kind: 'sms', from: b.from, text: b.text };
  }

  matches(i: number, f: ArrivalFilter): boolean {
    if (f.channel !== undefined && this.channelCol[i] !== CHANNEL_CODE[f.channel]) return false;
    if (f.campaignId !== undefined && this.campaignCol[i] !== f.campaignId) return false;
    if (f.carrierId !== undefined && this.carrierCol[i] !== (CARRIER_INDEX.get(f.carrierId) ?? NO_CARRIER))
      return false;
    return true;
  }

  /** A handset's or mailbox's arrivals, newest first. */
  inbox(channel: Channel, recipient: string, limit: number): { total: number; indices: number[] } {
    const boxes = this.boxes[channel];
    const box = boxes.ids.get(recipient);
    if (box === undefined) return { total: 0, indices: [] };
    const indices: number[] = [];
    for (let i = boxes.last[box] as number; i >= 0 && indices.length < limit; i = this.prevCol[i] as number) {
      indices.push(i);
    }
    return { total: boxes.count[box] as number, indices };
  }

  /** Recipients with recent arrivals on a channel, newest first (scans the last `scan` arrivals). */
  recentRecipients(channel: Channel, max: number, scan = 5_000): string[] {
    const seen = new Set<string>();
    const code = CHANNEL_CODE[channel];
    for (let i = this.n - 1; i >= 0 && i >= this.n - scan && seen.size < max; i--) {
      if (this.channelCol[i] === code) seen.add(this.recipientOf(i));
    }
    return [...seen];
  }

  reset(): void {
    this.n = 0;
    this.generation++;
    this.channelCol = new Uint8Array(INITIAL_CAPACITY);
    this.carrierCol = new Uint8Array(INITIAL_CAPACITY);
    this.keyKindCol = new Uint8Array(INITIAL_CAPACITY);
    this.keyACol = new Uint32Array(INITIAL_CAPACITY);
    this.keyBCol = new Uint32Array(INITIAL_CAPACITY);
    this.atCol = new Float64Array(INITIAL_CAPACITY);
    this.campaignCol = new Float64Array(INITIAL_CAPACITY);
    this.boxCol = new Int32Array(INITIAL_CAPACITY);
    this.prevCol = new Int32Array(INITIAL_CAPACITY);
    this.textKeys = new Map();
    this.keyIndex = this.newKeyIndex();
    this.boxes = { sms: new Boxes(), email: new Boxes() };
    this.bodies = new BodyStore(this.limits.maxBodies, this.limits.maxBodyBytes, INITIAL_CAPACITY);
  }

  private newKeyIndex(): IndexHashTable {
    return new IndexHashTable(INITIAL_CAPACITY * 2, (i) =>
      hashKey(
        this.channelCol[i] as number,
        this.keyKindCol[i] as number,
        this.keyACol[i] as number,
        this.keyBCol[i] as number,
        this.textKeys.get(i),
      ),
    );
  }

  private lookup(channel: number, kind: number, a: number, b: number, text: string, hash: number): number {
    const table = this.keyIndex;
    for (let s = table.start(hash); ; s = table.next(s)) {
      const i = table.at(s);
      if (i < 0) return -1;
      if (this.channelCol[i] !== channel || this.keyKindCol[i] !== kind) continue;
      if (
        kind === KEY_KIND.string
          ? this.textKeys.get(i) === text
          : this.keyACol[i] === a && this.keyBCol[i] === b
      ) {
        return i;
      }
    }
  }

  private channelOf(i: number): Channel {
    return CHANNEL_BY_CODE[this.channelCol[i] as number] as Channel;
  }

  /** Drops the body that just fell out of this box's most recent N. */
  private trimBox(i: number): void {
    let j = i;
    for (let k = 0; k < this.limits.bodiesPerMailbox && j >= 0; k++) j = this.prevCol[j] as number;
    if (j >= 0) this.bodies.delete(j);
  }

  private growColumns(): void {
    const capacity = this.atCol.length * 2;
    this.channelCol = grow(this.channelCol, capacity);
    this.carrierCol = grow(this.carrierCol, capacity);
    this.keyKindCol = grow(this.keyKindCol, capacity);
    this.keyACol = grow(this.keyACol, capacity);
    this.keyBCol = grow(this.keyBCol, capacity);
    this.atCol = grow(this.atCol, capacity);
    this.campaignCol = grow(this.campaignCol, capacity);
    this.boxCol = grow(this.boxCol, capacity);
    this.prevCol = grow(this.prevCol, capacity);
  }
}
