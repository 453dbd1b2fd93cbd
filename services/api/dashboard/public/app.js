/* global document, window, location, fetch, sessionStorage, confirm, performance, EventSource, URLSearchParams, Node -- browser code */
// breach-drill dashboard: one page, hash routes, every action through the public API with the
// session cookie. Data is put on the page with textContent only (never innerHTML), and every
// request that changes state carries the CSRF header the api requires for cookie sessions.

const CSRF = { 'x-requested-with': 'breach-drill' };
const TERMINAL = ['delivered', 'undelivered', 'failed', 'suppressed', 'cancelled'];
const main = document.getElementById('main');
const nav = document.getElementById('nav');
let me = null;
let cleanup = []; // closes event streams and timers of the page being left

// ---- helpers --------------------------------------------------------------------------------

/** Children without the null/false placeholders of conditional UI (DOM would print "null"). */
function kids(...xs) {
  return xs.flat(Infinity).filter((x) => x !== null && x !== undefined && x !== false);
}

/** Builds an element: h('a', { href: '#' }, 'text', child). Strings become text nodes. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
  }
}

/**
 * Thrown by a page read that finished after the user moved on: that page must not be drawn over the
 * newer one (two quick clicks would otherwise race, and the slower page would win).
 */
class StaleRoute extends Error {}
let routeSeq = 0; // bumped by every route(); a GET remembers the one it was made for

async function api(method, path, body) {
  const seq = routeSeq;
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { ...CSRF, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  if (method === 'GET' && seq !== routeSeq) throw new StaleRoute();
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

function fmtTime(s) {
  if (!s) return '—';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

function badge(text) {
  return h('span', { class: `badge ${text}` }, text);
}

/** A badge whose words differ from its colour class (ok, bad, due). */
function flag(kind, text) {
  return h('span', { class: `badge ${kind}` }, text);
}

function errorLine(err) {
  return h('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err));
}

function field(label, input) {
  return h('label', {}, label, input);
}

/** A multi-line text field, for the written bases the regulatory records rest on. */
function basisField(label, name = 'basis') {
  return field(label, h('textarea', { name, rows: 3, required: true, minlength: 10, maxlength: 4000 }));
}

/** `datetime-local` inputs are read as UTC (the labels say so): value ↔ ISO 8601. */
function toUtcInput(date) {
  return date.toISOString().slice(0, 16);
}
function fromUtcInput(value) {
  return value ? `${value}:00Z` : undefined;
}

/**
 * A form that posts its body to the API and re-renders the page on success; errors show in the form.
 * body(form) builds the JSON body from the form's fields.
 */
function apiForm(attrs, children, method, path, body) {
  const msg = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'stack', ...attrs }, ...children, msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.replaceChildren(...kids());
    const submit = form.querySelector('button[type="submit"]');
    if (submit) submit.disabled = true;
    try {
      await api(method, path, body(form));
      await route();
    } catch (err) {
      msg.replaceChildren(...kids(errorLine(err)));
      if (submit) submit.disabled = false;
    }
  });
  return form;
}

function checkboxes(legend, name, values, checked = [], labelOf = (v) => v) {
  return h(
    'fieldset',
    {},
    h('legend', {}, legend),
    values.map((v) =>
      h(
        'label',
        {},
        h('input', { type: 'checkbox', name, value: v, checked: checked.includes(v) }),
        ' ',
        labelOf(v),
      ),
    ),
  );
}

function checked(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

function select(name, values, value, blank) {
  return h(
    'select',
    { name, id: name },
    blank !== undefined ? h('option', { value: '' }, blank) : null,
    values.map((v) => h('option', { value: v, selected: v === value }, v)),
  );
}

function card(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, ...children);
}

function carrierName(id) {
  return me?.vocab.carriers.find((c) => c.id === id)?.name ?? id;
}

/** Tables collapse to label/value rows on a phone. rowAttrs(i) adds attributes to row i. */
function table(headers, rows, rowAttrs = () => ({})) {
  return h(
    'table',
    { class: 'responsive' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((x) => h('th', { scope: 'col' }, x)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r, n) =>
        h(
          'tr',
          rowAttrs(n),
          r.map((cell, i) => h('td', { 'data-label': headers[i] }, cell)),
        ),
      ),
    ),
  );
}

function render(title, ...nodes) {
  document.title = `${title} · breach-drill (EXERCISE)`;
  main.replaceChildren(...kids(h('h1', {}, title), ...nodes));
}

// ---- navigation ---------------------------------------------------------------------------

function renderNav(active) {
  if (!me) {
    nav.replaceChildren(...kids());
    return;
  }
  const link = (href, text, key) => h('a', { href, 'aria-current': active === key ? 'page' : null }, text);
  nav.replaceChildren(
    ...kids(
      link('#/incidents', 'Incidents', 'incidents'),
      link('#/audit', 'Audit log', 'audit'),
      link('#/inbox', 'Inboxes', 'inbox'),
      me.isAdmin ? h('a', { href: '/admin/queues' }, 'Queues') : null,
      h(
        'span',
        { class: 'who' },
        `${me.name} (${me.role}) `,
        h(
          'button',
          { class: 'secondary', type: 'button', onclick: signOut, 'data-testid': 'sign-out' },
          'Sign out',
        ),
      ),
    ),
  );
}

async function signOut() {
  await api('POST', '/dashboard/signout').catch(() => undefined);
  me = null;
  location.hash = '#/signin';
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/incidents';
  const [path, qs] = raw.split('?');
  return { parts: path.split('/').filter(Boolean), query: new URLSearchParams(qs ?? '') };
}

async function route() {
  routeSeq++;
  for (const f of cleanup.splice(0)) f();
  const { parts, query } = parseHash();
  if (!me && parts[0] !== 'signin') {
    try {
      me = await api('GET', '/dashboard/api/me');
    } catch (err) {
      if (err instanceof StaleRoute) return;
      if (err instanceof ApiError && err.status === 401) {
        sessionStorage.setItem('bd:return', location.hash || '#/incidents');
        location.hash = '#/signin';
        return;
      }
      render('Dashboard', errorLine(err));
      return;
    }
  }
  renderNav(parts[0]);
  try {
    if (parts[0] === 'signin') return renderSignIn();
    if (parts[0] === 'incidents' && parts[1]) return await renderIncident(Number(parts[1]));
    if (parts[0] === 'campaigns' && parts[1]) return await renderCampaign(Number(parts[1]));
    if (parts[0] === 'audit') return await renderAudit(query);
    if (parts[0] === 'inbox') return await renderInbox(query);
    return await renderIncidents();
  } catch (err) {
    if (err instanceof StaleRoute) return; // a newer route() draws the page
    if (err instanceof ApiError && err.status === 401) {
      me = null;
      location.hash = '#/signin';
      return;
    }
    main.append(errorLine(err));
  }
}

