import { TRAINING_LINE, type LintProblem } from '../safety';
import { decodeEntities } from './escape-markup';
import { markerProblem } from './exercise-marker';
import { dedupe, lintAddresses, lintAdvisoryIds, lintContentAt, lintTlp } from './lint-rules';
import { CAP_NAMESPACE } from './render-cap';

/** Text of every `<name>` element (no nesting in the elements checked here), entities decoded. */
function elements(xml: string, name: string): string[] {
  const re = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g');
  return [...xml.matchAll(re)].map((m) => decodeEntities(m[1] ?? ''));
}

/**
 * The send-path check for a CAP document (DOMAIN.md §2, §4): the exercise rules the XML schema cannot
 * express. Schema validity itself is checked in the tests against the official XSD.
 */
export function lintCap(xml: string, marker: string): LintProblem[] {
  const bad = markerProblem(marker);
  if (bad) return [bad];
  const problems: LintProblem[] = [];
  const need = (ok: boolean, rule: string, message: string) => {
    if (!ok) problems.push({ rule, message });
  };
  need(
    xml.includes(`<alert xmlns="${CAP_NAMESPACE}">`),
    'cap-namespace',
    `root must be <alert> in ${CAP_NAMESPACE}`,
  );
  need(elements(xml, 'status').join() === 'Exercise', 'cap-status', 'status must be Exercise');
  const notes = elements(xml, 'note');
  need(
    notes.length === 1 && (notes[0] ?? '').startsWith(marker),
    'marker',
    `note must start with "${marker}"`,
  );
  need(
    notes.some((n) => n.includes(TRAINING_LINE)),
    'training-line',
    'note lacks the training disclaimer line',
  );
  const headlines = elements(xml, 'headline');
  need(
    headlines.length > 0 && headlines.every((h) => h.startsWith(marker)),
    'marker',
    `every headline must start with "${marker}"`,
  );
  for (const sent of [...elements(xml, 'sent'), ...elements(xml, 'effective'), ...elements(xml, 'expires')]) {
    need(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[-+]\d{2}:\d{2}$/.test(sent),
      'cap-time',
      `"${sent}" needs a numeric offset, never Z`,
    );
  }
  for (const id of [...elements(xml, 'identifier'), ...elements(xml, 'sender')]) {
    need(
      id !== '' && !/[\s,<&]/.test(id),
      'cap-identifier',
      `"${id}" must not contain spaces, commas, < or &`,
    );
  }
  need(elements(xml, 'category').includes('Security'), 'cap-category', 'category must include Security');
  const msgType = elements(xml, 'msgType')[0];
  if (msgType === 'Update' || msgType === 'Cancel') {
    need(
      elements(xml, 'references').some((r) => r.trim() !== ''),
      'cap-references',
      `a ${msgType} needs references`,
    );
  }
  const text = decodeEntities(xml);
  problems.push(
    ...lintContentAt('cap', text),
    ...lintTlp([text]),
    ...lintAdvisoryIds(text),
    ...lintAddresses(text),
  );
  return dedupe(problems);
}
