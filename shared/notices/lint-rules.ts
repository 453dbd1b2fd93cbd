import { TLP_LABELS } from '../domain';
import { isReservedEmailDomain, lintContent, lintMessage, type LintProblem } from '../safety';
import { isValidAdvisoryId } from './advisory-id';

/**
 * Notice-level lint rules on top of shared/safety's `lintContent` and `lintMessage` (DOMAIN.md §2,
 * §4): labelled per part, so a refusal says where the problem is.
 */

/** `lintMessage` for one part; `needsTrainingLine` false for parts that need not carry it (a subject). */
export function lintPart(
  where: string,
  text: string,
  marker: string,
  opts: { endsWithMarker: boolean; needsTrainingLine: boolean },
): LintProblem[] {
  return lintMessage(
    { startsWithMarker: [text], endsWithMarker: opts.endsWithMarker ? [text] : [], all: text },
    marker,
  )
    .filter((p) => opts.needsTrainingLine || p.rule !== 'training-line')
    .map((p) => at(where, p));
}

export function lintContentAt(where: string, text: string): LintProblem[] {
  return lintContent(text).map((p) => at(where, p));
}

function at(where: string, p: LintProblem): LintProblem {
  return { rule: p.rule, message: `${where}: ${p.message}` };
}

const TLP_TOKEN = /(?<![A-Za-z0-9])TLP\s*:\s*[A-Za-z+]+/gi;

/** The TLP labels a text carries, as written. */
export function tlpTokens(text: string): string[] {
  return [...text.matchAll(TLP_TOKEN)].map((m) => m[0]);
}

/** Every TLP label is one of the five TLP 2.0 labels as written (upper case, no spaces), and only one is used. */
export function lintTlp(texts: readonly string[]): LintProblem[] {
  const tokens = texts.flatMap(tlpTokens);
  const problems: LintProblem[] = [];
  for (const t of new Set(tokens)) {
    if (!(TLP_LABELS as readonly string[]).includes(t)) {
      problems.push({
        rule: 'tlp-label',
        message: `"${t}" is not a TLP 2.0 label (${TLP_LABELS.join(', ')})`,
      });
    }
  }
  const distinct = new Set(tokens.map((t) => t.toUpperCase().replace(/\s+/g, '')));
  if (distinct.size > 1) {
    problems.push({
      rule: 'tlp-multiple',
      message: `carries more than one TLP label: ${[...distinct].join(', ')}`,
    });
  }
  return problems;
}

/** Every advisory id is well formed and names a day that exists (DOMAIN.md §2). */
export function lintAdvisoryIds(text: string): LintProblem[] {
  const ids = new Set([...text.matchAll(/(?<![A-Za-z0-9])SIM-AA[A-Za-z0-9-]*/g)].map((m) => m[0]));
  return [...ids]
    .filter((id) => !isValidAdvisoryId(id))
    .map((id) => ({ rule: 'advisory-id', message: `"${id}" is not a valid advisory id (SIM-AAyy-dddL)` }));
}

/** Email addresses in a message are on reserved domains too (DOMAIN.md §4.6, extended to mailto). */
export function lintAddresses(text: string): LintProblem[] {
  const domains = new Set(
    [...text.matchAll(/[A-Za-z0-9._%+-]+@((?:[A-Za-z0-9-]+\.)+[A-Za-z0-9-]+)/g)].map((m) =>
      (m[1] ?? '').toLowerCase(),
    ),
  );
  return [...domains]
    .filter((d) => !isReservedEmailDomain(d))
    .map((d) => ({
      rule: 'unreserved-address',
      message: `an email address on ${d}, which is not a reserved domain`,
    }));
}

export function dedupe(problems: readonly LintProblem[]): LintProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.rule}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