// ---- sign in -------------------------------------------------------------------------------

function renderSignIn() {
  me = null;
  renderNav();
  const msg = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'stack', 'data-testid': 'signin-form' },
    field(
      'API key',
      h('input', {
        name: 'key',
        id: 'key',
        type: 'password',
        autocomplete: 'off',
        required: true,
        minlength: 8,
      }),
    ),
    h(
      'p',
      { class: 'muted' },
      'An admin creates keys with npm run keys:create. The key is checked once; the browser keeps only a session cookie.',
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Sign in')),
    msg,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.replaceChildren(...kids());
    try {
      await api('POST', '/dashboard/session', { key: form.key.value });
      me = await api('GET', '/dashboard/api/me');
      location.hash = sessionStorage.getItem('bd:return') ?? '#/incidents';
      sessionStorage.removeItem('bd:return');
    } catch (err) {
      msg.replaceChildren(...kids(errorLine(err)));
    }
  });
  render('Sign in', card(null, form));
}

// ---- incidents -----------------------------------------------------------------------------

async function renderIncidents() {
  const { items } = await api('GET', '/dashboard/api/incidents');
  const list = items.length
    ? table(
        ['Id', 'Exercise', 'Title', 'Regime', 'TLP', 'LE report', 'Campaigns', 'Created'],
        items.map((i) => [
          h('a', { href: `#/incidents/${i.id}` }, `#${i.id}`),
          i.exerciseId,
          i.title,
          i.regime,
          i.tlp,
          i.leReportSentAt ? flag('ok', 'sent') : flag('due', 'not sent'),
          String(i.campaigns),
          fmtTime(i.createdAt),
        ]),
      )
    : h('p', {}, 'No incidents yet.');
  render(
    'Incidents',
    card('All incidents', list),
    me.canOperate ? card('Record an incident', incidentForm()) : null,
  );
}

function incidentForm() {
  const v = me.vocab;
  const today = new Date().toISOString().slice(0, 10);
  const msg = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'stack', 'data-testid': 'incident-form' },
    field(
      'Exercise id',
      h('input', {
        name: 'exerciseId',
        required: true,
        value: `EX-${today}`,
        pattern: '[A-Za-z0-9._-]{1,64}',
      }),
    ),
    field('Title', h('input', { name: 'title', required: true, value: 'Simulated call-metadata exposure' })),
    field('Threat actor', h('input', { name: 'threatActor', required: true, value: 'SIMULATED-APT' })),
    checkboxes(
      'Carriers',
      'carriers',
      v.carriers.map((c) => c.id),
      [v.carriers[0].id],
      carrierName,
    ),
    checkboxes('Data exposed', 'dataCategories', v.dataCategories, ['call_records']),
    field(
      'Intrusion window start',
      h('input', { name: 'start', type: 'date', required: true, value: '2024-03-01' }),
    ),
    field(
      'Intrusion window end',
      h('input', { name: 'end', type: 'date', required: true, value: '2024-09-01' }),
    ),
    field(
      'Breach determined on',
      h('input', { name: 'determinedAt', type: 'date', required: true, value: today }),
    ),
    field('Regulatory regime', select('regime', v.regimes, 'amended')),
    field('Traffic Light Protocol', select('tlp', v.tlp, 'TLP:CLEAR')),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create incident')),
    msg,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const inc = await api('POST', '/v1/incidents', {
        exerciseId: form.exerciseId.value,
        title: form.title.value,
        threatActor: form.threatActor.value,
        carriers: checked(form, 'carriers'),
        dataCategories: checked(form, 'dataCategories'),
        window: { start: `${form.start.value}T00:00:00Z`, end: `${form.end.value}T00:00:00Z` },
        determinedAt: `${form.determinedAt.value}T12:00:00Z`,
        regime: form.regime.value,
        tlp: form.tlp.value,
      });
      location.hash = `#/incidents/${inc.id}`;
    } catch (err) {
      msg.replaceChildren(...kids(errorLine(err)));
    }
  });
  return form;
}

async function renderIncident(id) {
  const [inc, tl, { items: campaigns }] = await Promise.all([
    api('GET', `/v1/incidents/${id}`),
    api('GET', `/v1/incidents/${id}/timeline`),
    api('GET', `/dashboard/api/incidents/${id}/campaigns`),
  ]);
  const dl = h('dl', { class: 'facts' });
  for (const [k, val] of [
    ['Exercise', inc.exerciseId],
    ['Threat actor', inc.threatActor],
    ['Carriers', inc.carriers.map(carrierName).join(', ')],
    ['Data exposed', inc.dataCategories.join(', ')],
    ['Window', `${fmtTime(inc.window.start)} – ${fmtTime(inc.window.end)}`],
    ['Determined', fmtTime(inc.determinedAt)],
    ['Regime', inc.regime],
    ['TLP', inc.tlp],
    ['Advisory', inc.advisoryId],
  ])
    dl.append(h('dt', {}, k), h('dd', {}, val));

  const leMsg = h('div', { 'aria-live': 'polite' });
  const le = card(
    'Law-enforcement report',
    inc.lawEnforcementReportSentAt
      ? h(
          'p',
          {},
          flag('ok', 'sent'),
          ` Sent ${fmtTime(inc.lawEnforcementReportSentAt)}`,
          tl.deadlines.some((d) => d.id === 'le-report' && d.status === 'missed')
            ? ', after its deadline.'
            : '.',
        )
      : h('p', {}, flag('due', 'not sent'), ' Not sent yet: customer notices wait for it.'),
    me.canOperate && !inc.lawEnforcementReportSentAt
      ? h(
          'div',
          { class: 'actions' },
          h(
            'button',
            {
              type: 'button',
              'data-testid': 'send-le-report',
              onclick: async () => {
                try {
                  await api('POST', `/v1/incidents/${id}/law-enforcement-report`, drillReport(inc));
                  route();
                } catch (err) {
                  leMsg.replaceChildren(...kids(errorLine(err)));
                }
              },
            },
            'Send the drill law-enforcement report',
          ),
        )
      : null,
    leMsg,
  );

  const report = card(
    'After-action report',
    h(
      'div',
      { class: 'actions' },
      h(
        'a',
        {
          class: 'button secondary',
          href: `/v1/incidents/${id}/after-action?format=html`,
          target: '_blank',
          rel: 'noopener',
        },
        'Open (HTML)',
      ),
      h(
        'a',
        {
          class: 'button secondary',
          href: `/v1/incidents/${id}/after-action?format=md`,
          download: `after-action-${id}.md`,
        },
        'Download (Markdown)',
      ),
      h(
        'a',
        {
          class: 'button secondary',
          href: `/v1/incidents/${id}/alerts.atom`,
          target: '_blank',
          rel: 'noopener',
        },
        'Alerts feed (Atom/CAP)',
      ),
    ),
  );

  const campaignList = card(
    'Campaigns',
    campaigns.length
      ? table(
          ['Id', 'Kind', 'Channels', 'State', 'Created'],
          campaigns.map((c) => [
            h('a', { href: `#/campaigns/${c.id}` }, `#${c.id}`),
            c.kind,
            c.channels.join(', '),
            badge(c.state),
            fmtTime(c.createdAt),
          ]),
        )
      : h('p', {}, 'No campaigns yet.'),
    me.canOperate ? campaignForm(inc) : null,
  );
  render(
    `Incident #${inc.id}: ${inc.title}`,
    h('div', { class: 'grid2' }, card('Facts', dl), h('div', {}, le, report)),
    timelineCard(tl),
    h('div', { class: 'grid2' }, holdsCard(id, tl), determinationsCard(id, tl)),
    campaignList,
    eventsCard(tl),
  );
}

