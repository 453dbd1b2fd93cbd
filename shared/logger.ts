import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs. Never log a body, a phone number, an email or a key: bind ids we control
 * (campaign, job, chunk) through child loggers instead (STYLE.md §12).
 */
export function createLogger(opts: { level: string; name: string }): Logger {
  return pino({
    name: opts.name,
    level: opts.level,
    redact: {
      paths: ['req.headers.authorization', '*.msisdn', '*.email', '*.apiKey', '*.password', 'body'],
      censor: '[redacted]',
    },
  });
}
