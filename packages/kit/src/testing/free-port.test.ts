import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ephemeralRange, freePort } from './free-port.ts';

describe('freePort', () => {
  it('reads the kernel range, and nothing from a file it cannot parse', () => {
    expect(ephemeralRange('32768\t60999\n')).toEqual({ low: 32768, high: 60999 });
    expect(ephemeralRange('')).toBeNull();
    expect(ephemeralRange(null)).toBeNull();
  });

  it('gives ports a server can listen on, below the range outgoing connections draw from', async () => {
    const range = ephemeralRange();
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      if (range && range.low > 11_000) expect(port).toBeLessThan(range.low);
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
      });
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('never hands out a port twice, however many are asked for before any is listened on', async () => {
    // 2 000 picks out of some 22 000 ports below the range: without the record, repeats are all but certain (the birthday bound).
    const ports = [];
    for (let i = 0; i < 2_000; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
  });
});
