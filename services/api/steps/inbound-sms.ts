import type { Db } from '../../../shared/store/db';
import { appendAudit } from '../../../shared/audit/append-audit';
import { maskMsisdn } from '../../../shared/audit/audit-event';

const STOP_WORDS = new Set(['STOP', 'END', 'CANCEL', 'UNSUBSCRIBE', 'QUIT']);

export type InboundKeyword = 'stop' | 'start' | 'help' | 'other';

/** DOMAIN.md §3: keywords in any case, trimmed. */
export function classifyInbound(text: string): InboundKeyword {
  const t = text.trim().toUpperCase();
  if (STOP_WORDS.has(t)) return 'stop';
  if (t === 'START') return 'start';
  if (t === 'HELP') return 'help';
  return 'other';
}

/** Applies a subscriber's reply: STOP opts the number out of all later sends, START re-enables it. */
export async function handleInboundSms(
  db: Db,
  msg: { carrier: string; from: string; text: string },
  actor: string,
): Promise<{ keyword: InboundKeyword; changed: boolean }> {
  const keyword = classifyInbound(msg.text);
  return db.transaction(async (tx) => {
    let changed = false;
    if (keyword === 'stop') {
      const r = await tx.query(
        'INSERT INTO opt_outs (msisdn) VALUES ($1) ON CONFLICT (msisdn) DO NOTHING RETURNING msisdn',
        [msg.from],
      );
      changed = r.rowCount > 0;
    } else if (keyword === 'start') {
      const r = await tx.query('DELETE FROM opt_outs WHERE msisdn = $1 RETURNING msisdn', [msg.from]);
      changed = r.rowCount > 0;
    }
    if (keyword !== 'other') {
      await appendAudit(tx, [
        {
          type: keyword === 'stop' ? 'optout.stop' : keyword === 'start' ? 'optout.start' : 'inbound.help',
          actor,
          carrier: msg.carrier,
          channel: 'sms',
          contactMasked: maskMsisdn(msg.from),
          outcome: changed ? 'applied' : 'no-change',
        },
      ]);
    }
    return { keyword, changed };
  });
}
