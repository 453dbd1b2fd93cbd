import type { AddressObject } from 'mailparser';
import type { Arrival, MessageBody } from './arrival-store';

/** What `GET /messages/:id` returns: the arrival, the raw message and a rendered view of it. */
export interface MessageView extends Arrival {
  bodyAvailable: boolean;
  raw: string | null;
  rendered: RenderedSms | RenderedEmail | null;
}

export interface RenderedSms {
  from: string;
  to: string;
  text: string;
}

export interface RenderedEmail {
  subject: string;
  from: string;
  to: string;
  date: string | null;
  messageId: string | null;
  headers: { name: string; value: string }[];
  text: string;
  /** The HTML part, or the text part as HTML; pages show it in a sandboxed iframe. */
  html: string;
  truncated: boolean;
  size: number;
}

function addresses(a: AddressObject | AddressObject[] | undefined): string {
  if (!a) return '';
  return (Array.isArray(a) ? a : [a]).map((x) => x.text).join(', ');
}

export async function renderEmail(
  raw: Buffer,
  meta: { truncated: boolean; size: number },
): Promise<RenderedEmail> {
  // Loaded on first use: only people and tests look at rendered mail, the SMTP path never does.
  const { simpleParser } = await import('mailparser');
  const mail = await simpleParser(raw, { skipImageLinks: true, skipTextLinks: true });
  return {
    subject: mail.subject ?? '',
    from: mail.from?.text ?? '',
    to: addresses(mail.to),
    date: mail.date ? mail.date.toISOString() : null,
    messageId: mail.messageId ?? null,
    headers: mail.headerLines.map((h) => {
      const colon = h.line.indexOf(':');
      return { name: colon > 0 ? h.line.slice(0, colon) : h.key, value: h.line.slice(colon + 1).trim() };
    }),
    text: mail.text ?? '',
    html: mail.html || mail.textAsHtml || '',
    truncated: meta.truncated,
    size: meta.size,
  };
}

export async function viewMessage(arrival: Arrival, body: MessageBody | undefined): Promise<MessageView> {
  if (!body) return { ...arrival, bodyAvailable: false, raw: null, rendered: null };
  if (body.kind === 'sms') {
    return {
      ...arrival,
      bodyAvailable: true,
      raw: body.text,
      rendered: { from: body.from, to: arrival.recipient, text: body.text },
    };
  }
  return {
    ...arrival,
    bodyAvailable: true,
    raw: body.raw.toString('utf8'),
    rendered: await renderEmail(body.raw, body),
  };
}
