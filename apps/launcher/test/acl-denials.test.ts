import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from 'tributary';
import { startRedisServer, type RedisServer } from 'tributary/testing';
import { aclDenials } from '../src/redis-users.ts';

describe('ACL denials the launcher reports', () => {
  let server: RedisServer;
  let admin: RedisClient;
  beforeAll(async () => {
    server = await startRedisServer();
    admin = await connectRedis(server.url);
  });
  afterAll(async () => {
    await admin.close();
    await server.stop();
  });

  it('names the user, the command and the key refused, from ACL LOG', async () => {
    await admin.sendCommand(['ACL', 'SETUSER', 'reader', 'on', '>secret', '~allowed:*', '+get']);
    const reader = await connectRedis(server.url.replace('redis://', 'redis://reader:secret@'));
    try {
      await expect(reader.sendCommand(['GET', 'private:key'])).rejects.toThrow(/NOPERM/);
      await expect(reader.sendCommand(['SET', 'allowed:key', '1'])).rejects.toThrow(/NOPERM/);
    } finally {
      await reader.close();
    }
    const denials = await aclDenials(server.url);
    expect(denials).toContain('reader: GET private:key refused (key, toplevel, x1)');
    expect(denials).toContain('reader: SET refused (command, toplevel, x1)');
  });
});
