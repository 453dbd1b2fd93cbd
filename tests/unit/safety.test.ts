import { describe, expect, it } from 'vitest';
import { checkEmail, checkMsisdn, assertGatewayHost, lintContent } from '../../shared/safety';

describe('checkMsisdn', () => {
  it('accepts the fictional range +1NPA55501XX', () => {
    expect(checkMsisdn('+12025550123')).toBeNull();
    expect(checkMsisdn('+19995550199')).toBeNull();
  });
  it('refuses numbers outside 555-0100..0199', () => {
    expect(checkMsisdn('+12025550200')?.code).toBe('NOT_RESERVED_NUMBER');
    expect(checkMsisdn('+12025551234')?.code).toBe('NOT_RESERVED_NUMBER');
    expect(checkMsisdn('+442025550123')?.code).toBe('NOT_RESERVED_NUMBER');
  });
  it('refuses input that is not E.164 instead of fixing it', () => {
    for (const s of ['2025550123', '+1 202 555 0123', '(202) 555-0123', '+1202555012３']) {
      expect(checkMsisdn(s)?.code).toBe('NOT_E164');
    }
  });
});

describe('checkEmail', () => {
  it('accepts reserved domains only', () => {
    expect(checkEmail('a.b@example.com')).toBeNull();
    expect(checkEmail('x@northwind-mobile.test')).toBeNull();
    expect(checkEmail('x@lab.example')).toBeNull();
    expect(checkEmail('x@nowhere.invalid')).toBeNull();
    expect(checkEmail('x@gmail.com')?.code).toBe('NOT_RESERVED_DOMAIN');
    expect(checkEmail('x@example.com.evil.org')?.code).toBe('NOT_RESERVED_DOMAIN');
    expect(checkEmail('not-an-email')?.code).toBe('BAD_EMAIL');
  });
});

describe('assertGatewayHost', () => {
  it('allows loopback and named lab hosts, refuses anything else', () => {
    expect(() => assertGatewayHost('SMTP', '127.0.0.1', [])).not.toThrow();
    expect(() => assertGatewayHost('SMTP', 'localhost', [])).not.toThrow();
    expect(() => assertGatewayHost('SMTP', '::1', [])).not.toThrow();
    expect(() => assertGatewayHost('SMTP', 'carrier-sim', ['carrier-sim'])).not.toThrow();
    expect(() => assertGatewayHost('SMTP', 'smtp.gmail.com', [])).toThrow(/LAB_HOSTS/);
    expect(() => assertGatewayHost('SMTP', '10.0.0.5', [])).toThrow(/LAB_HOSTS/);
  });
});

describe('lintContent', () => {
  it('flags FBI or CISA unless preceded by SIMULATED', () => {
    expect(lintContent('from the SIMULATED FBI and SIMULATED CISA')).toEqual([]);
    expect(lintContent('from the FBI').map((p) => p.rule)).toContain('real-agency');
  });
  it('flags forbidden phrases in any case, real carriers and .gov links', () => {
    expect(lintContent('this is not a drill').map((p) => p.rule)).toContain('forbidden-phrase');
    expect(lintContent('Your Verizon account').map((p) => p.rule)).toContain('real-carrier');
    expect(lintContent('see https://www.cisa.gov/x').map((p) => p.rule)).toContain('gov-link');
    expect(lintContent('see https://support.northwind-mobile.test/x')).toEqual([]);
    expect(lintContent('see https://evil.com/x').map((p) => p.rule)).toContain('unreserved-link');
  });
});
