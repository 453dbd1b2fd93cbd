import type { Faker } from '@faker-js/faker';
import { faker as fakerEnInstance } from '@faker-js/faker/locale/en';
import { faker as fakerEsInstance } from '@faker-js/faker/locale/es';
import { CARRIERS, type Carrier } from '../carriers';
import { DATA_CATEGORIES, type AccountType, type Channel, type DataCategory, type Locale } from '../domain';
import type { PopulationMix, SubscriberInput } from '../api/subscribers.schema';
import { SPANISH_HEAVY_REGIONS, US_REGION_WEIGHTS } from './us-regions';

export interface PopulationOptions {
  count: number;
  seed: number;
  /** Restrict to these carrier ids (unknown ids are ignored); all nine by default. */
  carriers?: readonly string[];
  /** Fractions of deliberately defective rows; none by default. */
  mix?: PopulationMix;
  /**
   * More rows than the reserved range holds: deal the numbers again from the start, so the extra rows
   * repeat earlier (carrier, msisdn) pairs. Off by default: the generator throws instead.
   */
  repeatNumbers?: boolean;
}

/**
 * NANP 555-0100..0199 gives 100 lines per area code; area codes 201..999 give 79,900 per carrier, so
 * the nine carriers hold 719,100 distinct subscribers. A larger population (a 1,000,000-row benchmark
 * file, say) necessarily repeats (carrier, msisdn) pairs: in one file the importer refuses the repeats
 * as DUPLICATE_IN_FILE; across files they are upserts of the subscribers already registered.
 */
export const MAX_PER_CARRIER = 799 * 100;

/** Distinct subscribers the reserved range holds for these carriers. */
export function populationCapacity(carrierCount: number = CARRIERS.length): number {
  return carrierCount * MAX_PER_CARRIER;
}

/** The k-th fictional number of a carrier: area code 201 + k/100, line 01XX. Unique per carrier. */
export function fictionalMsisdn(k: number): string {
  const npa = 201 + Math.floor(k / 100);
  if (k < 0 || npa > 999)
    throw new RangeError(`more than ${MAX_PER_CARRIER} numbers requested for one carrier`);
  return `+1${npa}55501${String(k % 100).padStart(2, '0')}`;
}

// A stride coprime with 79,900 (= 2²·5²·17·47) walks every number of a carrier once, in an order that
// spreads each carrier over all area codes instead of filling 201 first.
const NUMBER_STRIDE = 7919;

// Opt-out times are drawn before this instant, never from the clock: same seed, same bytes.
const REFERENCE_TIME_MS = Date.parse('2025-01-15T12:00:00Z');
const DAY_MS = 86_400_000;

// Rough market shares of the nine fictional carriers, in registry order.
const CARRIER_WEIGHTS = [22, 18, 8, 10, 9, 12, 11, 4, 6];

const RESERVED_GENERIC_DOMAINS = ['example.com', 'example.net', 'example.org'];

// How often each category was taken, by account type (DOMAIN.md §1): CDRs for everyone, audio and
// lawful-intercept requests for a targeted few, more often officials and businesses.
const EXPOSURE: Record<AccountType, Record<DataCategory, number>> = {
  consumer: {
    call_records: 1,
    sms_metadata: 0.6,
    location: 0.35,
    audio: 0.0005,
    lawful_intercept_requests: 0.001,
    account_profile: 0.2,
  },
  business: {
    call_records: 1,
    sms_metadata: 0.55,
    location: 0.3,
    audio: 0.002,
    lawful_intercept_requests: 0.004,
    account_profile: 0.3,
  },
  government: {
    call_records: 1,
    sms_metadata: 0.7,
    location: 0.45,
    audio: 0.03,
    lawful_intercept_requests: 0.05,
    account_profile: 0.4,
  },
};

const FakerClass = fakerEnInstance.constructor as typeof Faker;

/**
 * The locale entry points export one shared instance each; every population builds its own from the
 * same definitions, so two generators running at once never share a random state. (Importing only
 * `en` and `es` also keeps about 30 MB of other locales out of the api process.)
 */
function newFaker(seed: number): Faker {
  const f = new FakerClass({ locale: fakerEnInstance.rawDefinitions });
  f.seed(seed);
  return f;
}

interface NameBook {
  first: readonly string[];
  last: readonly string[];
  entity: readonly string[];
  /** How this locale composes a family name and a company name from the lists. */
  family(f: Faker, book: NameBook): string;
  company(f: Faker, book: NameBook): string;
}

