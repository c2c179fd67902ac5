/**
 * ORDER_MONITORING_REGION=eu and ORDER_MONITORING_PEERS=us=redis://…,ap=redis://…
 * turn on Active/Active: this instance's region, and the store Redis of each
 * other region. Both or neither: one without the other is a mistake to
 * report at start, not a silent single-region run.
 */
export interface RegionsEnv {
  region: string;
  peers: Array<{ region: string; url: string }>;
}

const REGION_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function parseRegionsEnv(env: Readonly<Record<string, string | undefined>>): RegionsEnv | null {
  const region = env.ORDER_MONITORING_REGION?.trim() ?? '';
  const peersText = env.ORDER_MONITORING_PEERS?.trim() ?? '';
  if (region === '' && peersText === '') return null;
  if (region === '' || peersText === '') throw new Error('ORDER_MONITORING_REGION and ORDER_MONITORING_PEERS go together: set both or neither');
  if (!REGION_ID.test(region)) throw new Error(`ORDER_MONITORING_REGION must match ${REGION_ID}, got "${region}"`);
  const peers = peersText.split(',').map((pair) => {
    const at = pair.indexOf('=');
    const peer = pair.slice(0, at).trim();
    const url = pair.slice(at + 1).trim();
    if (at < 1 || !REGION_ID.test(peer)) throw new Error(`ORDER_MONITORING_PEERS: "${pair}" is not <region>=<redis url>`);
    if (!/^rediss?:\/\//.test(url)) throw new Error(`ORDER_MONITORING_PEERS: region ${peer} needs a redis:// or rediss:// URL`);
    if (peer === region) throw new Error(`ORDER_MONITORING_PEERS: ${peer} is this instance's own region`);
    return { region: peer, url };
  });
  if (new Set(peers.map((peer) => peer.region)).size !== peers.length) throw new Error('ORDER_MONITORING_PEERS: a region is listed twice');
  return { region, peers };
}
