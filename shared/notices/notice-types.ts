import type { Carrier } from '../carriers';
import type { DataCategory, Locale, NoticeKind, TlpLabel } from '../domain';
import type { SegmentInfo } from './sms-segments';

/** What a notice needs to know about the incident; a projection of the incident record. */
export interface NoticeIncident {
  id: number;
  exerciseId: string;
  title: string;
  threatActor: string;
  dataCategories: DataCategory[];
  windowStart: Date;
  windowEnd: Date;
  determinedAt: Date;
  tlp: TlpLabel;
  advisoryId: string;
  lawEnforcementDelayed: boolean;
}

/** The kinds a correction can correct: the customer-facing ones. */
export type CorrectedKind = Extract<NoticeKind, 'agency-advisory' | 'carrier-notice'>;

export interface NoticeContext {
  kind: NoticeKind;
  locale: Locale;
  /** The exercise marker (config EXERCISE_MARKER) that starts and ends every artifact. */
  marker: string;
  campaignId: number;
  /** The date printed as the notice date; rendering never reads the clock. */
  noticeDate: Date;
  incident: NoticeIncident;
  carrier: Carrier;
  recipient: { displayName: string | null };
  /**
   * For `kind: 'correction'`: the kind of the notice being corrected, which decides who the
   * correction comes from (DOMAIN.md §2: "whoever sent the original").
   * @defaultValue 'carrier-notice'
   */
  correctionOf?: CorrectedKind;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

export interface RenderedSms {
  text: string;
  segments: SegmentInfo;
}
