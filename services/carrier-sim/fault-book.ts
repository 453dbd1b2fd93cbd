import { CARRIERS, findCarrier, type Carrier } from '../../shared/carriers';
import type { CarrierFaults, EmailFaults, FaultsInput, SmsFaults } from './faults.schema';
import { createRandom, hash32, stableUniform, type Random } from './prng';
import { TokenBucket } from './token-bucket';

/** Email to a reserved domain that belongs to no carrier (example.com, *.test, ...) uses this key. */
export const NO_CARRIER_KEY = 'reserved';

export interface Latency {
  p50: number;
  p99: number;
}

export interface Outage<S extends number> {
  untilMs: number;
  status: S;
}

export interface ReceiptProfile {
  latencyMs: Latency;
  delayMs: number;
  duplicateRate: number;
  reorder: boolean;
  dropRate: number;
  undeliverableRate: number;
  expiredRate: number;
}

export type SmsRequestOutcome = 'ok' | 500 | 502 | 503 | 'timeout';

export interface SmsProfile {
  latencyMs: Latency;
  errorRates: { outcome: Exclude<SmsRequestOutcome, 'ok'>; rate: number }[];
  timeout: { afterMs: number; mode: 'late' | 'destroy'; processed: boolean };
  submitLimit: { ratePerSec: number; burst: number } | null;
  rejectRate: number;
  blocked: ReadonlySet<string>;
  outage: Outage<500 | 502 | 503> | null;
  receipts: ReceiptProfile;
}

export type SmtpStage = 'rcpt' | 'data';
export type SmtpFaultCode = 421 | 451 | 550;

export interface EmailProfile {
  latencyMs: Latency | null;
  verbDelayMs: { connect: number; mail: number; rcpt: number; data: number };
  errorRates: { code: SmtpFaultCode; rate: number }[];
  errorStage: SmtpStage;
  maxPerSec: number | null;
  dropRate: number;
  dropStage: SmtpStage;
  outage: Outage<SmtpFaultCode> | null;
}

export type RandomStream = 'sms' | 'email' | 'receipts';

const DEFAULT_TIMEOUT = { afterMs: 15_000, mode: 'late', processed: true } as const;

/**
 * The live fault profiles, the seeded PRNG streams (one per carrier and stream) and the submission
 * token buckets. `put` replaces the whole profile set and reseeds; `reset` goes back to defaults.
 */
export class FaultBook {
  private doc: FaultsInput = {};
  private seed: number;
  private readonly smsProfiles = new Map<string, SmsProfile>();
  private readonly emailProfiles = new Map<string, EmailProfile>();
  private readonly randoms = {
    sms: new Map<string, Random>(),
    email: new Map<string, Random>(),
    receipts: new Map<string, Random>(),
  };
  private readonly buckets = new Map<string, TokenBucket | null>();

  constructor(
    private readonly defaultSeed: number,
    private readonly now: () => number,
  ) {
    this.seed = defaultSeed;
  }

  /** What `GET /faults` shows: the seed and the profiles as stored (outage `forMs` turned into `until`). */
  describe(): FaultsInput & { seed: number } {
    return { ...this.doc, seed: this.seed };
  }

  put(input: FaultsInput): void {
    const nowMs = this.now();
    const carriers: NonNullable<FaultsInput['carriers']> = {};
    for (const [id, faults] of Object.entries(input.carriers ?? {})) {
      if (faults) carriers[id as keyof typeof carriers] = withAbsoluteOutages(faults, nowMs);
    }
    this.doc = {
      ...(input.all ? { all: withAbsoluteOutages(input.all, nowMs) } : {}),
      ...(input.carriers ? { carriers } : {}),
    };
    this.seed = input.seed ?? this.defaultSeed;
    this.clearDerived();
  }

  reset(): void {
    this.doc = {};
    this.seed = this.defaultSeed;
    this.clearDerived();
  }

  currentSeed(): number {
    return this.seed;
  }

  sms(carrier: Carrier): SmsProfile {
    let p = this.smsProfiles.get(carrier.id);
    if (!p) {
      p = resolveSms(carrier, merged(this.doc.all?.sms, this.carrierEntry(carrier.id)?.sms));
      this.smsProfiles.set(carrier.id, p);
    }
    return p;
  }

