/**
 * Shares one copy of strings that repeat (an SMS notice's text, its sender). Bodies live for about a
 * second at full load before the ring evicts them; without sharing, each parsed copy would survive
 * into the old generation and leave it as garbage, which is what grows a loaded sim's RSS.
 */
export class StringInterner {
  private strings = new Map<string, string>();

  /** @param maxEntries distinct strings remembered before the table starts over */
  constructor(private readonly maxEntries: number) {}

  intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    if (this.strings.size >= this.maxEntries) this.strings = new Map();
    this.strings.set(s, s);
    return s;
  }
}
