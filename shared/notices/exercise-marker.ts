import type { LintProblem } from '../safety';
import { singleLine } from './escape-markup';

/** The marker must be able to start a subject line and a body line: one non-empty, trimmed line. */
export function markerProblem(marker: string): LintProblem | null {
  if (marker === '' || singleLine(marker) !== marker) {
    return {
      rule: 'marker-value',
      message: 'the exercise marker must be one non-empty line without surrounding spaces',
    };
  }
  return null;
}

/** Rendering refuses a marker that could not start a line (a lint would refuse the result anyway). */
export function assertMarker(marker: string): void {
  const problem = markerProblem(marker);
  if (problem) throw new RangeError(problem.message);
}
