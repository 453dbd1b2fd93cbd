import type { Queryable } from '../../../../shared/store/db';
import type { Config } from '../../../../shared/config';
import { escapeXml } from '../../../../shared/notices/escape-markup';
import { formatCapDateTime, TRAINING_LINE } from '../../../../shared/notices';
import type { CampaignRow } from '../campaigns';
import { capInputFor, renderCampaignCap } from '../lifecycle/campaign-cap';
import { capUtcOffset } from '../lifecycle/cap-offset';
import { hasHolds, readIncident, toNoticeIncident } from './incident-record';

export const ATOM_NAMESPACE = 'http://www.w3.org/2005/Atom';

function first(xml: string, name: string): string {
  return new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1] ?? '';
}

/**
 * An Atom 1.0 feed (RFC 4287) of the incident's published alerts, newest first: one entry per
 * triggered campaign (corrections included, as CAP Cancel), each carrying its CAP 1.2 alert inline
 * (`content type="application/cap+xml"`) and linking to `/v1/campaigns/:id/cap.xml`. Links are
 * relative to the feed's own URL, so no Host header ends up in it. Every title starts with the marker.
 */
export async function incidentAlertsAtom(
  q: Queryable,
  config: Pick<Config, 'EXERCISE_MARKER' | 'REGULATORY_TIME_ZONE'>,
  incidentId: number,
): Promise<string> {
  const incident = await readIncident(q, incidentId);
  const notice = toNoticeIncident(incident, await hasHolds(q, incidentId));
  const all = await q.query<CampaignRow>('SELECT * FROM campaigns WHERE incident_id = $1 ORDER BY id', [
    incidentId,
  ]);
  const byId = new Map(all.rows.map((c) => [c.id, c]));
  const published = all.rows
    .filter((c) => c.triggered_at !== null)
    .sort((a, b) => +new Date(b.triggered_at!) - +new Date(a.triggered_at!) || b.id - a.id);
  const zone = config.REGULATORY_TIME_ZONE;
  const marker = config.EXERCISE_MARKER;
  const stamp = (d: Date) => formatCapDateTime(d, capUtcOffset(d, zone));

  const entries = published.map((c) => {
    const original = c.corrects_campaign_id ? byId.get(c.corrects_campaign_id) : undefined;
    const input = capInputFor(c, incident, notice, { marker, zone, ...(original ? { original } : {}) });
    const cap = renderCampaignCap(input).replace(/^<\?xml[^>]*\?>\n/, '');
    const identifier = first(cap, 'identifier');
    const sent = first(cap, 'sent');
    return [
      '  <entry>',
      `    <id>urn:breach-drill:alert:${identifier}</id>`,
      `    <title>${first(cap, 'headline')}</title>`,
      `    <updated>${sent}</updated>`,
      `    <published>${sent}</published>`,
      `    <author><name>${first(cap, 'senderName')}</name><email>${escapeXml(input.sender)}</email></author>`,
      `    <category term="${escapeXml(c.kind)}" label="${escapeXml(input.msgType)}"/>`,
      `    <link rel="alternate" type="application/cap+xml" href="/v1/campaigns/${c.id}/cap.xml"/>`,
      `    <summary>${escapeXml(`${marker} Campaign ${c.id} (${c.kind}, ${c.state}). ${TRAINING_LINE}`)}</summary>`,
      '    <content type="application/cap+xml">',
      cap
        .trimEnd()
        .split('\n')
        .map((l) => `      ${l}`)
        .join('\n'),
      '    </content>',
      '  </entry>',
    ].join('\n');
  });
  const newest = published[0]?.triggered_at ?? incident.created_at;
  const exerciseId = escapeXml(incident.exercise_id);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<feed xmlns="${ATOM_NAMESPACE}">`,
    `  <id>urn:breach-drill:incident:${exerciseId}:${incident.id}</id>`,
    `  <title>${escapeXml(`${marker} Simulated alerts, exercise ${incident.exercise_id}, advisory ${incident.advisory_id}`)}</title>`,
    `  <subtitle>${escapeXml(`${marker} ${TRAINING_LINE}`)}</subtitle>`,
    `  <updated>${stamp(new Date(newest))}</updated>`,
    '  <author><name>breach-drill exercise simulator</name></author>',
    '  <generator>breach-drill</generator>',
    `  <link rel="self" type="application/atom+xml" href="/v1/incidents/${incident.id}/alerts.atom"/>`,
    ...entries,
    '</feed>',
    '',
  ].join('\n');
}