const REGIME_NAMES = {
  legacy: 'Legacy (47 CFR 64.2011, 2007 text)',
  amended: 'Amended (FCC 23-111, Dec 2023)',
};

/** "in 3 d 4 h" / "2 h ago": how far a deadline is from the timeline's "as of". */
function relative(at, asOf) {
  const ms = Date.parse(at) - Date.parse(asOf);
  const abs = Math.abs(ms);
  const d = Math.floor(abs / 86_400_000);
  const hrs = Math.floor((abs % 86_400_000) / 3_600_000);
  const span = d ? `${d} d ${hrs} h` : hrs ? `${hrs} h` : `${Math.max(1, Math.round(abs / 60_000))} min`;
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}

/**
 * The regulatory clock (DOMAIN.md §5): what is missed, what is due next, whether customer notices may
 * go out now, and every deadline with its status. Missed deadlines come first and as an alert: they
 * are what an exercise team must see at a glance.
 */
function timelineCard(tl) {
  const gate = tl.customerNotices;
  const next = tl.next;
  return card(
    'Regulatory timeline',
    h(
      'p',
      { class: 'muted' },
      `${REGIME_NAMES[tl.regime] ?? tl.regime}. Business days skip weekends and federal holidays (${tl.timeZone}). As of ${fmtTime(tl.asOf)}.`,
    ),
    tl.missed.length
      ? h(
          'div',
          { class: 'alert bad', role: 'alert', 'data-testid': 'missed-deadlines' },
          h('strong', {}, `Missed (${tl.missed.length}): `),
          tl.missed.map((d) => `${d.label}, due ${fmtTime(d.dueAt)}`).join('; '),
        )
      : null,
    h(
      'p',
      { class: 'notice', 'data-testid': 'next-deadline' },
      next
        ? [
            h('strong', {}, 'Next due: '),
            `${next.label}, by ${fmtTime(next.dueAt)} (${relative(next.dueAt, tl.asOf)}).`,
          ]
        : 'Nothing is due.',
    ),
    h(
      'div',
      { 'data-testid': 'customer-gate' },
      h(
        'p',
        {},
        h('strong', {}, 'Customer notices: '),
        gate.suppressed
          ? [flag('bad', 'suppressed'), ' by the no-harm determination']
          : gate.allowedNow
            ? [flag('ok', 'allowed'), ' may go out now']
            : flag('bad', 'blocked'),
        gate.allowedFrom && !gate.allowedNow && !gate.suppressed
          ? ` (allowed from ${fmtTime(gate.allowedFrom)})`
          : '',
        gate.firstSentAt ? `; first sent ${fmtTime(gate.firstSentAt)}` : '',
        '.',
      ),
      gate.blockedReasons.length
        ? h(
            'ul',
            {},
            gate.blockedReasons.map((r) => h('li', {}, r.description)),
          )
        : null,
    ),
    h(
      'div',
      { 'data-testid': 'deadlines' },
      table(
        ['Deadline', 'Due', 'Status', 'Met / completed', 'Rule'],
        tl.deadlines.map((d) => [
          d.label,
          [
            fmtTime(d.dueAt),
            d.status === 'due' ? h('br') : null,
            d.status === 'due' ? relative(d.dueAt, tl.asOf) : null,
          ],
          badge(d.status),
          fmtTime(d.metAt ?? d.completedAt),
          d.rule,
        ]),
        (i) => ({ 'data-deadline': tl.deadlines[i].id, 'data-status': tl.deadlines[i].status }),
      ),
    ),
  );
}

function holdStatus(x) {
  if (x.active) return 'active';
  return x.releasedAt ? 'released' : 'lapsed';
}

/**
 * Agency holds on customer notices: each directive, extension and release with its written basis;
 * operators record them here (the API pauses and resumes the incident's customer campaigns).
 */
