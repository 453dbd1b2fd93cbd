import type { Arrival } from './arrival-store';
import { html, type Html } from './html';

export interface HandsetMessage {
  arrival: Arrival;
  from: string | null;
  /** null when the body is no longer kept (only the most recent messages keep theirs). */
  text: string | null;
}

const TIME = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

/** An SMS thread as a phone shows it, oldest at the top; `messages` come oldest first. */
export function handsetPage(p: {
  msisdn: string;
  total: number;
  carrierName: string;
  messages: HandsetMessage[];
}): Html {
  let lastSender: string | null = null;
  let lastMinute = '';
  const bubbles = p.messages.map((m) => {
    const minute = TIME.format(new Date(m.arrival.at));
    const time = minute !== lastMinute ? html`<div class="time">${minute} UTC</div>` : html``;
    const sender =
      m.from !== lastSender ? html`<div class="sender">${m.from ?? 'unknown sender'}</div>` : html``;
    lastMinute = minute;
    lastSender = m.from;
    const bubble =
      m.text === null
        ? html`<div class="bubble gone">(message body no longer kept; key ${m.arrival.key})</div>`
        : html`<div class="bubble" title="${m.arrival.messageId}">${m.text}</div>`;
    return html`${time}${sender}${bubble}`;
  });
  const shown = p.messages.length;
  return html` <p class="muted">
      ${p.total} message(s) received by ${p.msisdn}; the last ${shown} shown.
      <a href="/inbox/sms/${encodeURIComponent(p.msisdn)}">JSON</a>
    </p>
    <div class="phone">
      <div class="screen">
        <div class="status"><span>9:41</span><span>${p.carrierName}</span><span>5G ▮▮▮</span></div>
        <div class="contact">
          <div class="avatar">✉</div>
          ${p.msisdn}
        </div>
        <div class="thread">${shown === 0 ? html`<p class="muted">No messages yet.</p>` : bubbles}</div>
        <div class="inputbar">Text Message · SMS</div>
      </div>
    </div>`;
}
