import { Router, type NextFunction, type Request, type Response } from 'express';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { ApiDeps } from '../steps/api-deps';
import { findActiveKeyByHash } from './find-key-by-hash';
import { isStateChanging, sessionIdOf, type SessionStore } from './session-store';

export const QUEUES_BOARD_PATH = '/admin/queues';
const CDN_LINK_RE = /<link\b[^>]*href="https?:\/\/[^"]*"[^>]*>/g;

/**
 * bull-board over every queue of the registry, for admin dashboard sessions only. bull-board's own
 * script cannot send the dashboard's CSRF header, so its state-changing calls (retry, clean, pause)
 * must come from this origin instead: the Origin header must name this host (on top of SameSite=Strict).
 */
export function queuesBoardRouter(deps: ApiDeps, sessions: SessionStore): Router {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(QUEUES_BOARD_PATH);
  createBullBoard({
    queues: deps.queues.all().map((q) => new BullMQAdapter(q)),
    serverAdapter: adapter,
    // The exercise marker, on this page too.
    options: { uiConfig: { boardTitle: 'EXERCISE · breach-drill queues' } },
  });

  async function adminOnly(req: Request, res: Response, next: NextFunction): Promise<void> {
    const sid = sessionIdOf(req);
    const keyHash = sid ? await sessions.resolve(sid).catch(() => null) : null;
    const rec = keyHash ? await findActiveKeyByHash(deps.db, keyHash) : null;
    if (!rec) {
      res.status(401).type('text').send('Sign in to the dashboard (/) with an admin key first.');
      return;
    }
    if (rec.role !== 'admin') {
      res.status(403).type('text').send('The queues board is for admin keys only.');
      return;
    }
    if (isStateChanging(req.method) && req.get('origin') !== `${req.protocol}://${req.get('host')}`) {
      res.status(403).type('text').send('Cross-origin request refused.');
      return;
    }
    // bull-board's page links a web font from a CDN: drop that link (the board falls back to system
    // fonts), and a CSP without https: sources keeps anything else it might add from loading.
    const render = res.render.bind(res);
    res.render = ((view: string, options?: object) =>
      render(view, options ?? {}, (err: Error | null, html: string) => {
        if (err) next(err);
        else res.type('html').send(html.replace(CDN_LINK_RE, ''));
      })) as typeof res.render;
    res.set(
      'content-security-policy',
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'",
    );
    next();
  }

  const router = Router();
  router.use(QUEUES_BOARD_PATH, adminOnly, adapter.getRouter() as Router);
  return router;
}