function holdsCard(id, tl) {
  const holds = tl.holds.map((x) => {
    const status = holdStatus(x);
    return h(
      'article',
      { class: 'hold', 'data-testid': `hold-${x.id}`, 'data-status': status },
      h('h3', {}, `Hold #${x.id}: ${x.agency} `, badge(status)),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Directed'),
        h('dd', {}, `${fmtTime(x.directedAt)} (recorded by ${x.directedBy})`),
        h('dt', {}, 'Until'),
        h('dd', {}, fmtTime(x.until)),
        h('dt', {}, 'Basis'),
        h('dd', {}, x.basis),
        x.extensions.map((e) => [
          h('dt', {}, 'Extended'),
          h(
            'dd',
            {},
            `${fmtTime(e.at)}: ${fmtTime(e.previousUntil)} → ${fmtTime(e.until)} by ${e.by}. ${e.basis}`,
          ),
        ]),
        x.releasedAt
          ? [
              h('dt', {}, 'Released'),
              h('dd', {}, `${fmtTime(x.releasedAt)} by ${x.releasedBy}. ${x.releaseBasis}`),
            ]
          : null,
      ),
      me.canOperate && x.active
        ? h(
            'div',
            { class: 'grid2' },
            apiForm(
              { 'data-testid': `extend-hold-${x.id}`, 'aria-label': `Extend hold ${x.id}` },
              [
                field(
                  'New end (UTC)',
                  h('input', {
                    name: 'until',
                    type: 'datetime-local',
                    required: true,
                    value: toUtcInput(new Date(Date.parse(x.until) + 14 * 86_400_000)),
                  }),
                ),
                basisField('Written basis for the extension'),
                h(
                  'div',
                  { class: 'actions' },
                  h('button', { type: 'submit', class: 'secondary' }, 'Extend hold'),
                ),
              ],
              'POST',
              `/v1/incidents/${id}/holds/${x.id}/extend`,
              (f) => ({ until: fromUtcInput(f.until.value), basis: f.basis.value }),
            ),
            apiForm(
              { 'data-testid': `release-hold-${x.id}`, 'aria-label': `Release hold ${x.id}` },
              [
                basisField('Written basis for the release'),
                h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Release hold')),
              ],
              'POST',
              `/v1/incidents/${id}/holds/${x.id}/release`,
              (f) => ({ basis: f.basis.value }),
            ),
          )
        : null,
    );
  });
  const direct = me.canOperate
    ? apiForm(
        { 'data-testid': 'hold-form', 'aria-label': 'Record an agency hold' },
        [
          h('h3', {}, 'Record an agency hold'),
          field('Agency', h('input', { name: 'agency', required: true, maxlength: 200 })),
          field('Directed at (UTC; empty: now)', h('input', { name: 'directedAt', type: 'datetime-local' })),
          field(
            'Until (UTC; at most 30 days after the directive)',
            h('input', {
              name: 'until',
              type: 'datetime-local',
              required: true,
              value: toUtcInput(new Date(Date.now() + 14 * 86_400_000)),
            }),
          ),
          basisField('Written basis (the directive)'),
          h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Record hold')),
        ],
        'POST',
        `/v1/incidents/${id}/holds`,
        (f) => ({
          agency: f.agency.value,
          ...(f.directedAt.value ? { directedAt: fromUtcInput(f.directedAt.value) } : {}),
          until: fromUtcInput(f.until.value),
          basis: f.basis.value,
        }),
      )
    : null;
  return card(
    'Agency holds',
    h(
      'p',
      { class: 'muted' },
      'An active hold pauses the incident’s customer notices; its release resumes them.',
    ),
    h('div', { 'data-testid': 'holds' }, holds.length ? holds : h('p', {}, 'No agency holds.')),
    direct,
  );
}

/** Amended regime: "no harm reasonably likely"; legacy: "urgent need, agency consulted". */
function determinationsCard(id, tl) {
  const nh = tl.noHarmDetermination;
  const un = tl.urgentNeedOverride;
  const recorded = (title, rec, extra) =>
    h(
      'div',
      { class: 'notice' },
      h('p', {}, h('strong', {}, title), ` recorded ${fmtTime(rec.at)} by ${rec.by}${extra}.`),
      h('p', {}, rec.basis),
    );
  let body;
  if (tl.regime === 'amended') {
    body = nh
      ? recorded(
          'No harm reasonably likely:',
          nh,
          '; customer notices are suppressed, each recipient audited',
        )
      : me.canOperate
        ? apiForm(
            { 'data-testid': 'determination-form', 'aria-label': 'Record a no-harm determination' },
            [
              h(
                'p',
                { class: 'muted' },
                'Recording “no harm reasonably likely” suppresses every later customer notice of this incident.',
              ),
              basisField('Written basis for “no harm reasonably likely”'),
              h(
                'div',
                { class: 'actions' },
                h('button', { type: 'submit', class: 'danger' }, 'Record no-harm determination'),
              ),
            ],
            'POST',
            `/v1/incidents/${id}/determinations`,
            (f) => ({ finding: 'no-harm-reasonably-likely', basis: f.basis.value }),
          )
        : h('p', {}, 'No harm-based determination recorded.');
  } else {
    body = un
      ? recorded('Urgent need:', un, `, ${un.agencyConsulted} consulted; the 7-business-day wait is lifted`)
      : me.canOperate
        ? apiForm(
            { 'data-testid': 'urgent-need-form', 'aria-label': 'Record the urgent-need override' },
            [
              h(
                'p',
                { class: 'muted' },
                'Legacy regime: customer notices wait 7 full business days after the report unless an urgent need is recorded, with the agency consulted.',
              ),
              field(
                'Agency consulted',
                h('input', { name: 'agencyConsulted', required: true, maxlength: 200 }),
              ),
              basisField('Written basis for the urgent need'),
              h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Record urgent need')),
            ],
            'POST',
            `/v1/incidents/${id}/urgent-need`,
            (f) => ({ agencyConsulted: f.agencyConsulted.value, basis: f.basis.value }),
          )
        : h('p', {}, 'No urgent-need override recorded.');
  }
  return card('Determinations', h('div', { 'data-testid': 'determinations' }, body));
}

function eventsCard(tl) {
  return card(
    'Incident events (audited)',
    h(
      'div',
      { 'data-testid': 'incident-events' },
      table(
        ['At', 'Event', 'Summary', 'Actor'],
        tl.events.map((ev) => [fmtTime(ev.at), ev.type, ev.summary, ev.actor]),
      ),
    ),
  );
}

/** The drill's seven-field report, as scripts/lib/drill.ts builds it, from the first carrier. */
function drillReport(inc) {
  const c = me.vocab.carriers.find((x) => x.id === inc.carriers[0]);
  return {
    carrier: c.id,
    carrierContact: {
      carrierName: c.name,
      postalAddress: c.postalAddress,
      contactName: 'Morgan Example, Privacy Officer',
      phone: c.supportPhone,
      email: `breach-reports@${c.emailDomain}`,
    },
    incidentDescription: 'Simulated intruders accessed core network systems and copied call metadata.',
    methodOfCompromise:
      'Simulated exploitation of an unpatched edge router, then stolen administrator credentials.',
    dateRange: { start: inc.window.start, end: inc.window.end },
    approximateCustomersAffected: 125000,
    estimatedFinancialLossUsd: 2500000,
    dataTypes: inc.dataCategories,
  };
}

