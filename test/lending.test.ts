import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from 'tributary/testing';
import { runCli } from '../apps/cli/test/harness.ts';
import { startTestSystem, type TestSystem } from './support/system.ts';

interface RequestStatus {
  requestId: string;
  kind: string;
  status: string;
  reason?: string;
  bookIds?: string[];
  unavailableBookIds?: string[];
  returnedBookIds?: string[];
  refusedBookIds?: string[];
}
interface UserBooks {
  userId: string;
  bookIds: string[];
  count: number;
}

/**
 * The book's chapter 5 session on the whole system: through the gateway's
 * HTTP API, then with the `tributary` CLI straight on the system's bus Redis
 * (as the book's get_books.py does). Every service is a real process.
 */
describe('the lending library', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await startTestSystem('pglite');
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  async function outcome(requestId: string): Promise<RequestStatus> {
    return waitFor(
      async () => {
        const current = await t.api<RequestStatus>('GET', `/api/lending/requests/${requestId}`);
        expect(current.status).toBe(200);
        return current.body.status === 'PENDING' ? null : current.body;
      },
      { timeoutMs: 30_000, description: `request ${requestId} decided` },
    );
  }

  it('lends ofmiceandmen to Salvatore and takes it back, through the gateway', async () => {
    const requested = await t.api<{ requestId: string }>('POST', '/api/lending/requests', { userId: 'Salvatore', bookIds: ['ofmiceandmen'] });
    expect(requested.status).toBe(202);
    expect(requested.body.requestId).toMatch(/^\d+-\d+$/);
    expect(await outcome(requested.body.requestId)).toMatchObject({ requestId: requested.body.requestId, kind: 'lend', status: 'ACCEPTED', bookIds: ['ofmiceandmen'] });
    expect((await t.api<UserBooks>('GET', '/api/lending/users/Salvatore/books')).body).toEqual({ userId: 'Salvatore', bookIds: ['ofmiceandmen'], count: 1 });

    const returned = await t.api<{ requestId: string }>('POST', '/api/lending/returns', { userId: 'Salvatore', bookIds: ['ofmiceandmen'] });
    expect(returned.status).toBe(202);
    expect(await outcome(returned.body.requestId)).toMatchObject({ kind: 'return', status: 'PROCESSED', returnedBookIds: ['ofmiceandmen'], refusedBookIds: [] });
    expect((await t.api<UserBooks>('GET', '/api/lending/users/Salvatore/books')).body).toEqual({ userId: 'Salvatore', bookIds: [], count: 0 });
  });

  it('does the same with the tributary CLI on the system\'s bus Redis; the gateway sees the same requests', async () => {
    const url = t.system.busRedisUrl;
    const lend = await runCli(['lending', 'request', '--url', url, 'Salvatore', 'ofmiceandmen']);
    expect(lend.stderr).toBe('');
    expect(lend.code).toBe(0);
    const lendId = lend.stdout.match(/\[(\d+-\d+)\]/)?.[1] as string;
    expect(lend.stdout).toContain(`Request: [${lendId}] by Salvatore ACCEPTED.\nBooks:\n1) ofmiceandmen\n`);
    expect((await t.api<RequestStatus>('GET', `/api/lending/requests/${lendId}`)).body).toMatchObject({ status: 'ACCEPTED', bookIds: ['ofmiceandmen'] });
    expect((await t.api<UserBooks>('GET', '/api/lending/users/Salvatore/books')).body.bookIds).toEqual(['ofmiceandmen']);

    const back = await runCli(['lending', 'return', '--url', url, 'Salvatore', 'ofmiceandmen']);
    expect(back.code).toBe(0);
    const returnId = back.stdout.match(/\[(\d+-\d+)\]/)?.[1] as string;
    expect(back.stdout).toContain(`Book Return [${returnId}] PROCESSED\nReturned:\n1) ofmiceandmen\n`);
    expect((await t.api<RequestStatus>('GET', `/api/lending/requests/${returnId}`)).body).toMatchObject({ kind: 'return', status: 'PROCESSED' });
    expect((await t.api<UserBooks>('GET', '/api/lending/users/Salvatore/books')).body.bookIds).toEqual([]);
  });
});