const any = (f: Faker, list: readonly string[]) => list[f.number.int({ min: 0, max: list.length - 1 })]!;

function nameBook(template: Faker, family: NameBook['family'], company: NameBook['company']): NameBook {
  const p = template.rawDefinitions.person;
  const firstDefs = p?.first_name as Record<string, string[]> | undefined;
  const first = firstDefs?.generic ?? [...(firstDefs?.female ?? []), ...(firstDefs?.male ?? [])];
  const last = (p?.last_name as Record<string, string[]> | undefined)?.generic ?? [];
  const entity = (template.rawDefinitions.company?.legal_entity_type as string[] | undefined) ?? ['LLC'];
  if (first.length === 0 || last.length === 0) throw new Error('faker locale definitions lack person names');
  return { first, last, entity, family, company };
}

// Names come straight from faker's locale lists: its pattern engine costs 8–20 µs a name, the lists
// a fraction of that, and the generator must stay above 50,000 subscribers/s.
const BOOKS: Record<Locale, NameBook> = {
  en: nameBook(
    fakerEnInstance,
    (f, b) =>
      f.number.int({ min: 0, max: 19 }) === 0 ? `${any(f, b.last)}-${any(f, b.last)}` : any(f, b.last),
    (f, b) => {
      const k = f.number.int({ min: 0, max: 2 });
      if (k === 0) return `${any(f, b.last)} ${any(f, b.entity)}`;
      if (k === 1) return `${any(f, b.last)} - ${any(f, b.last)}`;
      return `${any(f, b.last)}, ${any(f, b.last)} and ${any(f, b.last)}`;
    },
  ),
  es: nameBook(
    fakerEsInstance,
    (f, b) => `${any(f, b.last)} ${any(f, b.last)}`,
    (f, b) =>
      f.number.int({ min: 0, max: 1 }) === 0
        ? `${any(f, b.last)} y ${any(f, b.last)}`
        : `${any(f, b.last)} ${any(f, b.entity)}`,
  ),
};

function cumulative(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) out[i] = sum += weights[i]!;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / sum;
  return out;
}

function pick(cum: Float64Array, r: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (r < cum[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const REGIONS = Object.keys(US_REGION_WEIGHTS);
const REGION_CUM = cumulative(Object.values(US_REGION_WEIGHTS));

const slugCache = new Map<string, string>();
function slug(s: string): string {
  let out = slugCache.get(s);
  if (out === undefined) {
    out =
      s
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .replace(/[^A-Za-z0-9]+/g, '.')
        .replace(/^\.+|\.+$/g, '')
        .toLowerCase() || 'subscriber';
    if (slugCache.size < 50_000) slugCache.set(s, out);
  }
  return out;
}

/** How a careless export mangles a good number. Every variant is refused at registration. */
const MALFORMATIONS: readonly ((n: string, digit: number) => string)[] = [
  (n) => `(${n.slice(2, 5)}) ${n.slice(5, 8)}-${n.slice(8)}`, // national format
  (n) => n.slice(1), // no plus
  (n) => `+1 ${n.slice(2, 5)} ${n.slice(5, 8)} ${n.slice(8)}`, // spaces
  (n) => n.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))), // fullwidth digits
  (n, d) => `${n.slice(0, 8)}${d === 0 ? 2 : d}${n.slice(9)}`, // outside 555-0100..0199: a real line
  (n) => `00${n.slice(1)}`, // international prefix instead of +
  (n) => `${n} ext. 12`,
];

interface RecentRow {
  carrier: Carrier;
  msisdn: string;
  email: string;
}

/**
 * A synthetic affected population, reproducible byte for byte from its options: one seeded faker
 * per locale draws everything, no clock and no global state is read. Numbers are dealt per carrier
 * in a fixed order so they never collide (until `repeatNumbers` wraps them); a full carrier's share
 * goes to the next carrier with room. The spread over carriers, regions, locales, account types and
 * exposure follows the weights above.
 */
