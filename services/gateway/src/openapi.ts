import { createClient } from '@redis/client';
import type { RedisClient } from 'tributary';
import { startGateway } from './app.ts';
import type { Upstreams } from './upstream.ts';

/** The gateway's OpenAPI document, built from its route schemas without any server running. */
export async function renderOpenApi(): Promise<string> {
  // Never connected: Redis is only touched when a request arrives.
  const unconnected = () => createClient({ RESP: 2 }) as unknown as RedisClient;
  const unused = 'http://127.0.0.1:9';
  const upstreams: Upstreams = {
    accounts: unused,
    catalog: unused,
    ordering: unused,
    fulfillment: unused,
    orderMonitoring: unused,
    basket: unused,
    mailing: unused,
    package: unused,
    delivery: unused,
    deliveryHistory: unused,
    lending: unused,
  };
  const gateway = await startGateway({ bus: unconnected(), store: unconnected(), upstreams });
  const document = (gateway.app as unknown as { swagger(): unknown }).swagger();
  await gateway.close();
  return `${JSON.stringify(document, null, 2)}\n`;
}
