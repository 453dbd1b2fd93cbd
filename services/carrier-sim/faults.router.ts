import { Router } from 'express';
import type { FaultBook } from './fault-book';
import { faultsInput } from './faults.schema';
import { jsonBody, parseOrThrow } from './gateway-middleware';

/**
 * `GET /faults` shows the live profiles and seed; `PUT /faults` replaces them all (validated; 400 on
 * bad input) and reseeds every PRNG, so replaying the same requests gives the same outcomes.
 */
export function faultsRouter(faults: FaultBook): Router {
  const router = Router();
  router.get('/faults', (_req, res) => {
    res.json(faults.describe());
  });
  router.put('/faults', jsonBody, (req, res) => {
    faults.put(parseOrThrow(faultsInput, req.body, 'fault profile'));
    res.json(faults.describe());
  });
  return router;
}
