import { describe, expect, it } from 'vitest';
import { createLedgerBatcher, UNIT_PRIORITY, type LedgerUnit } from '../../shared/ledger/ledger-batcher';
import type { Db, Queryable } from '../../shared/store/db';

// A stand-in database: every statement answers with an empty audit head, so the batcher's
// transactions run their units and their audit append without a server (the order is what is tested
// here; tests/integration covers the statements themselves).
function fakeDb(): Db {
  const tx: Queryable = {
    async query<R>() {
      return { rows: [{ seq: 0, hash: '0'.repeat(64), at: null }] as R[], rowCount: 1 };
    },
    async exec() {},
  };
  return {
    kind: 'postgres',
    query: tx.query,
    exec: tx.exec,
    transaction: (fn) => fn(tx),
    ping: async () => undefined,
    close: async () => undefined,
  };
}

function unit(name: string, ran: string[], priority?: number, gate?: Promise<void>): LedgerUnit<string> {
  return {
    rows: [1],
    campaigns: [1],
    ...(priority === undefined ? {} : { priority }),
    run: async () => {
      ran.push(name);
      await gate;
      return { result: name, events: [] };
    },
  };
}

describe('ledger batcher', () => {
  it('units waiting for a batch → receipts (2), then records (1), then claims (0), each kind in arrival order', async () => {
    const batcher = createLedgerBatcher(fakeDb(), { maxUnits: 2, inFlight: 1 });
    const ran: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const first = batcher.run(unit('busy', ran, UNIT_PRIORITY.claim, gate)); // holds the only slot
    const rest = [
      batcher.run(unit('claim A', ran)),
      batcher.run(unit('record B', ran, UNIT_PRIORITY.record)),
      batcher.run(unit('receipts C', ran, UNIT_PRIORITY.receipts)),
      batcher.run(unit('claim D', ran, UNIT_PRIORITY.claim)),
      batcher.run(unit('receipts E', ran, UNIT_PRIORITY.receipts)),
      batcher.run(unit('record F', ran, UNIT_PRIORITY.record)),
    ];
    open();
    expect(await first).toBe('busy');
    expect(await Promise.all(rest)).toEqual([
      'claim A',
      'record B',
      'receipts C',
      'claim D',
      'receipts E',
      'record F',
    ]);
    expect(ran).toEqual(['busy', 'receipts C', 'receipts E', 'record B', 'record F', 'claim A', 'claim D']);
  });
});
