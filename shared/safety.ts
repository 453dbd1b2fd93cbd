/**
 * Exercise safety (DOMAIN.md §4): the simulator must never be usable to send a realistic government
 * or carrier lure to a real person. These checks run at registration, at startup and in the send path.
 */

/** E.164 +1 NPA 555 01XX: NANP 555-0100..0199 is reserved for fiction. NPA starts with 2-9. */
const RESERVED_MSISDN = /^\+1[2-9]\d{2}55501\d{2}$/;
const E164 = /^\+[1-9]\d{1,14}$/;

const RESERVED_EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org'];
const RESERVED_EMAIL_TLDS = ['.test', '.example', '.invalid'];

export type RecipientProblem = {
  code: 'NOT_E164' | 'NOT_RESERVED_NUMBER' | 'BAD_EMAIL' | 'NOT_RESERVED_DOMAIN';
  message: string;
};

export function checkMsisdn(msisdn: string): RecipientProblem | null {
  if (!E164.test(msisdn)) {
    return {
      code: 'NOT_E164',
      message: 'phone number must be E.164 (+ and digits only); it is refused, not corrected',
    };
  }
  if (!RESERVED_MSISDN.test(msisdn)) {
    return {
      code: 'NOT_RESERVED_NUMBER',
      message: 'phone number must be in the fictional range +1NPA55501XX (555-0100..0199)',
    };
  }
  return null;
}

// Deliberately strict: ASCII local part and domain, one @, no quoted forms.
const EMAIL = /^[A-Za-z0-9._%+-]{1,64}@([A-Za-z0-9-]+\.)+[A-Za-z0-9-]{2,63}$/;

export function isReservedEmailDomain(domain: string): boolean {
  const d = domain.toLowerCase();
  return RESERVED_EMAIL_DOMAINS.includes(d) || RESERVED_EMAIL_TLDS.some((tld) => d.endsWith(tld));
}

export function checkEmail(email: string): RecipientProblem | null {
  if (email.length > 254 || !EMAIL.test(email))
    return { code: 'BAD_EMAIL', message: 'not a valid email address' };
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if (!isReservedEmailDomain(domain)) {
    return {
      code: 'NOT_RESERVED_DOMAIN',
      message: 'email domain must be example.com/.net/.org or end in .test, .example or .invalid',
    };
  }
  return null;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** DOMAIN.md §4.5: gateways only on loopback unless a lab host is named in configuration. */
export function assertGatewayHost(what: string, host: string, labHosts: readonly string[]): void {
  if (isLoopbackHost(host) || labHosts.map((h) => h.toLowerCase()).includes(host.toLowerCase())) return;
  throw new Error(
    `${what} host "${host}" is not loopback and not listed in LAB_HOSTS; refusing to start (exercise safety, DOMAIN.md §4.5)`,
  );
}

/** Names refused in sender and brand fields and in any rendered message (DOMAIN.md §1, §4.3). */
export const REAL_CARRIER_NAMES = [
  'AT&T',
  'ATT',
  'Verizon',
  'T-Mobile',
  'TMobile',
  'Sprint',
  'Lumen',
  'CenturyLink',
  'Charter',
  'Spectrum',
  'Comcast',
  'Xfinity',
  'Windstream',
  'Consolidated Communications',
  'US Cellular',
  'UScellular',
  'Cricket',
  'Boost Mobile',
  'Metro by T-Mobile',
  'Frontier',
  'Cox',
  'Google Fi',
  'Mint Mobile',
  'Visible',
] as const;

export const TRAINING_LINE =
  'This is a simulated training message. No real breach has occurred. No action is required.';

const FORBIDDEN_PHRASES = ['THIS IS NOT A DRILL', 'NOT AN EXERCISE', 'REAL WORLD', 'ACTUAL EVENT'];

export interface LintProblem {
  rule: string;
  message: string;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const REAL_CARRIER_RE = new RegExp(
  `(?<![A-Za-z0-9])(${REAL_CARRIER_NAMES.map(escapeRegExp).join('|')})(?![A-Za-z0-9])`,
  'i',
);

/** Words that name real agencies; allowed only right after "SIMULATED". */
const AGENCY_RE = /(?<![A-Za-z0-9])(FBI|CISA)(?![A-Za-z0-9])/g;

/** Content rules shared by every artifact: forbidden phrases, agencies, real carriers, links. */
export function lintContent(text: string): LintProblem[] {
  const problems: LintProblem[] = [];
  const upper = text.toUpperCase();
  for (const phrase of FORBIDDEN_PHRASES) {
    if (upper.includes(phrase)) problems.push({ rule: 'forbidden-phrase', message: `contains "${phrase}"` });
  }
  for (const m of text.matchAll(AGENCY_RE)) {
    const before = text.slice(0, m.index).trimEnd();
    if (!/SIMULATED$/.test(before)) {
      problems.push({
        rule: 'real-agency',
        message: `"${m[0]}" must be immediately preceded by "SIMULATED"`,
      });
    }
  }
  const carrier = REAL_CARRIER_RE.exec(text);
  if (carrier) problems.push({ rule: 'real-carrier', message: `names a real carrier ("${carrier[1]}")` });
  for (const m of text.matchAll(/\bhttps?:\/\/([^/\s"'<>)]+)/gi)) {
    const host = (m[1] ?? '').replace(/:\d+$/, '').toLowerCase();
    if (/\.(gov|mil)$/.test(host)) problems.push({ rule: 'gov-link', message: `links to ${host}` });
    else if (!isReservedEmailDomain(host) && !isLoopbackHost(host)) {
      problems.push({ rule: 'unreserved-link', message: `links to ${host}, which is not a reserved domain` });
    }
  }
  if (/\b[\w.-]+\.(gov|mil)\b/i.test(text)) {
    if (!problems.some((p) => p.rule === 'gov-link'))
      problems.push({ rule: 'gov-link', message: 'mentions a .gov or .mil host' });
  }
  if (/<img\b[^>]*(seal|logo)/i.test(text))
    problems.push({ rule: 'agency-seal', message: 'embeds a seal or logo image' });
  return problems;
}

/**
 * The full check for one outbound message (DOMAIN.md §4.1–4.3, 4.6). `parts` are the fields that
 * must each start with the marker (subject, body, SMS text); `endsWithMarker` are those that must
 * also end with it (email bodies).
 */
export function lintMessage(
  msg: { startsWithMarker: string[]; endsWithMarker?: string[]; all: string },
  marker: string,
): LintProblem[] {
  const problems = lintContent(msg.all);
  for (const part of msg.startsWithMarker) {
    if (!part.trimStart().startsWith(marker))
      problems.push({ rule: 'marker', message: `does not start with "${marker}"` });
  }
  for (const part of msg.endsWithMarker ?? []) {
    if (!part.trimEnd().endsWith(marker))
      problems.push({ rule: 'marker-end', message: `does not end with "${marker}"` });
  }
  if (!msg.all.includes(TRAINING_LINE))
    problems.push({ rule: 'training-line', message: 'lacks the training disclaimer line' });
  return problems;
}
