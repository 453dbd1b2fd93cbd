/**
 * Full message bodies, bounded: kept for the most recent arrivals only (a global FIFO capped by count
 * and by bytes); per-mailbox trimming is done by the arrival store through `delete`. Everything older
 * is still counted and keyed in the arrival store, just without its body.
 */
export class BodyStore<B> {
  private readonly bodies = new Map<number, { body: B; bytes: number }>();
  private readonly fifo: Int32Array;
  private head = 0;
  private length = 0;
  private bytes = 0;

  constructor(
    private readonly maxCount: number,
    private readonly maxBytes: number,
  ) {
    this.fifo = new Int32Array(Math.max(1, maxCount));
  }

  put(index: number, body: B, bytes: number): void {
    if (this.length === this.fifo.length) this.evictOldest();
    this.fifo[(this.head + this.length) % this.fifo.length] = index;
    this.length++;
    this.bodies.set(index, { body, bytes });
    this.bytes += bytes;
    while (this.bytes > this.maxBytes && this.length > 1) this.evictOldest();
  }

  get(index: number): B | undefined {
    return this.bodies.get(index)?.body;
  }

  delete(index: number): void {
    const entry = this.bodies.get(index);
    if (!entry) return;
    this.bodies.delete(index);
    this.bytes -= entry.bytes;
  }

  get size(): number {
    return this.bodies.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  private evictOldest(): void {
    const index = this.fifo[this.head] as number;
    this.head = (this.head + 1) % this.fifo.length;
    this.length--;
    this.delete(index);
  }
}
