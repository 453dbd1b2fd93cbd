import type { Request, Response } from 'express';
import type { Db } from '../../../shared/store/db';
import { getCampaign } from './campaigns';

const TICK_MS = 500; // how often progress is pushed while the campaign runs

/**
 * Server-Sent Events: pushes the campaign with its counts every tick while anything changes, and a
 * final `done` event once it is completed or cancelled. Ends when the client goes away.
 */
export async function streamCampaignEvents(db: Db, id: number, req: Request, res: Response): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  let closed = false;
  req.on('close', () => {
    closed = true;
  });
  let last = '';
  let n = 0;
  while (!closed) {
    const c = await getCampaign(db, id).catch(() => null);
    if (!c) break;
    const json = JSON.stringify(c);
    if (json !== last) {
      res.write(`id: ${++n}\nevent: progress\ndata: ${json}\n\n`);
      last = json;
    } else {
      res.write(': keep-alive\n\n');
    }
    if (c.state === 'completed' || c.state === 'cancelled') {
      res.write(`event: done\ndata: ${json}\n\n`);
      break;
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  res.end();
}
