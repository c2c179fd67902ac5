import { createClient } from 'redis';
import type { RedisClient } from 'tributary';
import { startGateway } from './app.ts';

/** The gateway's OpenAPI document, built from its route schemas without any server running. */
export async function renderOpenApi(): Promise<string> {
  // Never connected: the bus is only touched when /metrics or /readyz is called.
  const bus = createClient({ RESP: 2 }) as unknown as RedisClient;
  const unused = 'http://127.0.0.1:9';
  const gateway = await startGateway({
    bus,
    upstreams: { accounts: unused, catalog: unused, ordering: unused, fulfillment: unused, orderMonitoring: unused },
  });
  const document = (gateway.app as unknown as { swagger(): unknown }).swagger();
  await gateway.close();
  return `${JSON.stringify(document, null, 2)}\n`;
}
