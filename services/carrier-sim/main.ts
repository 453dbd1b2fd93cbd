import v8 from 'node:v8';
import { loadConfig } from '../../shared/config';
import { createLogger } from '../../shared/logger';
import { assertGatewayHost } from '../../shared/safety';
import { createCarrierSim } from './create-carrier-sim';

/**
 * Under load the sim makes ~100 MB/s of short-lived garbage; with V8's default heap growth the old
 * generation swells to several times the live data between collections (RSS ~350 MB at a million
 * arrivals instead of ~220 MB). Growing the heap by at most 30% per collection keeps RSS near the
 * live set for a few percent more GC time. Read when the heap next grows, so setting it here works.
 */
const HEAP_GROWING_PERCENT = 30;

/** The carrier-sim process: reads config, listens, logs its URLs, closes on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'carrier-sim' });
  // DOMAIN.md §4.5: the mock gateways live on loopback unless a lab host is named.
  assertGatewayHost('carrier-sim', config.CARRIER_SIM_HOST, config.LAB_HOSTS);
  const sim = createCarrierSim({ apiUrl: config.API_URL, webhookSecret: config.WEBHOOK_SECRET, logger });
  const { httpPort, smtpPort } = await sim.listen({
    host: config.CARRIER_SIM_HOST,
    httpPort: config.CARRIER_SIM_PORT,
    smtpPort: config.CARRIER_SIM_SMTP_PORT,
  });
  const host = config.CARRIER_SIM_HOST.includes(':')
    ? `[${config.CARRIER_SIM_HOST}]`
    : config.CARRIER_SIM_HOST;
  logger.info(
    { httpUrl: `http://${host}:${httpPort}`, smtpUrl: `smtp://${host}:${smtpPort}`, httpPort, smtpPort },
    'carrier-sim ready',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'carrier-sim stopping');
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'carrier-sim did not close cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
