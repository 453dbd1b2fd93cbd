import { CARRIERS } from '../../../../shared/carriers';

// The reserved range is +1 NPA 555 01XX with NPA 200..999: 80,000 numbers per carrier, so every
// (carrier, msisdn) a valid row can hold fits in one small array (9 × 80,000 × 4 bytes ≈ 2.9 MB),
// whatever the size of the file.
const NUMBERS_PER_CARRIER = 800 * 100;
const RESERVED = /^\+1([2-9]\d\d)55501(\d\d)$/;
const CARRIER_INDEX = new Map(CARRIERS.map((c, i) => [c.id, i]));

/**
 * The (carrier, msisdn) pairs already seen in one file, with the line of their first valid row: a
 * later row with the same pair is refused as a duplicate, and the error names the earlier line.
 */
export class FileKeys {
  private readonly firstLine = new Int32Array(CARRIERS.length * NUMBERS_PER_CARRIER);
  // Only reached by pairs outside the registry or range, which validation refuses first.
  private readonly other = new Map<string, number>();

  /** Records `line` for the pair and returns 0, or returns the line of the earlier row. */
  claim(carrier: string, msisdn: string, line: number): number {
    const c = CARRIER_INDEX.get(carrier);
    const m = RESERVED.exec(msisdn);
    if (c === undefined || !m) {
      const key = `${carrier}|${msisdn}`;
      const seen = this.other.get(key);
      if (seen !== undefined) return seen;
      this.other.set(key, line);
      return 0;
    }
    const i = c * NUMBERS_PER_CARRIER + (Number(m[1]) - 200) * 100 + Number(m[2]);
    const seen = this.firstLine[i]!;
    if (seen !== 0) return seen;
    this.firstLine[i] = line;
    return 0;
  }
}
