import { CARRIERS } from '../../../../shared/carriers';

// The reserved range is +1 NPA 555 01XX with NPA 200..999: 80,000 numbers per carrier, so every
// (carrier, msisdn) a valid row can hold fits in one small array (9 × 80,000 × 4 bytes ≈ 2.9 MB),
// whatever the size of the file.
const NUMBERS_PER_CARRIER = 800 * 100;
const RESERVED = /^\+1([2-9]\d\d)55501(\d\d)$/;
const CARRIER_INDEX = new Map(CARRIERS.map((c, i) => [c.id, i]));

function digit(s: string, at: number): number {
  return s.charCodeAt(at) - 48;
}

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
    if (c === undefined || !RESERVED.test(msisdn)) {
      const key = `${carrier}|${msisdn}`;
      const seen = this.other.get(key);
      if (seen !== undefined) return seen;
      this.other.set(key, line);
      return 0;
    }
    // +1 N P A 5 5 5 0 1 X Y: digits at 2..4 (area code) and 10..11 (line)
    const npa = digit(msisdn, 2) * 100 + digit(msisdn, 3) * 10 + digit(msisdn, 4);
    const i = c * NUMBERS_PER_CARRIER + (npa - 200) * 100 + digit(msisdn, 10) * 10 + digit(msisdn, 11);
    const seen = this.firstLine[i]!;
    if (seen !== 0) return seen;
    this.firstLine[i] = line;
    return 0;
  }
}
