import { randomBytes } from 'node:crypto';
import { connectRedis } from 'tributary';
import { startRedisServer, type RedisServer } from 'tributary/testing';

/**
 * A redis-server only this test file can write to. Other test runs on the same
 * machine also spawn servers on "free" ports; when two pick the same port, one
 * spawn fails to bind and its probe PINGs the other's server, and the two
 * suites FLUSHALL each other's data. So the default user may only PING and
 * read config (enough for the kit's probe and for us to check the data
 * directory is ours), and the tests connect as a user with a random password.
 */
export async function startPrivateRedis(): Promise<{ server: RedisServer; url: string }> {
  for (let attempt = 1; ; attempt++) {
    const password = randomBytes(12).toString('hex');
    const server = await startRedisServer({
      args: ['--user', 'default', 'on', 'nopass', '-@all', '+ping', '+config|get', '--user', 'tests', 'on', `>${password}`, '~*', '&*', '+@all'],
    });
    const probe = await connectRedis(server.url);
    const reply = await probe.sendCommand<string[]>(['CONFIG', 'GET', 'dir']).catch(() => []);
    await probe.close();
    if (reply[1] === server.dir) return { server, url: `redis://tests:${password}@127.0.0.1:${server.port}` };
    // Our spawn lost the port race and the probe reached somebody else's server.
    await server.stop().catch(() => undefined);
    if (attempt >= 3) throw new Error(`could not start a private redis-server (port ${server.port} taken)`);
  }
}