function campaignForm(inc) {
  const v = me.vocab;
  const msg = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'stack', 'data-testid': 'campaign-form' },
    h('h2', {}, 'New campaign'),
    field('Kind', select('kind', v.kinds, 'carrier-notice')),
    checkboxes('Channels', 'channels', v.channels, ['email', 'sms']),
    checkboxes(
      'Audience: carriers (none checked: everyone registered)',
      'audienceCarriers',
      inc.carriers,
      inc.carriers,
      carrierName,
    ),
    checkboxes('Audience: data exposed (none checked: any)', 'audienceData', v.dataCategories),
    checkboxes('Audience: account types (none checked: any)', 'audienceAccounts', v.accountTypes),
    field(
      'Audience: regions (none selected: all; Ctrl/⌘-click for several)',
      h(
        'select',
        { name: 'audienceRegions', multiple: true, size: 4 },
        v.regions.map((r) => h('option', { value: r }, r)),
      ),
    ),
    field('Locale', select('locale', v.locales, '', 'Each subscriber’s own')),
    field(
      'Start, UTC (empty: at the trigger; up to 30 days ahead)',
      h('input', { type: 'datetime-local', name: 'startAt', 'data-testid': 'campaign-start' }),
    ),
    field(
      'Throttle, notifications per second over all carriers (empty: the carriers’ own limits)',
      h('input', {
        type: 'number',
        name: 'throttle',
        min: 1,
        max: 100000,
        step: 1,
        'data-testid': 'campaign-throttle',
      }),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create campaign (draft)')),
    msg,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      // Each audience criterion left empty means "any"; the API wants it absent, not empty.
      const audience = {};
      const criteria = {
        carriers: checked(form, 'audienceCarriers'),
        dataCategories: checked(form, 'audienceData'),
        accountTypes: checked(form, 'audienceAccounts'),
        regions: [...form.audienceRegions.selectedOptions].map((o) => o.value),
      };
      for (const [k, list] of Object.entries(criteria)) if (list.length) audience[k] = list;
      const c = await api('POST', '/v1/campaigns', {
        incidentId: inc.id,
        kind: form.kind.value,
        channels: checked(form, 'channels'),
        audience,
        ...(form.locale.value ? { locale: form.locale.value } : {}),
        ...(form.startAt.value ? { startAt: fromUtcInput(form.startAt.value) } : {}),
        ...(form.throttle.value ? { throttle: Number(form.throttle.value) } : {}),
      });
      location.hash = `#/campaigns/${c.id}`;
    } catch (err) {
      msg.replaceChildren(...kids(errorLine(err)));
    }
  });
  return form;
}

// ---- campaigns -----------------------------------------------------------------------------

async function renderCampaign(id) {
  let c = await api('GET', `/v1/campaigns/${id}`);
  const summary = h('div');
  const controls = h('div');
  const msg = h('div', { 'aria-live': 'polite' });
  const previewBox = h('div');
  const progress = progressView(id);

  const act = (label, fn, opts = {}) =>
    h(
      'button',
      {
        type: 'button',
        class: opts.danger ? 'danger' : opts.secondary ? 'secondary' : undefined,
        disabled: opts.disabled,
        'data-testid': opts.testid,
        onclick: async () => {
          if (opts.confirm && !confirm(opts.confirm)) return;
          msg.replaceChildren(...kids());
          try {
            await fn();
          } catch (err) {
            msg.replaceChildren(...kids(errorLine(err)));
          }
        },
      },
      label,
    );

  const refresh = async (next) => {
    c = next ?? (await api('GET', `/v1/campaigns/${id}`));
    paint();
  };

  function paint() {
    const dl = h('dl', { class: 'facts' });
    for (const [k, val] of [
      ['Incident', h('a', { href: `#/incidents/${c.incidentId}` }, `#${c.incidentId}`)],
      ['Kind', c.kind],
      ['State', badge(c.state)],
      ['Channels', c.channels.join(', ')],
      ['Audience', Object.keys(c.audience).length ? JSON.stringify(c.audience) : 'everyone registered'],
      ['Locale', c.locale ?? 'each subscriber’s own'],
      ['Starts', c.startAt ? fmtTime(c.startAt) : 'at the trigger'],
      [
        'Throttle',
        c.throttle ? `${c.throttle.toLocaleString()} notifications/s` : 'the carriers’ own limits',
      ],
      ['Created by', c.createdBy ?? '—'],
      ['Approved by', c.approvedBy ? `${c.approvedBy} at ${fmtTime(c.approvedAt)}` : '—'],
      ['Triggered', fmtTime(c.triggeredAt)],
      [c.state === 'cancelled' ? 'Ended (ENDEX)' : 'Completed', fmtTime(c.completedAt)],
      c.correctsCampaignId
        ? ['Corrects', h('a', { href: `#/campaigns/${c.correctsCampaignId}` }, `#${c.correctsCampaignId}`)]
        : null,
      c.pausedByHold ? ['Hold', 'paused by an agency hold'] : null,
    ].filter(Boolean))
      dl.append(h('dt', {}, k), h('dd', {}, val));
    summary.replaceChildren(...kids(dl));

    // Auditors get no controls at all (the API refuses them too).
    if (!me.canOperate) {
      controls.replaceChildren(...kids(h('p', { class: 'muted' }, 'Read-only: your key is an auditor key.')));
      return;
    }
    const s = c.state;
    const ended = s === 'completed' || s === 'cancelled';
    controls.replaceChildren(
      ...kids(
        h(
          'div',
          { class: 'actions' },
          act('Preview notices', showPreview, { secondary: true, testid: 'preview' }),
          act('Approve', async () => refresh(await api('POST', `/v1/campaigns/${id}/approve`)), {
            disabled: s !== 'draft',
            testid: 'approve',
          }),
          act(
            'Trigger',
            async () => {
              await api('POST', `/v1/campaigns/${id}/trigger`);
              await refresh();
              progress.start();
            },
            { disabled: s !== 'approved', testid: 'trigger' },
          ),
          act(
            'Pause',
            async () => {
              await api('POST', `/v1/campaigns/${id}/pause`);
              await refresh();
            },
            { disabled: s !== 'running', secondary: true, testid: 'pause' },
          ),
          act(
            'Resume',
            async () => {
              await api('POST', `/v1/campaigns/${id}/resume`);
              await refresh();
            },
            { disabled: s !== 'paused', secondary: true, testid: 'resume' },
          ),
          act(
            'ENDEX',
            async () => {
              await api('POST', `/v1/campaigns/${id}/endex`);
              await refresh();
            },
            {
              danger: true,
              disabled: ended || s === 'draft',
              confirm: 'End this exercise campaign now? Queued sends stop.',
              testid: 'endex',
            },
          ),
          act(
            'Send the correction',
            async () => {
              const corr = await api('POST', `/v1/campaigns/${id}/correction`, {});
              location.hash = `#/campaigns/${corr.id}`;
            },
            { secondary: true, disabled: !ended || c.kind === 'correction', testid: 'correction' },
          ),
        ),
        s === 'draft'
          ? h(
              'p',
              { class: 'muted' },
              'Two-person rule: a different operator approves. Sign out and sign in with a second operator key, then Approve.',
            )
          : null,
      ),
    );
  }

  async function showPreview() {
    const p = await api('POST', `/v1/campaigns/${id}/preview`, { sampleSize: 2 });
    previewBox.replaceChildren(...kids(previewView(p)));
    previewBox.scrollIntoView({ block: 'start' });
  }

  paint();
  progress.onCampaign = (next) => refresh(next);
  render(
    `Campaign #${c.id}`,
    h('div', { class: 'grid2' }, card('Campaign', summary), card('Controls', controls, msg)),
    progress.el,
    previewBox,
  );
  progress.start();
}

