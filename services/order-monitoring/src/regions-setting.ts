import { parseRegionsEnv as parseServiceRegions, type RegionsEnv } from 'tributary/activeactive';

export type { RegionsEnv };

/** ORDER_MONITORING_REGION and ORDER_MONITORING_PEERS (the kit's parseRegionsEnv). */
export const parseRegionsEnv = (env: Readonly<Record<string, string | undefined>>): RegionsEnv | null => parseServiceRegions(env, { region: 'ORDER_MONITORING_REGION', peers: 'ORDER_MONITORING_PEERS' });
