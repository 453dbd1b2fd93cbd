import type { ApiDeps } from '../steps/api-deps';
import type { RouteSpec } from '../http/define-route';

export function campaignLifecycleRoutes(_deps: ApiDeps): RouteSpec[] {
  return [];
}
