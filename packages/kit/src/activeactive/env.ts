import { TributaryError } from '../errors.ts';

/**
 * `<SERVICE>_REGION=eu` and `<SERVICE>_PEERS=us=redis://…,ap=redis://…` turn on
 * Active/Active for a service: its region, and the Redis of each other
 * region. Both or neither: one without the other is a mistake to report at
 * start, not a silent single-region run. `<SERVICE>_PEERS=none`: one more
 * writer of that region with no replicators of its own (a failed-over
 * region's instance writing the region it moved to, which replicates with
 * the rest).
 */
export interface RegionsEnv {
  region: string;
  peers: Array<{ region: string; url: string }>;
}

const REGION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** `names`: the two variables, spelled out so a search for a setting finds where it is read. */
/** A refused setting keeps its message as written: it names the variable and the rule. */
const invalid = (message: string) => new TributaryError('TRIB_INVALID_CONFIG', message, { message });

export function parseRegionsEnv(env: Readonly<Record<string, string | undefined>>, names: { region: string; peers: string }): RegionsEnv | null {
  const [regionName, peersName] = [names.region, names.peers];
  const region = env[regionName]?.trim() ?? '';
  const peersText = env[peersName]?.trim() ?? '';
  if (region === '' && peersText === '') return null;
  if (region === '' || peersText === '') throw invalid(`${regionName} and ${peersName} go together: set both or neither`);
  if (!REGION_ID.test(region)) throw invalid(`${regionName} must match ${REGION_ID}, got "${region}"`);
  if (peersText === 'none') return { region, peers: [] };
  const peers = peersText.split(',').map((pair) => {
    const at = pair.indexOf('=');
    const peer = pair.slice(0, at).trim();
    const url = pair.slice(at + 1).trim();
    if (at < 1 || !REGION_ID.test(peer)) throw invalid(`${peersName}: "${pair}" is not <region>=<redis url>`);
    if (!/^rediss?:\/\//.test(url)) throw invalid(`${peersName}: region ${peer} needs a redis:// or rediss:// URL`);
    if (peer === region) throw invalid(`${peersName}: ${peer} is this instance's own region`);
    return { region: peer, url };
  });
  if (new Set(peers.map((peer) => peer.region)).size !== peers.length) throw invalid(`${peersName}: a region is listed twice`);
  return { region, peers };
}
