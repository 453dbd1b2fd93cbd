import type { NoticeKind } from '../domain';
import { SIMULATED_LIAISON } from './exercise-text';
import type { CorrectedKind, NoticeContext } from './notice-types';

export interface NoticeSender {
  /** Display name: a fictional carrier or the simulated liaison, never a real agency or carrier. */
  name: string;
  /** Address on a reserved domain. */
  address: string;
}

/** Who a notice comes from (DOMAIN.md §2); a correction comes from whoever sent the original. */
export function noticeSender(ctx: Pick<NoticeContext, 'kind' | 'carrier' | 'correctionOf'>): NoticeSender {
  const kind: NoticeKind = ctx.kind === 'correction' ? correctedKind(ctx) : ctx.kind;
  switch (kind) {
    case 'agency-advisory':
      return { name: SIMULATED_LIAISON.name, address: SIMULATED_LIAISON.address };
    case 'law-enforcement-report':
      return { name: `${ctx.carrier.name} (exercise)`, address: `breach-reports@${ctx.carrier.emailDomain}` };
    default:
      return { name: `${ctx.carrier.name} (exercise)`, address: `notices@${ctx.carrier.emailDomain}` };
  }
}

export function correctedKind(ctx: Pick<NoticeContext, 'correctionOf'>): CorrectedKind {
  return ctx.correctionOf ?? 'carrier-notice';
}
