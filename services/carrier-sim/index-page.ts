import type { Carrier } from '../../shared/carriers';
import { html, type Html } from './html';

/** The sim's front page: the carriers, recent handsets and mailboxes, and lookups by address. */
export function indexPage(p: {
  carriers: readonly Carrier[];
  handsets: string[];
  mailboxes: string[];
  arrivals: number;
}): Html {
  const links = (kind: 'handset' | 'mailbox', addresses: string[]) =>
    addresses.length
      ? html`<ul>
          ${addresses.map((a) => html`<li><a href="/${kind}/${encodeURIComponent(a)}">${a}</a></li>`)}
        </ul>`
      : html`<p class="muted">None yet.</p>`;
  return html` <h1>The mock carrier network</h1>
    <p class="muted">${p.arrivals} arrival(s) recorded. Everything here is simulated exercise traffic.</p>
    <div class="cards">
      <div class="card">
        <h3>Handsets</h3>
        <form action="/handset" method="get">
          <input name="msisdn" placeholder="+12025550123" /> <button>Open</button>
        </form>
        ${links('handset', p.handsets)}
      </div>
      <div class="card">
        <h3>Mailboxes</h3>
        <form action="/mailbox" method="get">
          <input name="address" placeholder="name@northwind-mobile.test" /> <button>Open</button>
        </form>
        ${links('mailbox', p.mailboxes)}
      </div>
    </div>
    <h2>Carriers</h2>
    <table>
      <tr>
        <th>id</th>
        <th>name</th>
        <th>email domain</th>
        <th>SMS sender</th>
        <th>limit (msg/s)</th>
        <th>receipt p50</th>
      </tr>
      ${p.carriers.map(
        (c) =>
          html`<tr>
            <td>${c.id}</td>
            <td>${c.name}</td>
            <td>${c.emailDomain}</td>
            <td>${c.smsSender}</td>
            <td>${c.submitRatePerSec}</td>
            <td>${c.profile.receiptLatencyMs.p50} ms</td>
          </tr>`,
      )}
    </table>`;
}
