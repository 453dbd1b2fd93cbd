/**
 * The nine fictional carriers (DOMAIN.md §1). No real carrier is named anywhere the simulator sends;
 * `REAL_CARRIER_NAMES` in safety.ts lists the names that are refused in sender and brand fields.
 */

export interface CarrierProfile {
  /** Median and 99th-percentile delay between acceptance and the delivery receipt, in ms. */
  receiptLatencyMs: { p50: number; p99: number };
  /** Median and 99th-percentile gateway response time, in ms. */
  responseLatencyMs: { p50: number; p99: number };
}

export interface Carrier {
  id: string;
  name: string;
  /** Reserved (RFC 2606 `.test`) email domain for this carrier's customers. */
  emailDomain: string;
  /** Short code or long number the carrier's notices come from (fictional). */
  smsSender: string;
  /** API key the SMS gateway of the carrier-sim expects (a simulator credential, not a secret). */
  gatewayKey: string;
  /** The carrier's submission limit in messages per second, enforced by the gateway's token bucket. */
  submitRatePerSec: number;
  /** Public support contact printed in notices (fictional). */
  supportPhone: string;
  supportUrl: string;
  postalAddress: string;
  profile: CarrierProfile;
}

function carrier(
  index: number,
  id: string,
  name: string,
  submitRatePerSec: number,
  receiptP50: number,
  postalAddress: string,
): Carrier {
  const domain = `${id}.test`;
  return {
    id,
    name,
    emailDomain: domain,
    smsSender: `+1202555019${index}`, // NANP 555-0190..0198, reserved for fiction
    gatewayKey: `sim-${id}-gateway-key`,
    submitRatePerSec,
    supportPhone: '+12025550100',
    supportUrl: `https://support.${domain}/breach`,
    postalAddress,
    profile: {
      receiptLatencyMs: { p50: receiptP50, p99: receiptP50 * 4 },
      responseLatencyMs: { p50: 2, p99: 15 },
    },
  };
}

export const CARRIERS: readonly Carrier[] = Object.freeze([
  carrier(0, 'northwind-mobile', 'Northwind Mobile', 3000, 40, '100 Harbor Way, Port Alder, WA 98000'),
  carrier(1, 'bluecrest-wireless', 'Bluecrest Wireless', 2500, 60, '2200 Ridge Rd, Pine Hollow, CO 80000'),
  carrier(2, 'prairie-link', 'Prairie Link Telecom', 1500, 80, '15 Grain St, Wheatfield, KS 66000'),
  carrier(3, 'harborview-cellular', 'Harborview Cellular', 2000, 50, '8 Pier Ave, Gull Bay, ME 04000'),
  carrier(4, 'redrock-comms', 'Redrock Communications', 2000, 70, '410 Mesa Blvd, Canyon Flats, AZ 85000'),
  carrier(5, 'lakeshore-mobile', 'Lakeshore Mobile', 2500, 45, '77 Shoreline Dr, Lake Ember, MI 49000'),
  carrier(6, 'summitwave', 'Summitwave Wireless', 3000, 35, '1 Summit Pl, High Pass, UT 84000'),
  carrier(7, 'cedar-valley', 'Cedar Valley Telephone', 1000, 120, '3 Mill Ln, Cedar Valley, OR 97000'),
  carrier(8, 'tidewater-telecom', 'Tidewater Telecom', 2000, 55, '500 Estuary Rd, Saltmarsh, SC 29000'),
]);

const BY_ID = new Map(CARRIERS.map((c) => [c.id, c]));

export const CARRIER_IDS = CARRIERS.map((c) => c.id) as [string, ...string[]];

export function findCarrier(id: string): Carrier | undefined {
  return BY_ID.get(id);
}

export function getCarrier(id: string): Carrier {
  const c = BY_ID.get(id);
  if (!c) throw new Error(`unknown carrier ${id}`);
  return c;
}

/** The carrier whose customers use this email domain, if any. */
export function carrierForEmailDomain(domain: string): Carrier | undefined {
  return CARRIERS.find((c) => c.emailDomain === domain.toLowerCase());
}
