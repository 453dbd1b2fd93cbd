import { CONFIG_DOCS } from '../../shared/config';

export function renderEnvExample(): string {
  const lines = ['# breach-drill configuration. Every key is optional; the value shown is the default.', ''];
  for (const [key, [def, doc]] of Object.entries(CONFIG_DOCS)) {
    lines.push(`# ${doc}`, `${key}=${def}`, '');
  }
  return lines.join('\n');
}

/** The README's configuration table, from the same source. */
export function renderConfigTable(): string {
  const rows = Object.entries(CONFIG_DOCS).map(
    ([k, [def, doc]]) => `| \`${k}\` | ${def === '' ? '(unset)' : `\`${def}\``} | ${doc} |`,
  );
  return ['| key | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
