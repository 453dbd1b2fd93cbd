import { Router, type Response } from 'express';
import { CARRIERS, findCarrier } from '../../shared/carriers';
import type { ArrivalStore } from './arrival-store';
import { handsetPage } from './handset-page';
import { PAGE_CSP, page, type Html } from './html';
import { indexPage } from './index-page';
import { mailboxPage } from './mailbox-page';
import { renderEmail } from './render-message';

const PAGE_LIMIT = 50;

function sendPage(res: Response, title: string, body: Html): void {
  res.set('Content-Security-Policy', PAGE_CSP).type('html').send(page(title, body));
}

/**
 * Pages for people: `/` (index), `/handset/:msisdn` (an SMS thread as a phone shows it) and
 * `/mailbox/:address` (message list and the selected email rendered with its headers).
 */
export function pagesRouter(store: ArrivalStore): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    const body = indexPage({
      carriers: CARRIERS,
      handsets: store.recentRecipients('sms', 20),
      mailboxes: store.recentRecipients('email', 20),
      arrivals: store.count,
    });
    sendPage(res, 'carrier-sim', body);
  });

  // The index's lookup forms submit here.
  router.get('/handset', (req, res) => {
    res.redirect(303, `/handset/${encodeURIComponent(String(req.query.msisdn ?? ''))}`);
  });
  router.get('/mailbox', (req, res) => {
    res.redirect(303, `/mailbox/${encodeURIComponent(String(req.query.address ?? ''))}`);
  });

  router.get('/handset/:msisdn', (req, res) => {
    const msisdn = String(req.params.msisdn);
    const { total, indices } = store.inbox('sms', msisdn, PAGE_LIMIT);
    const messages = indices.reverse().map((i) => {
      const a = store.arrival(i);
      const body = store.body(i);
      return {
        arrival: a,
        from: body?.kind === 'sms' ? body.from : null,
        text: body?.kind === 'sms' ? body.text : null,
      };
    });
    const carrierName = findCarrier(messages.at(-1)?.arrival.carrier ?? '')?.name ?? 'Carrier';
    sendPage(res, `Handset ${msisdn}`, handsetPage({ msisdn, total, carrierName, messages }));
  });

  router.get('/mailbox/:address', async (req, res) => {
    const address = String(req.params.address).toLowerCase();
    const { total, indices } = store.inbox('email', address, PAGE_LIMIT);
    const items = indices.map((i) => {
      const body = store.body(i);
      return { arrival: store.arrival(i), body: body?.kind === 'email' ? body : undefined };
    });
    const wanted = typeof req.query.m === 'string' ? req.query.m : undefined;
    const selected = items.find((m) => m.arrival.messageId === wanted) ?? items.find((m) => m.body);
    const rendered = selected?.body ? await renderEmail(selected.body.raw, selected.body) : null;
    const body = mailboxPage({
      address,
      total,
      items,
      selectedId: selected?.arrival.messageId ?? null,
      rendered,
    });
    sendPage(res, `Mailbox ${address}`, body);
  });

  return router;
}
