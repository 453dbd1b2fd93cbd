/** Minimal HTML building for the sim's pages: every value is escaped, nothing loads from elsewhere. */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** A trusted HTML fragment built by this module's callers (values inside already escaped). */
export interface Html {
  readonly html: string;
}

export const raw = (html: string): Html => ({ html });

/** Tagged template: interpolated values are escaped unless they are Html fragments (or arrays of them). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return { html: out };
}

function render(v: unknown): string {
  if (Array.isArray(v)) return v.map(render).join('');
  if (v && typeof v === 'object' && 'html' in v) return (v as Html).html;
  return escapeHtml(v);
}

/** Pages forbid scripts, remote loads and forms; email HTML additionally sits in a sandboxed iframe. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#eef1f5;color:#1d2430}
header.top{background:#1d2430;color:#fff;padding:10px 20px;display:flex;gap:16px;align-items:center}
header.top a{color:#cfe0ff;text-decoration:none}
header.top .mark{background:#ffd43b;color:#1d2430;font-weight:700;padding:2px 8px;border-radius:4px;font-size:12px}
main{padding:20px;max-width:1200px;margin:0 auto}
table{border-collapse:collapse;background:#fff}
td,th{padding:6px 10px;border-bottom:1px solid #e3e7ee;text-align:left;vertical-align:top}
a{color:#1b5fd1}
.muted{color:#6b7686}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:16px}
.card{background:#fff;border-radius:8px;padding:14px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.phone{width:360px;margin:0 auto;background:#111;border-radius:42px;padding:14px;box-shadow:0 10px 30px rgba(0,0,0,.3)}
.screen{background:#fff;border-radius:30px;overflow:hidden;height:680px;display:flex;flex-direction:column}
.status{display:flex;justify-content:space-between;font-size:12px;padding:10px 22px 4px;font-weight:600}
.contact{text-align:center;border-bottom:1px solid #e5e5ea;padding:6px 0 10px;font-size:13px}
.contact .avatar{width:40px;height:40px;border-radius:50%;background:#b4bcc8;color:#fff;margin:0 auto 4px;display:flex;align-items:center;justify-content:center;font-weight:700}
.thread{flex:1;overflow-y:auto;padding:12px 12px 18px;display:flex;flex-direction:column;gap:4px}
.sender{font-size:11px;color:#8e8e93;margin:10px 0 0 6px}
.time{font-size:11px;color:#8e8e93;text-align:center;margin:10px 0 2px}
.bubble{background:#e9e9eb;color:#000;border-radius:18px;padding:8px 12px;max-width:78%;align-self:flex-start;white-space:pre-wrap;overflow-wrap:anywhere;font-size:14px}
.bubble.gone{background:#f4f4f6;color:#8e8e93;font-style:italic}
.inputbar{border-top:1px solid #e5e5ea;padding:8px 14px;color:#8e8e93;font-size:13px}
.mail{display:grid;grid-template-columns:340px 1fr;gap:16px}
.list a{display:block;padding:10px 12px;border-bottom:1px solid #e3e7ee;color:inherit;text-decoration:none;background:#fff}
.list a.sel{background:#e6efff}
.list .subj{font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.reader{background:#fff;border-radius:8px;padding:14px 16px}
.reader iframe{width:100%;height:640px;border:1px solid #e3e7ee;border-radius:6px;background:#fff}
.headers td:first-child{color:#6b7686;white-space:nowrap}
pre{white-space:pre-wrap;overflow-wrap:anywhere}
`;

export function page(title: string, body: Html): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · carrier-sim</title><style>${STYLE}</style></head>
<body><header class="top"><span class="mark">EXERCISE</span><a href="/"><strong>breach-drill carrier-sim</strong></a>
<a href="/stats">stats</a><a href="/faults">faults</a><a href="/arrivals">arrivals (NDJSON)</a></header>
<main>${body.html}</main></body></html>`;
}
