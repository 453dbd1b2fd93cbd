import type { Arrival, EmailBody } from './arrival-store';
import { emailSummary } from './email-headers';
import { html, type Html } from './html';
import type { RenderedEmail } from './render-message';

export interface MailboxItem {
  arrival: Arrival;
  body: EmailBody | undefined;
}

/** The mailbox: newest first on the left, the selected email (headers and body) on the right. */
export function mailboxPage(p: {
  address: string;
  total: number;
  items: MailboxItem[];
  selectedId: string | null;
  rendered: RenderedEmail | null;
}): Html {
  const base = `/mailbox/${encodeURIComponent(p.address)}`;
  const list = p.items.map((m) => {
    const summary = m.body ? emailSummary(m.body.raw) : undefined;
    return html`<a
      href="${base}?m=${encodeURIComponent(m.arrival.messageId)}"
      class="${m.arrival.messageId === p.selectedId ? 'sel' : ''}"
    >
      <div class="subj">${summary ? summary.subject || '(no subject)' : '(body no longer kept)'}</div>
      <div class="muted">${summary?.from ?? m.arrival.key}</div>
      <div class="muted">${m.arrival.at}</div>
    </a>`;
  });
  return html` <p class="muted">
      ${p.total} message(s) delivered to ${p.address}; the last ${p.items.length} listed.
      <a href="/inbox/email/${encodeURIComponent(p.address)}">JSON</a>
    </p>
    <div class="mail">
      <div class="list">${p.items.length ? list : html`<p class="muted">No messages yet.</p>`}</div>
      <div class="reader">
        ${p.rendered ? reader(p.rendered, p.selectedId ?? '') : html`<p class="muted">Nothing selected.</p>`}
      </div>
    </div>`;
}

function reader(m: RenderedEmail, messageId: string): Html {
  const campaign = m.headers.find((h) => h.name.toLowerCase() === 'x-campaign-id')?.value;
  const rows: [string, string | null | undefined][] = [
    ['From', m.from],
    ['To', m.to],
    ['Subject', m.subject],
    ['Date', m.date],
    ['Message-ID', m.messageId],
    ['X-Campaign-Id', campaign],
  ];
  return html` <h2>${m.subject || '(no subject)'}</h2>
    <table class="headers">
      ${rows
        .filter(([, v]) => v)
        .map(
          ([k, v]) =>
            html`<tr>
              <td>${k}</td>
              <td>${v}</td>
            </tr>`,
        )}
    </table>
    ${m.truncated ? html`<p class="muted">Only the first part of this ${m.size}-byte message was kept.</p>` : html``}
    <details>
      <summary>All headers</summary>
      <pre>${m.headers.map((h) => `${h.name}: ${h.value}\n`).join('')}</pre>
    </details>
    <p class="muted">
      <a href="/messages/${encodeURIComponent(messageId)}?format=raw">raw</a> ·
      <a href="/messages/${encodeURIComponent(messageId)}">JSON</a>
    </p>
    <iframe sandbox="" referrerpolicy="no-referrer" title="message body" srcdoc="${m.html}"></iframe>`;
}
