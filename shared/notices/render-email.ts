import { dataCategoryLabels } from './data-category-labels';
import { escapeHtml, singleLine } from './escape-markup';
import { assertMarker } from './exercise-marker';
import { TRAINING_LINE, TRAINING_LINE_ES } from './exercise-text';
import { interpolate } from './interpolate';
import { findTemplate } from './notice-templates';
import type { NoticeContext, RenderedEmail } from './notice-types';
import { CUSTOMER_TLP, noticeVars } from './notice-vars';
import type { EmailTemplate, TemplateBlock, TemplateVars } from './template-types';

// Inline styles: mail clients drop <style> blocks. No text is smaller than 12pt (DOMAIN.md §2: ≥ 10pt).
const STYLE = {
  body: 'margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:12pt;line-height:1.5;color:#111111;background:#ffffff',
  marker: 'margin:0 0 8px;font-size:12pt;font-weight:bold;letter-spacing:1px;color:#8a1c1c',
  tlp: 'margin:0 0 8px;font-size:12pt;font-weight:bold;font-family:Courier New,monospace',
  training: 'margin:0 0 8px;font-size:12pt;font-weight:bold;border:2px solid #8a1c1c;padding:8px',
  h1: 'margin:16px 0 4px;font-size:18pt',
  subtitle: 'margin:0 0 12px;font-size:12pt;font-style:italic',
  h2: 'margin:16px 0 4px;font-size:14pt',
  subheading: 'margin:0 0 6px;font-size:12pt;font-weight:bold;font-style:italic',
  p: 'margin:0 0 10px;font-size:12pt',
  cellLabel: 'padding:2px 12px 2px 0;font-size:12pt;font-weight:bold;vertical-align:top',
  cell: 'padding:2px 0;font-size:12pt;vertical-align:top',
  link: 'color:#0645ad',
} as const;

const NO_CATEGORIES = { en: 'None recorded', es: 'Ninguno registrado' } as const;

/**
 * Renders the default email template of `ctx.kind` in `ctx.locale`. The law-enforcement report needs
 * the seven report fields, which a customer notice context does not carry: use
 * `renderLawEnforcementReport(report, ctx)` for it.
 */
export function renderEmail(ctx: NoticeContext): RenderedEmail {
  if (ctx.kind === 'law-enforcement-report') {
    throw new RangeError(
      'law-enforcement-report needs the FCC 64.2011(a)(1) report fields; use renderLawEnforcementReport(report, ctx)',
    );
  }
  return renderEmailTemplate(findTemplate(ctx.kind, ctx.locale, 'email'), ctx, noticeVars(ctx));
}

/**
 * Lays out one email template: marker, TLP label (advisories), training line(s), title, sections,
 * signature, training line, marker, as plain text and as HTML with inline styles. Pure: same input,
 * same bytes.
 */
