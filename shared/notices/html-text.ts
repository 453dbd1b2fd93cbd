import { decodeEntities } from './escape-markup';

/** Just enough HTML reading for the lint: the visible text of the body, and the text of some tags. */

function textOf(fragment: string): string {
  const stripped = fragment
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ');
  return decodeEntities(stripped).replace(/\s+/g, ' ').trim();
}

/** The visible text of `<body>` (the whole document when there is no body tag), whitespace collapsed. */
export function htmlBodyText(html: string): string {
  const body = /<body\b[^>]*>([\s\S]*?)<\/body\s*>/i.exec(html);
  return textOf(body?.[1] ?? html);
}

/** The text of each `<tag>` element, in document order. */
export function htmlElementTexts(html: string, tag: string): string[] {
  const re = new RegExp(`<${tag}\\b[^>]*>([\\s\\S]*?)</${tag}\\s*>`, 'gi');
  return [...html.matchAll(re)].map((m) => textOf(m[1] ?? ''));
}
