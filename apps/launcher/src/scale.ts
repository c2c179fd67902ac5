import { SQL_SERVICES } from './database-roles.ts';
import { SERVICES, type ServiceName } from './services.ts';

/** How many processes of each service the launcher runs. */
export type Scale = Record<ServiceName, number>;

/** More than this on one machine is a typo, not a plan: each instance is a Node process of its own (docs/scaling.md). */
export const MAX_INSTANCES = 16;

/**
 * Services that run as one process whatever is asked, and why. The gateway
 * is the one entry port (`PORT`); drone-sim's fleet, its queue of waiting
 * deliveries and the ids it has seen live in its memory: a second process is
 * a second fleet, and a failed delivery's withdrawal reaches whichever
 * process reads it, not necessarily the one that queued it.
 */
export const SINGLE_INSTANCE: Partial<Record<ServiceName, string>> = {
  gateway: 'it is the entry port (PORT); put a load balancer in front of several gateways instead',
  'drone-sim': "its fleet and queue of waiting deliveries live in its memory: a second process would be a second fleet that a failed delivery's withdrawal may not reach",
};

/** Why a SQL service stays single without PostgreSQL: its PGlite database is a directory one process opens. */
const PGLITE_REASON = 'its database is PGlite, a directory only one process may open; give a PostgreSQL server (DATABASE_URL) to run several';

export const SCALE_USAGE = `--scale <service>=<n>[,<service>=<n>...] or --scale all=<n> (also TRIBUTARY_SCALE); n from 1 to ${MAX_INSTANCES}; all=<n> leaves the services that must stay single at one`;

export class ScaleError extends Error {}

/** Why this service cannot have several instances here; null when it can. */
export function singleReason(service: ServiceName, options: { database: boolean }): string | null {
  const fixed = SINGLE_INSTANCE[service];
  if (fixed) return fixed;
  if (!options.database && SQL_SERVICES.includes(service)) return PGLITE_REASON;
  return null;
}

/** One instance of everything: what `npm start` runs without --scale. */
export function singleScale(): Scale {
  return Object.fromEntries(SERVICES.map((name) => [name, 1])) as Scale;
}

/**
 * Parses `ordering=3,accounts=2` or `all=2` (the two may be mixed: a named
 * service wins over `all`, whatever the order). A named service that must
 * stay single, an unknown name or a count out of range is an error that
 * names it; `all` silently leaves the single services at one, and `notes`
 * says which and why.
 */
export function parseScale(text: string, options: { database: boolean }): { scale: Scale; notes: string[] } {
  const scale = singleScale();
  const named = new Map<ServiceName, number>();
  let all: number | null = null;
  const parts = text.split(',').map((part) => part.trim());
  if (parts.every((part) => part === '')) throw new ScaleError(`--scale is empty; expected ${SCALE_USAGE}`);
  for (const part of parts) {
    const match = /^([a-z-]+)=(\d+)$/.exec(part);
    if (!match) throw new ScaleError(`--scale: "${part}" is not <service>=<n>; expected ${SCALE_USAGE}`);
    const [, name, raw] = match as unknown as [string, string, string];
    const count = Number(raw);
    if (!Number.isSafeInteger(count) || count < 1 || count > MAX_INSTANCES) {
      throw new ScaleError(`--scale: ${name}=${raw}: the number of instances must be from 1 to ${MAX_INSTANCES}`);
    }
    if (name === 'all') {
      if (all !== null) throw new ScaleError('--scale: all= is given twice');
      all = count;
      continue;
    }
    if (!(SERVICES as readonly string[]).includes(name)) throw new ScaleError(`--scale: unknown service "${name}"; the services are ${SERVICES.join(', ')}`);
    const service = name as ServiceName;
    if (named.has(service)) throw new ScaleError(`--scale: ${service} is given twice`);
    const reason = singleReason(service, options);
    if (count > 1 && reason) throw new ScaleError(`--scale: ${service} must run as one instance: ${reason}`);
    named.set(service, count);
  }
  const notes: string[] = [];
  for (const service of SERVICES) {
    const wanted = named.get(service) ?? all;
    if (wanted === null) continue;
    const reason = singleReason(service, options);
    if (wanted > 1 && reason) {
      notes.push(`${service} stays at one instance: ${reason}`);
      continue;
    }
    scale[service] = wanted;
  }
  return { scale, notes };
}

/** The consumer name and TRIBUTARY_INSTANCE of a service's n-th process: stable across restarts, so it finishes its own pending entries. */
export function instanceName(service: ServiceName, index: number): string {
  return `${service}-${index}`;
}