export function* generatePopulation(opts: PopulationOptions): Generator<SubscriberInput> {
  const carriers = opts.carriers?.length
    ? CARRIERS.filter((c) => opts.carriers!.includes(c.id))
    : [...CARRIERS];
  if (carriers.length === 0) throw new RangeError('none of the requested carriers is in the registry');
  const capacity = populationCapacity(carriers.length);
  if (opts.count > capacity && !opts.repeatNumbers) {
    throw new RangeError(
      `${opts.count} subscribers requested, but the reserved range holds ${capacity} for ${carriers.length} carrier(s) (${MAX_PER_CARRIER} each)`,
    );
  }
  const carrierCum = cumulative(carriers.map((c) => CARRIER_WEIGHTS[CARRIERS.indexOf(c)] ?? 1));
  const mix = opts.mix ?? {};
  const seed = opts.seed >>> 0;
  const f = newFaker(seed);
  const dealt = new Array<number>(carriers.length).fill(0);
  const offsets = carriers.map((_, i) => (seed * 31 + i * 997) % MAX_PER_CARRIER);
  const recent: RecentRow[] = [];
  let full = 0;

  for (let i = 0; i < opts.count; i++) {
    let ci = pick(carrierCum, f.number.float());
    if (dealt[ci]! >= MAX_PER_CARRIER && full < carriers.length) {
      // This carrier is full: the next one with room takes the row.
      let j = ci;
      do j = (j + 1) % carriers.length;
      while (dealt[j]! >= MAX_PER_CARRIER && j !== ci);
      if (dealt[j]! < MAX_PER_CARRIER) ci = j;
      else full = carriers.length; // every carrier is full: repeat numbers from here on
    }
    const carrier = carriers[ci]!;
    const duplicateOf =
      mix.duplicates && recent.length > 0 && f.number.float() < mix.duplicates
        ? recent[f.number.int({ min: 0, max: recent.length - 1 })]!
        : null;
    let msisdn: string;
    let rowCarrier = carrier;
    if (duplicateOf) {
      rowCarrier = duplicateOf.carrier;
      msisdn = duplicateOf.msisdn;
    } else {
      const k = dealt[ci]!;
      dealt[ci] = k + 1;
      msisdn = fictionalMsisdn((k * NUMBER_STRIDE + offsets[ci]!) % MAX_PER_CARRIER);
      if (mix.malformedNumbers && f.number.float() < mix.malformedNumbers) {
        const variant = MALFORMATIONS[f.number.int({ min: 0, max: MALFORMATIONS.length - 1 })]!;
        msisdn = variant(msisdn, f.number.int({ min: 0, max: 9 }));
      }
    }

    const region = REGIONS[pick(REGION_CUM, f.number.float())]!;
    const locale: Locale = f.number.float() < (SPANISH_HEAVY_REGIONS.has(region) ? 0.3 : 0.08) ? 'es' : 'en';
    const book = BOOKS[locale];
    const first = any(f, book.first);
    const last = book.family(f, book);
    const t = f.number.float();
    const accountType: AccountType = t < 0.85 ? 'consumer' : t < 0.98 ? 'business' : 'government';
    const displayName = accountType === 'business' ? book.company(f, book) : `${first} ${last}`;

    let email: string;
    if (mix.sharedEmails && recent.length > 0 && f.number.float() < mix.sharedEmails) {
      email = recent[f.number.int({ min: 0, max: recent.length - 1 })]!.email;
    } else {
      const domain =
        f.number.float() < 0.75
          ? rowCarrier.emailDomain
          : RESERVED_GENERIC_DOMAINS[f.number.int({ min: 0, max: RESERVED_GENERIC_DOMAINS.length - 1 })]!;
      email = `${slug(first)}.${slug(last)}${f.number.int({ min: 1, max: 9999 })}@${domain}`;
    }

    const exposure = EXPOSURE[accountType];
    const dataCategories: DataCategory[] = [];
    for (const c of DATA_CATEGORIES) if (f.number.float() < exposure[c]) dataCategories.push(c);
    const ch = f.number.float();
    const channels: Channel[] = ch < 0.88 ? ['email', 'sms'] : ch < 0.96 ? ['sms'] : ['email'];
    const optedOutAt =
      mix.optedOut && f.number.float() < mix.optedOut
        ? new Date(REFERENCE_TIME_MS - f.number.int({ min: 1, max: 400 * DAY_MS })).toISOString()
        : null;
    const externalRef = `${rowCarrier.id.slice(0, 3).toUpperCase()}-${String(f.number.int({ min: 0, max: 999_999_999 })).padStart(9, '0')}`;

    if (!duplicateOf) {
      recent.push({ carrier: rowCarrier, msisdn, email });
      if (recent.length > 256) recent.shift();
    }
    // Every key, always in this order: the serialised population is identical byte for byte.
    yield {
      carrier: rowCarrier.id,
      msisdn,
      email,
      displayName,
      locale,
      region,
      accountType,
      dataCategories,
      channels,
      optedOutAt,
      externalRef,
    };
  }
}
