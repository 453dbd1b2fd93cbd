/**
 * US states, DC and the inhabited territories by USPS code, with a rough share of the population
 * (percent, 2020 census, rounded). Registration accepts exactly these codes as `region`; the
 * population generator spreads subscribers by these weights.
 */
export const US_REGION_WEIGHTS = {
  AL: 1.5,
  AK: 0.2,
  AZ: 2.2,
  AR: 0.9,
  CA: 11.8,
  CO: 1.7,
  CT: 1.1,
  DE: 0.3,
  DC: 0.2,
  FL: 6.5,
  GA: 3.2,
  HI: 0.4,
  ID: 0.6,
  IL: 3.8,
  IN: 2.0,
  IA: 1.0,
  KS: 0.9,
  KY: 1.4,
  LA: 1.4,
  ME: 0.4,
  MD: 1.8,
  MA: 2.1,
  MI: 3.0,
  MN: 1.7,
  MS: 0.9,
  MO: 1.8,
  MT: 0.3,
  NE: 0.6,
  NV: 0.9,
  NH: 0.4,
  NJ: 2.8,
  NM: 0.6,
  NY: 6.0,
  NC: 3.1,
  ND: 0.2,
  OH: 3.5,
  OK: 1.2,
  OR: 1.3,
  PA: 3.9,
  RI: 0.3,
  SC: 1.5,
  SD: 0.3,
  TN: 2.1,
  TX: 8.7,
  UT: 1.0,
  VT: 0.2,
  VA: 2.6,
  WA: 2.3,
  WV: 0.5,
  WI: 1.8,
  WY: 0.2,
  PR: 1.0,
  GU: 0.05,
  VI: 0.03,
  AS: 0.02,
  MP: 0.02,
} as const satisfies Record<string, number>;

export type UsRegion = keyof typeof US_REGION_WEIGHTS;

export const US_REGIONS = Object.keys(US_REGION_WEIGHTS) as [UsRegion, ...UsRegion[]];

/** Regions where the generator gives Spanish as the preferred language more often. */
export const SPANISH_HEAVY_REGIONS: ReadonlySet<string> = new Set(['PR', 'NM', 'TX', 'CA', 'AZ', 'FL', 'NV']);
