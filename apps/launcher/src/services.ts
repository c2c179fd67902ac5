/** The reference system's services, in start order (producers before the gateway). */
export const SERVICES = ['accounts', 'catalog', 'ordering', 'fulfillment', 'order-monitoring', 'basket', 'mailing', 'package', 'delivery', 'drone-sim', 'delivery-history', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** How the gateway finds each service: `<NAME>_URL`. */
export function urlVariable(service: ServiceName): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_URL`;
}

export function portVariable(service: ServiceName): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_PORT`;
}