  smsById(carrierId: string): SmsProfile | undefined {
    const carrier = findCarrier(carrierId);
    return carrier ? this.sms(carrier) : undefined;
  }

  /** `carrierKey` is a carrier id or NO_CARRIER_KEY. */
  email(carrierKey: string): EmailProfile {
    let p = this.emailProfiles.get(carrierKey);
    if (!p) {
      p = resolveEmail(merged(this.doc.all?.email, this.carrierEntry(carrierKey)?.email));
      this.emailProfiles.set(carrierKey, p);
    }
    return p;
  }

  /** The connection-level email profile (connect and MAIL FROM come before any recipient). */
  emailConnection(): EmailProfile {
    return this.email(NO_CARRIER_KEY);
  }

  random(carrierKey: string, stream: RandomStream): Random {
    let r = this.randoms[stream].get(carrierKey);
    if (!r) {
      r = createRandom(hash32(`${this.seed}:${carrierKey}:${stream}`));
      this.randoms[stream].set(carrierKey, r);
    }
    return r;
  }

  smsBucket(carrier: Carrier): TokenBucket | null {
    const key = `sms:${carrier.id}`;
    if (!this.buckets.has(key)) {
      const limit = this.sms(carrier).submitLimit;
      this.buckets.set(key, limit ? new TokenBucket(limit.ratePerSec, limit.burst, this.now()) : null);
    }
    return this.buckets.get(key) ?? null;
  }

  emailBucket(carrierKey: string): TokenBucket | null {
    const key = `email:${carrierKey}`;
    if (!this.buckets.has(key)) {
      const rate = this.email(carrierKey).maxPerSec;
      this.buckets.set(key, rate ? new TokenBucket(rate, Math.max(rate, 1), this.now()) : null);
    }
    return this.buckets.get(key) ?? null;
  }

  /** Permanent per-number rejection: a stable subset for a given seed, carrier and number. */
  isBlocked(carrier: Carrier, msisdn: string): boolean {
    const p = this.sms(carrier);
    if (p.blocked.has(msisdn)) return true;
    return p.rejectRate > 0 && stableUniform(`${this.seed}:${carrier.id}:${msisdn}`) < p.rejectRate;
  }

  /** One request's fate: always three draws, so the sequence does not depend on the outcome. */
  drawSmsRequest(carrier: Carrier): { outcome: SmsRequestOutcome; latencyMs: number } {
    const p = this.sms(carrier);
    const rng = this.random(carrier.id, 'sms');
    const r = rng.next();
    const latencyMs = rng.latency(p.latencyMs.p50, p.latencyMs.p99);
    return { outcome: pickByRate(p.errorRates, r, 'outcome') ?? 'ok', latencyMs };
  }

  /** One SMTP stage's fate for a carrier: an injected reply code, a drop, or nothing. */
  drawEmailStage(
    carrierKey: string,
    stage: SmtpStage,
  ): { code: SmtpFaultCode | null; drop: boolean; latencyMs: number } {
    const p = this.email(carrierKey);
    const rng = this.random(carrierKey, 'email');
    const r = rng.next();
    const drop = rng.chance(p.dropRate);
    const latencyMs = stage === 'data' && p.latencyMs ? rng.latency(p.latencyMs.p50, p.latencyMs.p99) : 0;
    return {
      code: p.errorStage === stage ? (pickByRate(p.errorRates, r, 'code') ?? null) : null,
      drop: p.dropStage === stage && drop,
      latencyMs,
    };
  }

  private carrierEntry(carrierKey: string): CarrierFaults | undefined {
    return (this.doc.carriers as Record<string, CarrierFaults | undefined> | undefined)?.[carrierKey];
  }

  private clearDerived(): void {
    this.smsProfiles.clear();
    this.emailProfiles.clear();
    for (const streams of Object.values(this.randoms)) streams.clear();
    this.buckets.clear();
  }
}

function pickByRate<T extends { rate: number }, K extends keyof T>(
  entries: T[],
  r: number,
  field: K,
): T[K] | undefined {
  let acc = 0;
  for (const e of entries) {
    acc += e.rate;
    if (r < acc) return e[field];
  }
  return undefined;
}

