/**
 * An open-addressing hash table of arrival indices (linear probing, load ≤ 1/2) on an Int32Array:
 * 8–16 bytes per entry and nothing for the garbage collector to trace, where a Map of strings costs
 * ~80. The owner keeps the keys; it probes with `start`/`next`/`at` and compares keys itself, so the
 * hot path calls no closure and allocates nothing.
 */
export class IndexHashTable {
  private slots: Int32Array; // arrival index + 1; 0 marks an empty slot
  private size = 0;

  /** `initialCapacity` must be a power of two. */
  constructor(
    initialCapacity: number,
    private readonly hashAt: (index: number) => number,
  ) {
    this.slots = new Int32Array(initialCapacity);
  }

  /** First slot to probe for a hash. */
  start(hash: number): number {
    return hash & (this.slots.length - 1);
  }

  next(slot: number): number {
    return (slot + 1) & (this.slots.length - 1);
  }

  /** The arrival index in a slot, or -1 for an empty slot (the end of the probe). */
  at(slot: number): number {
    return (this.slots[slot] as number) - 1;
  }

  insert(hash: number, index: number): void {
    if ((this.size + 1) * 2 > this.slots.length) this.grow();
    this.place(hash, index);
    this.size++;
  }

  private place(hash: number, index: number): void {
    const mask = this.slots.length - 1;
    let s = hash & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = index + 1;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    for (const v of old) if (v !== 0) this.place(this.hashAt(v - 1), v - 1);
  }
}