function previewView(p) {
  const lint = (problems) =>
    problems.length
      ? h(
          'ul',
          { class: 'error' },
          problems.map((x) => h('li', {}, `${x.rule}: ${x.message}`)),
        )
      : h('p', {}, flag('ok', 'passed'), ' exercise-safety lint');
  return card(
    'Preview',
    h(
      'p',
      {},
      p.ok ? flag('ok', 'passed') : flag('bad', 'failed'),
      p.ok ? ' All samples pass the lint.' : ' Some samples fail the lint.',
    ),
    p.samples.map((s, i) =>
      h(
        'div',
        { class: 'grid2', 'data-testid': `preview-sample-${i}` },
        s.email
          ? h(
              'div',
              {},
              h('h2', {}, `Email (${carrierName(s.carrier)}, ${s.locale})`),
              h('p', {}, h('strong', {}, 'Subject: '), s.email.subject),
              // sandbox with no permissions: no script, no same-origin access, no forms, no top navigation.
              h('iframe', {
                class: 'email',
                sandbox: '',
                title: `Email preview ${i + 1}`,
                srcdoc: s.email.html,
                'data-testid': 'email-preview',
              }),
              lint(s.email.lint),
            )
          : null,
        s.sms
          ? h(
              'div',
              {},
              h('h2', {}, `SMS (${carrierName(s.carrier)}, ${s.locale})`),
              h(
                'div',
                { class: 'phone', role: 'img', 'aria-label': 'SMS as a phone shows it' },
                h('div', { class: 'bubble', 'data-testid': 'sms-preview' }, s.sms.text),
              ),
              h(
                'p',
                { 'data-testid': 'sms-segments' },
                `${s.sms.segments} segment${s.sms.segments === 1 ? '' : 's'}, ${s.sms.encoding}, ${s.sms.units} units`,
              ),
              lint(s.sms.lint),
              h('p', { class: 'muted' }, `Wireless alert (short): ${s.wireless.short}`),
            )
          : null,
      ),
    ),
    h('h2', {}, 'CAP 1.2'),
    h('pre', { 'data-testid': 'cap-preview' }, p.cap.xml),
    lint(p.cap.lint),
  );
}

/** Live progress over SSE: a bar per state, the overall share done, throughput, per carrier. */
function progressView(id) {
  const total = h(
    'div',
    { class: 'progress-total', 'data-testid': 'progress-total', 'aria-live': 'polite' },
    '0 %',
  );
  const bars = h('div', { 'data-testid': 'state-bars' });
  const carriers = h('div', { 'data-testid': 'carrier-table' });
  const canvas = h('canvas', { 'aria-label': 'Throughput: notices finished per second', role: 'img' });
  const status = h('p', { class: 'muted' }, 'Waiting for the event stream…');
  const el = h(
    'div',
    {},
    h(
      'div',
      { class: 'grid2' },
      card('Progress', total, status, bars),
      card('Throughput (notices finished per second)', h('div', { class: 'chart-box' }, canvas)),
    ),
    card('By carrier', carriers),
  );
  let chart = null;
  let es = null;
  let lastDone = null;
  let lastAt = 0;
  let t0 = 0;
  let lastCarrierFetch = 0;
  const view = { el, onCampaign: null, start };

  function ensureChart() {
    if (chart || !window.Chart) return;
    chart = new window.Chart(canvas, {
      type: 'line',
      data: {
        labels: [],
        datasets: [
          {
            label: 'notices/s',
            data: [],
            borderColor: '#0b5cad',
            backgroundColor: '#0b5cad33',
            fill: true,
            tension: 0.2,
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { title: { display: true, text: 'seconds' } }, y: { beginAtZero: true } },
      },
    });
    cleanup.push(() => chart?.destroy());
  }

  async function paintCarriers(force) {
    if (!force && Date.now() - lastCarrierFetch < 1500) return;
    lastCarrierFetch = Date.now();
    const { byCarrier } = await api('GET', `/dashboard/api/campaigns/${id}/carriers`);
    const rows = Object.entries(byCarrier).map(([carrier, states]) => {
      const n = Object.values(states).reduce((a, b) => a + b, 0);
      const done = TERMINAL.reduce((a, s) => a + (states[s] ?? 0), 0);
      return [
        carrierName(carrier),
        String(n),
        String(states.delivered ?? 0),
        String((states.failed ?? 0) + (states.undelivered ?? 0)),
        String(states.suppressed ?? 0),
        String(states.cancelled ?? 0),
        String(n - done),
        `${n ? Math.floor((100 * done) / n) : 0} %`,
      ];
    });
    carriers.replaceChildren(
      ...kids(
        rows.length
          ? table(
              ['Carrier', 'Notices', 'Delivered', 'Failed', 'Suppressed', 'Cancelled', 'In flight', 'Done'],
              rows,
            )
          : h('p', { class: 'muted' }, 'Nothing queued yet.'),
      ),
    );
  }

  function paint(c) {
    const byState = c.counts.byState;
    const n = c.counts.total;
    const done = TERMINAL.reduce((a, s) => a + (byState[s] ?? 0), 0);
    const finished = c.state === 'completed' || c.state === 'cancelled';
    // 100 % only once the campaign has ended; until the fan-out is done more notices may come.
    const pct = finished ? 100 : n ? Math.min(99, Math.floor((100 * done) / n)) : 0;
    total.textContent = `${pct} %`;
    total.dataset.state = c.state;
    status.textContent = `${c.state}: ${done} of ${n} notices finished${c.fanOutDone ? '' : ' (fan-out still adding)'}.`;
    bars.replaceChildren(
      ...kids(
        ...me.vocab.notificationStates
          .filter((s) => byState[s])
          .map((s) => {
            const share = n ? (100 * byState[s]) / n : 0;
            const bar = h(
              'div',
              {
                class: `bar ${s}`,
                role: 'progressbar',
                'aria-label': s,
                'aria-valuemin': 0,
                'aria-valuemax': n,
                'aria-valuenow': byState[s],
              },
              h('span'),
            );
            bar.firstChild.style.width = `${share}%`;
            return h(
              'div',
              { class: 'bar-row' },
              h('span', {}, s),
              bar,
              h('span', {}, `${byState[s]} (${Math.round(share)} %)`),
            );
          }),
      ),
    );
    ensureChart();
    const now = performance.now();
    if (!t0) t0 = now;
    if (lastDone !== null && chart && now > lastAt) {
      chart.data.labels.push(((now - t0) / 1000).toFixed(1));
      chart.data.datasets[0].data.push(Math.max(0, Math.round(((done - lastDone) * 1000) / (now - lastAt))));
      if (chart.data.labels.length > 120) {
        chart.data.labels.shift();
        chart.data.datasets[0].data.shift();
      }
      chart.update();
    }
    lastDone = done;
    lastAt = now;
    paintCarriers(finished).catch(() => undefined);
  }

  function start() {
    if (es) return;
    es = new EventSource(`/v1/campaigns/${id}/events`);
    cleanup.push(() => es?.close());
    const onData = (ev) => {
      const c = JSON.parse(ev.data);
      paint(c);
      view.onCampaign?.(c);
    };
    es.addEventListener('progress', onData);
    es.addEventListener('done', (ev) => {
      onData(ev);
      es.close(); // the server ends the stream; without close() the browser would reconnect
      status.textContent += ' Done.';
    });
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) status.textContent = 'Event stream closed.';
    };
  }
  return view;
}

