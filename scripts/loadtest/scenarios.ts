import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { faultsInput, type FaultsInput } from '../../services/carrier-sim/faults.schema';

/**
 * Load-test scenarios. A scenario is a number of campaigns triggered together and a schedule of
 * fault profiles for the carrier-sim. The file format (JSON) is the same as the built-ins below:
 *
 * {
 *   "name": "bluecrest-flap",
 *   "description": "bluecrest SMS returns 503 twice for 10 s",
 *   "campaigns": 1,
 *   "steps": [
 *     { "atProgress": 0.25, "label": "down", "faults": { "carriers": { "bluecrest-wireless": { "sms": { "outage": { "forMs": 10000, "status": 503 } } } } } },
 *     { "afterPreviousMs": 20000, "label": "down again", "faults": { ... } },
 *     { "atMs": 90000, "label": "all clear", "faults": {} }
 *   ]
 * }
 *
 * A worked example: scripts/loadtest/example-scenario.json. Steps fire once each, in order, at
 * exactly one of: `atMs` after the trigger, `atProgress` (share of all notifications terminal, 0..1),
 * or `afterPreviousMs` after the step before it fired. A step's `faults` is
 * a whole `PUT /faults` body (services/carrier-sim/faults.schema.ts): it replaces every profile, so a
 * step that should keep an earlier fault repeats it. `{}` is the carriers' defaults. After the run
 * the profiles go back to the base (`{}`, or submission limits lifted with --lift-limits).
 */

export const scenarioStep = z
  .strictObject({
    atMs: z.number().int().min(0).optional(),
    atProgress: z.number().min(0).max(1).optional(),
    afterPreviousMs: z.number().int().min(0).optional(),
    label: z.string().max(200).optional(),
    faults: faultsInput,
  })
  .refine(
    (s) => [s.atMs, s.atProgress, s.afterPreviousMs].filter((x) => x !== undefined).length === 1,
    'give exactly one of atMs, atProgress, afterPreviousMs',
  );
export type ScenarioStep = z.infer<typeof scenarioStep>;

export const scenarioFile = z.strictObject({
  name: z.string().min(1).max(100),
  description: z.string().max(2000).default(''),
  /** Campaigns triggered at once, each over the whole population. @defaultValue 1 */
  campaigns: z.number().int().min(1).max(50).default(1),
  steps: z.array(scenarioStep).max(1000).default([]),
});
export type Scenario = z.infer<typeof scenarioFile>;

const OUTAGE_CARRIER = 'bluecrest-wireless';
const THROTTLED = ['northwind-mobile', 'bluecrest-wireless', 'lakeshore-mobile'] as const;

export const BUILT_IN_SCENARIOS: Record<string, Scenario> = {
  steady: {
    name: 'steady',
    description: "One campaign, the carriers' default behaviour throughout.",
    campaigns: 1,
    steps: [],
  },
  spike: {
    name: 'spike',
    description:
      'Several campaigns (agency advisory and carrier notice, alternating) over the whole population, triggered in the same instant.',
    campaigns: 4,
    steps: [],
  },
  'carrier-outage': {
    name: 'carrier-outage',
    description: `${OUTAGE_CARRIER} down for 30 s once 30 % of the notifications are done: its SMS gateway answers 503, its mail server 421.`,
    campaigns: 1,
    steps: [
      {
        atProgress: 0.3,
        label: `${OUTAGE_CARRIER} down for 30 s`,
        faults: {
          carriers: {
            [OUTAGE_CARRIER]: {
              sms: { outage: { forMs: 30_000, status: 503 } },
              email: { outage: { forMs: 30_000, status: 421 } },
            },
          },
        },
      },
    ],
  },
  'throttle-storm': {
    name: 'throttle-storm',
    description: `From 20 % done, ${THROTTLED.join(', ')} accept only 150 SMS/s (429 with Retry-After beyond it) and 40 emails/s (421) for 20 s.`,
    campaigns: 1,
    steps: [
      {
        atProgress: 0.2,
        label: '429 storm: three carriers throttle',
        faults: {
          carriers: Object.fromEntries(
            THROTTLED.map((c) => [
              c,
              { sms: { submitLimit: { ratePerSec: 150, burst: 150 } }, email: { maxPerSec: 40 } },
            ]),
          ),
        },
      },
      { afterPreviousMs: 20_000, label: 'throttling lifted', faults: {} },
    ],
  },
  'smtp-flaky': {
    name: 'smtp-flaky',
    description: 'Every mail server answers 451 to 5 % and 421 (closing the connection) to 2 % of messages.',
    campaigns: 1,
    steps: [
      {
        atMs: 0,
        label: 'SMTP 451/421',
        faults: { all: { email: { errorRates: { '451': 0.05, '421': 0.02 } } } },
      },
    ],
  },
};

/** A built-in scenario by name, or a scenario file (JSON) by path. */
export function loadScenario(nameOrPath: string): Scenario {
  const builtIn = BUILT_IN_SCENARIOS[nameOrPath];
  if (builtIn) return builtIn;
  if (!nameOrPath.endsWith('.json')) {
    throw new Error(
      `unknown scenario "${nameOrPath}": use one of ${Object.keys(BUILT_IN_SCENARIOS).join(', ')} or a path to a .json scenario file`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(nameOrPath, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read scenario file ${nameOrPath}: ${(err as Error).message}`);
  }
  const parsed = scenarioFile.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid scenario file ${nameOrPath}:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** `over` laid on `base`, objects merged key by key (a step's own settings win). */
export function mergeFaults(base: FaultsInput, over: FaultsInput): FaultsInput {
  const merge = (a: unknown, b: unknown): unknown => {
    if (!isPlainObject(a) || !isPlainObject(b)) return b === undefined ? a : b;
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = merge(a[k], v);
    return out;
  };
  return merge(base, over) as FaultsInput;
}
