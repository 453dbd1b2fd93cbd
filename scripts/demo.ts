/**
 * `npm run demo`: everything `npm start` does, then a whole drill end to end: a seeded synthetic
 * population, an incident, an agency-style advisory and a carrier notice by email and SMS, a wait
 * until every notification is terminal, a summary checked against the carrier-sim's ground truth.
 * `--exit` stops after the summary: exit 0 only when nothing was lost or duplicated.
 *   --subscribers N   population size (default 120)    --seed N   population seed (default 42)
 */
import { parseArgs } from 'node:util';
import { startStack, stopOnSignals } from './lib/stack';
import {
  approveAndTrigger,
  clientsWithNewKeys,
  createDrillIncident,
  fetchArrivals,
  printTable,
  registerPopulation,
  sendDrillLawEnforcementReport,
  summarize,
  waitForCampaigns,
} from './lib/drill';
import type { Campaign } from '../shared/api/campaigns.schema';

const { values } = parseArgs({
  options: {
    exit: { type: 'boolean', default: false },
    subscribers: { type: 'string', default: '120' },
    seed: { type: 'string', default: '42' },
    timeout: { type: 'string', default: '180' },
  },
});

const stack = await startStack({ env: process.env, quiet: true }).catch((err: Error) => {
  console.error(`demo could not start the system: ${err.message}`);
  process.exit(1);
});
stopOnSignals(stack);

let ok = false;
try {
  // Two operators: the two-person rule needs a second, distinct key to approve each campaign.
  const operators = await clientsWithNewKeys(stack.apiUrl, stack.adminKey, [
    { name: `demo operator 1 ${Date.now()}`, role: 'operator' },
    { name: `demo operator 2 ${Date.now()}`, role: 'operator' },
  ]);
  const api = operators[0]!;
  const approver = operators[1]!;
  console.log(
    `breach-drill demo: API ${stack.apiUrl}, carrier-sim ${stack.simUrl} (all messages are EXERCISE)`,
  );
  await registerPopulation(api, Number(values.subscribers), Number(values.seed));
  const exerciseId = `DEMO-${new Date().toISOString().slice(0, 10)}-${Date.now().toString(36)}`;
  const incident = await createDrillIncident(api, exerciseId);
  console.log(`incident ${incident.id} (${incident.exerciseId}, advisory ${incident.advisoryId})`);
  // No customer notice before the law-enforcement report is recorded as sent (DOMAIN.md §5).
  await sendDrillLawEnforcementReport(api, incident);
  console.log('law-enforcement report sent to the simulated reporting facility');
  const campaigns: Campaign[] = [];
  for (const kind of ['agency-advisory', 'carrier-notice'] as const) {
    const c = await api.post<Campaign>('/v1/campaigns', {
      incidentId: incident.id,
      kind,
      channels: ['email', 'sms'],
    });
    await approveAndTrigger(approver, api, c.id);
    campaigns.push(c);
    console.log(`campaign ${c.id}: ${kind} approved by a second operator and triggered`);
  }
  const done = await waitForCampaigns(
    api,
    campaigns.map((c) => c.id),
    Number(values.timeout) * 1000,
  );
  const { byChannel, byCarrier } = await summarize(api, done);
  printTable('By channel (latency: trigger → delivered)', byChannel);
  printTable('By carrier', byCarrier);

  // Ground truth: what the carrier-sim actually received, never our own log.
  const ids = new Set(done.map((c) => c.id));
  const arrivals = (await fetchArrivals(stack.simUrl)).filter(
    (a) => a.campaignId !== null && ids.has(Number(a.campaignId)),
  );
  const keys = new Set(arrivals.map((a) => a.key));
  const expected = done.reduce(
    (n, c) =>
      n +
      (c.counts.byState.delivered ?? 0) +
      (c.counts.byState.undelivered ?? 0) +
      (c.counts.byState.sent ?? 0),
    0,
  );
  const open = done.reduce(
    (n, c) =>
      n + ['pending', 'sending', 'sent', 'retrying'].reduce((m, s) => m + (c.counts.byState[s] ?? 0), 0),
    0,
  );
  const duplicates = arrivals.length - keys.size;
  ok = done.every((c) => c.state === 'completed') && open === 0 && keys.size === expected && duplicates === 0;
  console.log(`
Ground truth (carrier-sim): ${keys.size} distinct arrivals for ${expected} sent notifications, ${duplicates} duplicates, ${open} not terminal.
Verdict: ${ok ? 'nothing lost, nothing duplicated' : 'MISMATCH: see the counts above and GET /v1/audit'}
Look around:
  campaign status   ${stack.apiUrl}/v1/campaigns/${campaigns[0]!.id}
  audit log         ${stack.apiUrl}/v1/audit?campaign=${campaigns[0]!.id}
  API docs          ${stack.apiUrl}/docs
  handsets, inboxes ${stack.simUrl}/`);
} catch (err) {
  console.error(`demo failed: ${(err as Error).message}`);
}

if (values.exit) {
  await stack.stop();
  process.exit(ok ? 0 : 1);
} else {
  console.log('\nStill running; press Ctrl-C to stop everything.');
}
