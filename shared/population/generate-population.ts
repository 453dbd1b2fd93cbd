import { Faker, en, es } from '@faker-js/faker';
import { CARRIERS } from '../carriers';
import { ACCOUNT_TYPES, DATA_CATEGORIES, type AccountType, type DataCategory, type Locale } from '../domain';
import type { SubscriberInput } from '../api/subscribers.schema';

export interface PopulationOptions {
  count: number;
  seed: number;
  /** Restrict to these carrier ids; all nine by default. */
  carriers?: readonly string[];
}

/** NANP 555-0100..0199 gives 100 lines per area code; area codes 201..999 give 79,900 per carrier. */
export const MAX_PER_CARRIER = 799 * 100;

/** The k-th fictional number of a carrier: area code 201 + k/100, line 01XX. Unique per carrier. */
export function fictionalMsisdn(k: number): string {
  const npa = 201 + Math.floor(k / 100);
  if (npa > 999) throw new Error(`more than ${MAX_PER_CARRIER} numbers requested for one carrier`);
  return `+1${npa}55501${String(k % 100).padStart(2, '0')}`;
}

const US_STATES = [
  'CA',
  'TX',
  'FL',
  'NY',
  'PA',
  'IL',
  'OH',
  'GA',
  'NC',
  'MI',
  'NJ',
  'VA',
  'WA',
  'AZ',
  'MA',
  'CO',
  'OR',
  'UT',
];

function slug(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9]+/g, '.')
    .replace(/^\.+|\.+$/g, '')
    .toLowerCase();
}

/**
 * A synthetic affected population, reproducible byte for byte from its seed. Numbers are dealt per
 * carrier in order so they never collide; everything else comes from a seeded faker.
 */
export function* generatePopulation(opts: PopulationOptions): Generator<SubscriberInput> {
  const carriers = opts.carriers?.length
    ? CARRIERS.filter((c) => opts.carriers!.includes(c.id))
    : [...CARRIERS];
  const faker = new Faker({ locale: [en] });
  const fakerEs = new Faker({ locale: [es, en] });
  faker.seed(opts.seed);
  fakerEs.seed(opts.seed + 1);
  const nextIndex = new Map<string, number>();
  for (let i = 0; i < opts.count; i++) {
    const carrier = carriers[faker.number.int({ min: 0, max: carriers.length - 1 })]!;
    const k = nextIndex.get(carrier.id) ?? 0;
    nextIndex.set(carrier.id, k + 1);
    const locale: Locale = faker.number.float() < 0.2 ? 'es' : 'en';
    const f = locale === 'es' ? fakerEs : faker;
    const first = f.person.firstName();
    const last = f.person.lastName();
    const accountType: AccountType = faker.helpers.weightedArrayElement([
      { weight: 85, value: ACCOUNT_TYPES[0] },
      { weight: 13, value: ACCOUNT_TYPES[1] },
      { weight: 2, value: ACCOUNT_TYPES[2] },
    ]);
    const categories = new Set<DataCategory>(['call_records']);
    for (const c of DATA_CATEGORIES)
      if (faker.number.float() < (c === 'audio' ? 0.01 : 0.35)) categories.add(c);
    yield {
      carrier: carrier.id,
      msisdn: fictionalMsisdn(k),
      email: `${slug(first)}.${slug(last)}.${k}@${carrier.emailDomain}`,
      displayName: `${first} ${last}`,
      locale,
      region: faker.helpers.arrayElement(US_STATES),
      accountType,
      dataCategories: [...categories],
      channels:
        faker.number.float() < 0.9
          ? ['email', 'sms']
          : faker.helpers.arrayElement([['email'], ['sms']] as const).slice(),
    };
  }
}
