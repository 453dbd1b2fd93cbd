import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Replaces the `## <title>` section of BENCHMARKS.md (up to the next `## ` heading) with `body`, or
 * appends it when absent. Other sections, written by other tools or people, are left as they are.
 */
export function writeBenchmarksSection(file: string, title: string, body: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const heading = `## ${title}`;
  const section = `${heading}\n\n${body.trim()}\n`;
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) {
    writeFileSync(file, `${text.replace(/\s*$/, '')}\n\n${section}`);
    return;
  }
  let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  if (end < 0) end = lines.length;
  const before = lines.slice(0, start).join('\n').replace(/\s*$/, '');
  const after = lines.slice(end).join('\n');
  writeFileSync(file, `${before}\n\n${section}${after ? `\n${after}` : ''}`.replace(/\n*$/, '\n'));
}