// ---- audit log -----------------------------------------------------------------------------

const AUDIT_PAGE_SIZES = ['10', '50', '200'];
const AUDIT_FILTERS = [
  'campaign',
  'incident',
  'type',
  'carrier',
  'channel',
  'outcome',
  'actor',
  'from',
  'to',
];

async function renderAudit(query) {
  const v = me.vocab;
  const filters = new URLSearchParams();
  for (const k of AUDIT_FILTERS) if (query.get(k)) filters.set(k, query.get(k));
  const pageQ = new URLSearchParams(filters);
  pageQ.set('limit', AUDIT_PAGE_SIZES.includes(query.get('limit')) ? query.get('limit') : '50');
  if (query.get('after')) pageQ.set('after', query.get('after'));
  if (query.get('reveal') === 'contact' && me.canReadPii) pageQ.set('reveal', 'contact');

  const form = h(
    'form',
    { class: 'filters', 'data-testid': 'audit-filters' },
    field(
      'Campaign id',
      h('input', { name: 'campaign', inputmode: 'numeric', value: query.get('campaign') ?? '' }),
    ),
    field(
      'Incident id',
      h('input', { name: 'incident', inputmode: 'numeric', value: query.get('incident') ?? '' }),
    ),
    field('Event type', select('type', v.auditEventTypes, query.get('type') ?? '', 'any')),
    field(
      'Carrier',
      select(
        'carrier',
        v.carriers.map((c) => c.id),
        query.get('carrier') ?? '',
        'any',
      ),
    ),
    field('Channel', select('channel', v.channels, query.get('channel') ?? '', 'any')),
    field('Outcome', h('input', { name: 'outcome', value: query.get('outcome') ?? '' })),
    field('Actor', h('input', { name: 'actor', value: query.get('actor') ?? '' })),
    field(
      'From (UTC)',
      h('input', { name: 'from', type: 'datetime-local', value: (query.get('from') ?? '').slice(0, 16) }),
    ),
    field(
      'To (UTC)',
      h('input', { name: 'to', type: 'datetime-local', value: (query.get('to') ?? '').slice(0, 16) }),
    ),
    field('Rows per page', select('limit', AUDIT_PAGE_SIZES, pageQ.get('limit'))),
    me.canReadPii
      ? h(
          'label',
          {},
          h('input', { type: 'checkbox', name: 'reveal', checked: query.get('reveal') === 'contact' }),
          ' Show contacts in clear (audited)',
        )
      : null,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, 'Apply filters'),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          'data-testid': 'failures-only',
          onclick: () => go({ ...Object.fromEntries(filters), type: 'notification.failed' }),
        },
        'Failures only',
      ),
      h('a', { class: 'button secondary', href: '#/audit' }, 'Clear'),
    ),
  );
  function go(obj) {
    const q = new URLSearchParams();
    for (const [k, val] of Object.entries(obj)) if (val) q.set(k, val);
    location.hash = `#/audit?${q}`;
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const obj = {};
    for (const k of AUDIT_FILTERS) obj[k] = form[k].value;
    for (const k of ['from', 'to']) if (obj[k]) obj[k] = `${obj[k]}:00Z`;
    obj.limit = form.limit.value;
    if (form.reveal?.checked) obj.reveal = 'contact';
    go(obj);
  });

  const exports = h(
    'div',
    { class: 'actions', 'data-testid': 'exports' },
    ['csv', 'ndjson', 'bundle'].map((f) => {
      const q = new URLSearchParams(filters);
      q.set('format', f);
      return h(
        'a',
        {
          class: 'button secondary',
          href: `/v1/audit/export?${q}`,
          download: '',
          'data-testid': `export-${f}`,
        },
        `Export ${f.toUpperCase()}`,
      );
    }),
  );

  const verifyBox = h('div', { 'data-testid': 'verify', 'aria-live': 'polite' }, 'Verifying…');
  const verify = async (from) => {
    verifyBox.textContent = 'Verifying…';
    try {
      const [r, pk] = await Promise.all([
        api('GET', `/v1/audit/verify?from=${from}`),
        api('GET', '/v1/audit/public-key'),
      ]);
      const cp = pk.latestCheckpoint;
      verifyBox.replaceChildren(
        ...kids(
          h(
            'p',
            {},
            r.ok ? flag('ok', 'intact') : flag('bad', 'broken'),
            r.ok
              ? ` Chain intact from seq ${r.fromSeq} to ${r.headSeq}`
              : ` Broken at seq ${r.firstBadSeq}: ${r.reason}`,
            ` (${r.rowsChecked} rows, ${r.checkpoints.trusted}/${r.checkpoints.checked} checkpoints trusted, ${r.durationMs} ms).`,
          ),
          h(
            'p',
            {},
            cp
              ? `Last signed checkpoint: seq ${cp.seq} at ${fmtTime(cp.time)} (Ed25519 key ${cp.keyId}).`
              : 'No signed checkpoint yet.',
          ),
          h(
            'div',
            { class: 'actions' },
            h(
              'button',
              { type: 'button', class: 'secondary', onclick: () => verify('genesis') },
              'Verify from genesis',
            ),
            h(
              'a',
              { class: 'button secondary', href: '/v1/audit/public-key', target: '_blank', rel: 'noopener' },
              'Public key',
            ),
          ),
        ),
      );
    } catch (err) {
      verifyBox.replaceChildren(...kids(errorLine(err)));
    }
  };

  const page = await api('GET', `/v1/audit?${pageQ}`);
  const showClear = pageQ.get('reveal') === 'contact';
  const rows = page.items.map((e) => [
    String(e.seq),
    fmtTime(e.at),
    e.type,
    e.actor,
    e.campaignId ? h('a', { href: `#/campaigns/${e.campaignId}` }, `#${e.campaignId}`) : '—',
    e.carrier ? carrierName(e.carrier) : '—',
    e.channel ?? '—',
    e.outcome ?? '—',
    (showClear ? e.contact : e.contactMasked) ?? '—',
  ]);
  const pager = h(
    'div',
    { class: 'actions' },
    h(
      'a',
      {
        class: 'button secondary',
        href: `#/audit?${new URLSearchParams([...filters, ['limit', pageQ.get('limit')]])}`,
      },
      'First page',
    ),
    page.nextCursor !== null
      ? h(
          'a',
          {
            class: 'button secondary',
            'data-testid': 'next-page',
            href: `#/audit?${new URLSearchParams([
              ...filters,
              ['limit', pageQ.get('limit')],
              ['after', String(page.nextCursor)],
              ...(pageQ.get('reveal') ? [['reveal', 'contact']] : []),
            ])}`,
          },
          'Next page',
        )
      : null,
  );
  render(
    'Audit log',
    card('Filters', form),
    card(
      `Events${filters.toString() ? ' (filtered)' : ''}`,
      h(
        'p',
        { class: 'muted' },
        showClear
          ? 'Contacts shown in clear; this read is itself audited (pii.read).'
          : 'Phone numbers and emails are masked.',
      ),
      rows.length
        ? table(['Seq', 'At', 'Type', 'Actor', 'Campaign', 'Carrier', 'Channel', 'Outcome', 'Contact'], rows)
        : h('p', { 'data-testid': 'audit-empty' }, 'No events match these filters.'),
      pager,
    ),
    h(
      'div',
      { class: 'grid2' },
      card('Export (same filters)', exports),
      card('Chain verification', verifyBox),
    ),
  );
  // The query a table shows, for whoever waits on the page (tests, scripts) to know which it is.
  const auditTable = main.querySelector('table');
  auditTable?.setAttribute('data-testid', 'audit-table');
  auditTable?.setAttribute('data-query', pageQ.toString());
  verify('checkpoint');
}