export function renderEmailTemplate(
  template: EmailTemplate,
  ctx: NoticeContext,
  vars: TemplateVars,
): RenderedEmail {
  const { marker } = ctx;
  assertMarker(marker);
  const fill = (s: string) => singleLine(interpolate(s, vars, template.id));
  const tlp = template.kind === 'agency-advisory' ? CUSTOMER_TLP : null;
  const training = template.locale === 'es' ? [TRAINING_LINE, TRAINING_LINE_ES] : [TRAINING_LINE];
  const categories = dataCategoryLabels(ctx.incident.dataCategories, template.locale);
  const categoryItems = categories.length > 0 ? categories : [NO_CATEGORIES[template.locale]];

  const title = fill(template.title);
  const subtitle = template.subtitle === undefined ? null : fill(template.subtitle);

  // Plain text
  const text: string[] = [marker];
  if (tlp) text.push(tlp);
  text.push(...training, '', title);
  if (subtitle) text.push(subtitle);
  text.push('');
  const textBlock = (block: TemplateBlock): string => {
    if (typeof block === 'string') return fill(block);
    if ('dataCategories' in block) return categoryItems.map((c) => `- ${c}`).join('\n');
    return block.rows.map(([label, value]) => `${fill(label)}: ${fill(value)}`).join('\n');
  };
  for (const block of template.intro) text.push(textBlock(block), '');
  for (const section of template.sections) {
    text.push(fill(section.heading));
    if (section.subheading !== undefined) text.push(fill(section.subheading));
    text.push('');
    for (const block of section.blocks) text.push(textBlock(block), '');
  }
  text.push(...template.signature.map(fill), '', ...training, marker);

  // HTML
  const p = (style: string, content: string) => `<p style="${style}">${content}</p>`;
  const htmlText = (s: string) => linkify(escapeHtml(s));
  const htmlBlock = (block: TemplateBlock): string => {
    if (typeof block === 'string') return p(STYLE.p, htmlText(fill(block)));
    if ('dataCategories' in block) {
      return `<ul style="${STYLE.p}">${categoryItems.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul>`;
    }
    const rows = block.rows.map(
      ([label, value]) =>
        `<tr><td style="${STYLE.cellLabel}">${escapeHtml(fill(label))}</td><td style="${STYLE.cell}">${htmlText(fill(value))}</td></tr>`,
    );
    return `<table role="presentation" style="margin:0 0 10px;border-collapse:collapse">${rows.join('')}</table>`;
  };
  const html: string[] = [
    '<!DOCTYPE html>',
    `<html lang="${template.locale}">`,
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(`${marker} ${title}`)}</title>`,
    '</head>',
    `<body style="${STYLE.body}">`,
    p(STYLE.marker, escapeHtml(marker)),
  ];
  if (tlp) html.push(p(STYLE.tlp, tlp));
  html.push(...training.map((line) => p(STYLE.training, escapeHtml(line))));
  html.push(`<h1 style="${STYLE.h1}">${escapeHtml(title)}</h1>`);
  if (subtitle) html.push(p(STYLE.subtitle, htmlText(subtitle)));
  html.push(...template.intro.map(htmlBlock));
  for (const section of template.sections) {
    html.push(`<h2 style="${STYLE.h2}">${escapeHtml(fill(section.heading))}</h2>`);
    if (section.subheading !== undefined)
      html.push(p(STYLE.subheading, escapeHtml(fill(section.subheading))));
    html.push(...section.blocks.map(htmlBlock));
  }
  html.push(p(STYLE.p, template.signature.map((s) => htmlText(fill(s))).join('<br>')));
  html.push(...training.map((line) => p(STYLE.training, escapeHtml(line))));
  html.push(p(STYLE.marker, escapeHtml(marker)), '</body>', '</html>');

  return {
    subject: singleLine([marker, tlp, fill(template.subject)].filter((s) => s !== null).join(' ')),
    text: `${text.join('\n')}\n`,
    html: `${html.join('\n')}\n`,
    headers: exerciseHeaders(ctx, template),
  };
}

function exerciseHeaders(ctx: NoticeContext, template: EmailTemplate): Record<string, string> {
  return {
    'X-Exercise': singleLine(ctx.marker),
    'X-Exercise-Id': singleLine(ctx.incident.exerciseId),
    'X-Campaign-Id': String(ctx.campaignId),
    'X-Notice-Kind': template.kind,
    'Content-Language': template.locale,
  };
}

/** Makes the (already escaped) http(s) URLs in a paragraph clickable; trailing punctuation stays text. */
function linkify(escaped: string): string {
  return escaped.replace(/https?:\/\/[A-Za-z0-9.-]+(?::\d+)?(?:\/[A-Za-z0-9._~%/-]*)?/g, (url) => {
    const trimmed = url.replace(/[.]+$/, '');
    const rest = url.slice(trimmed.length);
    return `<a href="${trimmed}" style="${STYLE.link}">${trimmed}</a>${rest}`;
  });
}
