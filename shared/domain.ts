/**
 * Closed vocabularies of the domain, defined once (STYLE.md §10). Everything that names a state, a
 * channel, an event type or a notice kind imports it from here.
 */

export const CHANNELS = ['email', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

/** DOMAIN.md §1: what the intruders took. */
export const DATA_CATEGORIES = [
  'call_records',
  'sms_metadata',
  'location',
  'audio',
  'lawful_intercept_requests',
  'account_profile',
] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];

/** DOMAIN.md §2. */
export const NOTICE_KINDS = [
  'agency-advisory',
  'carrier-notice',
  'law-enforcement-report',
  'correction',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/**
 * The kinds that reach customers, to which the ordering rules of DOMAIN.md §5 apply (report first,
 * holds, no-harm suppression). A correction is exempt: it withdraws an exercise notice (§4.7).
 */
export const CUSTOMER_NOTICE_KINDS = [
  'agency-advisory',
  'carrier-notice',
] as const satisfies readonly NoticeKind[];
export type CustomerNoticeKind = (typeof CUSTOMER_NOTICE_KINDS)[number];

export function isCustomerNoticeKind(kind: string): kind is CustomerNoticeKind {
  return (CUSTOMER_NOTICE_KINDS as readonly string[]).includes(kind);
}

export const TLP_LABELS = ['TLP:RED', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:GREEN', 'TLP:CLEAR'] as const;
export type TlpLabel = (typeof TLP_LABELS)[number];

export const REGIMES = ['legacy', 'amended'] as const;
export type Regime = (typeof REGIMES)[number];

export const LOCALES = ['en', 'es'] as const;
export type Locale = (typeof LOCALES)[number];

export const ACCOUNT_TYPES = ['consumer', 'business', 'government'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

/** DOMAIN.md §6: the notification ledger's state machine. */
export const NOTIFICATION_STATES = [
  'pending',
  'sending',
  'sent',
  'retrying',
  'delivered',
  'undelivered',
  'failed',
  'suppressed',
  'cancelled',
] as const;
export type NotificationState = (typeof NOTIFICATION_STATES)[number];

export const TERMINAL_STATES = [
  'delivered',
  'undelivered',
  'failed',
  'suppressed',
  'cancelled',
] as const satisfies readonly NotificationState[];

/** Allowed ledger transitions; anything else is a bug or a late message and is refused. */
export const TRANSITIONS: Readonly<Record<NotificationState, readonly NotificationState[]>> = {
  pending: ['sending', 'suppressed', 'cancelled'],
  retrying: ['sending', 'suppressed', 'cancelled'],
  sending: ['sent', 'delivered', 'retrying', 'failed', 'suppressed', 'cancelled'],
  sent: ['delivered', 'undelivered'],
  delivered: [],
  undelivered: [],
  failed: [],
  suppressed: [],
  cancelled: [],
};

export function isTerminal(state: NotificationState): boolean {
  return (TERMINAL_STATES as readonly string[]).includes(state);
}

export const CAMPAIGN_STATES = [
  'draft',
  'approved',
  'triggered',
  'running',
  'paused',
  'completed',
  'cancelled',
] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

/** Every audit event type. Adding one is a deliberate act: reviewers filter on these names. */
export const AUDIT_EVENT_TYPES = [
  'subscriber.registered',
  'subscriber.updated',
  'subscriber.rejected',
  'subscriber.erased',
  'incident.created',
  'incident.le_report_sent',
  'incident.hold_directed',
  'incident.hold_extended',
  'incident.hold_released',
  'incident.determination_recorded',
  'incident.urgent_need_recorded',
  'incident.deadline_missed',
  'campaign.created',
  'campaign.approved',
  'campaign.approval_refused',
  'campaign.trigger_refused',
  'campaign.correction_created',
  'campaign.triggered',
  'campaign.fanout_page',
  'campaign.paused',
  'campaign.resumed',
  'campaign.endex',
  'campaign.completed',
  'notification.queued',
  'notification.attempt_started',
  'notification.sent',
  'notification.delivered',
  'notification.undelivered',
  'notification.retry_scheduled',
  'notification.failed',
  'notification.suppressed',
  'notification.cancelled',
  'notification.refused_by_lint',
  'receipt.applied',
  'receipt.duplicate',
  'receipt.late',
  'receipt.unknown',
  'optout.stop',
  'optout.start',
  'inbound.help',
  'audit.exported',
  'audit.verified',
  'audit.retention_applied',
  'pii.read',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];