// ---- inboxes -------------------------------------------------------------------------------

async function renderInbox(query) {
  const sim = me.simUrl.replace(/\/$/, '');
  const handsetUrl = (msisdn) => `${sim}/handset/${encodeURIComponent(msisdn)}`;
  const mailboxUrl = (addr) => `${sim}/mailbox/${encodeURIComponent(addr)}`;
  const lookup = (label, name, placeholder, urlOf, testid) => {
    const form = h(
      'form',
      { class: 'stack', 'data-testid': testid },
      field(label, h('input', { name, placeholder, required: true })),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Open')),
    );
    // A plain form cannot post to another origin under the api's CSP (form-action 'self'): navigate.
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      location.href = urlOf(form[name].value.trim());
    });
    return form;
  };
  // Every subscriber is reachable: filter by carrier, page by id (the list API's cursor).
  const listQ = new URLSearchParams({ limit: '50' });
  if (query.get('carrier')) listQ.set('carrier', query.get('carrier'));
  if (/^\d+$/.test(query.get('after') ?? '')) listQ.set('after', query.get('after'));
  const { items, nextCursor } = await api('GET', `/v1/subscribers?${listQ}`);
  const carrierFilter = h(
    'form',
    { class: 'filters', 'data-testid': 'inbox-filter' },
    field(
      'Carrier',
      select(
        'carrier',
        me.vocab.carriers.map((c) => c.id),
        query.get('carrier') ?? '',
        'any',
      ),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary' }, 'Show')),
  );
  carrierFilter.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (carrierFilter.carrier.value) q.set('carrier', carrierFilter.carrier.value);
    location.hash = `#/inbox?${q}`;
  });
  const pager = h(
    'div',
    { class: 'actions' },
    query.get('after')
      ? h(
          'a',
          {
            class: 'button secondary',
            href: `#/inbox?${new URLSearchParams([...listQ].filter(([k]) => k === 'carrier'))}`,
          },
          'First page',
        )
      : null,
    nextCursor !== null
      ? h(
          'a',
          {
            class: 'button secondary',
            'data-testid': 'inbox-next-page',
            href: `#/inbox?${new URLSearchParams([...[...listQ].filter(([k]) => k === 'carrier'), ['after', String(nextCursor)]])}`,
          },
          'Next page',
        )
      : null,
  );
  const rows = items.map((s) => [
    String(s.id),
    carrierName(s.carrier),
    s.msisdn && !s.piiMasked ? h('a', { href: handsetUrl(s.msisdn) }, s.msisdn) : (s.msisdn ?? '—'),
    s.email && !s.piiMasked ? h('a', { href: mailboxUrl(s.email) }, s.email) : (s.email ?? '—'),
  ]);
  render(
    'Inboxes (carrier-sim)',
    h(
      'p',
      { class: 'notice' },
      'Handsets and mailboxes of the mock carrier network. ',
      h('a', { href: `${sim}/` }, 'Open the carrier-sim index'),
      ' (recent handsets and mailboxes).',
    ),
    h(
      'div',
      { class: 'grid2' },
      card('Handset', lookup('Phone number (E.164)', 'msisdn', '+12025550142', handsetUrl, 'handset-lookup')),
      card(
        'Mailbox',
        lookup('Email address', 'address', 'someone@example.com', mailboxUrl, 'mailbox-lookup'),
      ),
    ),
    card(
      'Subscribers',
      h(
        'p',
        { class: 'muted' },
        items[0]?.piiMasked
          ? 'Contacts are masked for your key: open a handset or mailbox by typing its number or address above.'
          : 'Links open each subscriber’s handset or mailbox.',
      ),
      carrierFilter,
      rows.length
        ? h(
            'div',
            { 'data-testid': 'subscriber-table', 'data-query': listQ.toString() },
            table(['Id', 'Carrier', 'Phone', 'Email'], rows),
          )
        : h('p', {}, 'No subscribers registered.'),
      pager,
    ),
  );
}

window.addEventListener('hashchange', route);
route();