/** Knob groups merged one level down; everything else (errorRates, latencyMs, outage...) is replaced whole. */
const MERGED_GROUPS = new Set(['receipts', 'timeout', 'verbDelayMs']);

/** A carrier's entry over `all`, field by field, so `all` can set one receipt knob and a carrier another. */
function merged<T extends object>(base: T | undefined, own: T | undefined): Partial<T> {
  const out: Record<string, unknown> = { ...(base ?? {}) };
  for (const [k, v] of Object.entries(own ?? {})) {
    out[k] = MERGED_GROUPS.has(k) ? { ...(out[k] as object | undefined), ...(v as object) } : v;
  }
  return out as Partial<T>;
}

function withAbsoluteOutages(faults: CarrierFaults, nowMs: number): CarrierFaults {
  const abs = <O extends { until?: string; forMs?: number }>(o: O | undefined): O | undefined => {
    if (!o || o.forMs === undefined) return o;
    const { forMs, ...rest } = o;
    return { ...rest, until: new Date(nowMs + forMs).toISOString() } as O;
  };
  return {
    ...(faults.sms ? { sms: { ...faults.sms, outage: abs(faults.sms.outage) } } : {}),
    ...(faults.email ? { email: { ...faults.email, outage: abs(faults.email.outage) } } : {}),
  };
}

function resolveOutage<S extends number>(
  o: { until?: string; status?: S } | undefined,
  fallback: S,
): Outage<S> | null {
  if (!o?.until) return null;
  return { untilMs: Date.parse(o.until), status: o.status ?? fallback };
}

function resolveSms(carrier: Carrier, f: Partial<SmsFaults>): SmsProfile {
  const limit = f.submitLimit;
  const r = f.receipts ?? {};
  return {
    latencyMs: f.latencyMs ?? carrier.profile.responseLatencyMs,
    errorRates: (['500', '502', '503', 'timeout'] as const)
      .map((k) => ({
        outcome: k === 'timeout' ? k : (Number(k) as 500 | 502 | 503),
        rate: f.errorRates?.[k] ?? 0,
      }))
      .filter((e) => e.rate > 0),
    timeout: { ...DEFAULT_TIMEOUT, ...(f.timeout ?? {}) },
    submitLimit:
      limit === 'off'
        ? null
        : limit
          ? { ratePerSec: limit.ratePerSec, burst: limit.burst ?? limit.ratePerSec }
          : { ratePerSec: carrier.submitRatePerSec, burst: carrier.submitRatePerSec },
    rejectRate: f.rejectRate ?? 0,
    blocked: new Set(f.blocked ?? []),
    outage: resolveOutage(f.outage, 503),
    receipts: {
      latencyMs: r.latencyMs ?? carrier.profile.receiptLatencyMs,
      delayMs: r.delayMs ?? 0,
      duplicateRate: r.duplicateRate ?? 0,
      reorder: r.reorder ?? false,
      dropRate: r.dropRate ?? 0,
      undeliverableRate: r.undeliverableRate ?? 0,
      expiredRate: r.expiredRate ?? 0,
    },
  };
}

function resolveEmail(f: Partial<EmailFaults>): EmailProfile {
  return {
    latencyMs: f.latencyMs ?? null,
    verbDelayMs: { connect: 0, mail: 0, rcpt: 0, data: 0, ...(f.verbDelayMs ?? {}) },
    errorRates: (['421', '451', '550'] as const)
      .map((k) => ({ code: Number(k) as SmtpFaultCode, rate: f.errorRates?.[k] ?? 0 }))
      .filter((e) => e.rate > 0),
    errorStage: f.errorStage ?? 'rcpt',
    maxPerSec: f.maxPerSec ?? null,
    dropRate: f.dropRate ?? 0,
    dropStage: f.dropStage ?? 'data',
    outage: resolveOutage(f.outage, 421),
  };
}

/** Every carrier key the email side can see: the nine carriers and reserved non-carrier domains. */
export const EMAIL_CARRIER_KEYS: readonly string[] = [...CARRIERS.map((c) => c.id), NO_CARRIER_KEY];
