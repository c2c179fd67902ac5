/**
 * How a connection setting of one role's Redis is looked up:
 * `<SERVICE>_<ROLE>_REDIS_<NAME>` > `<ROLE>_REDIS_<NAME>` >
 * `<SERVICE>_REDIS_<NAME>` > `REDIS_<NAME>` (the role-specific name wins, so
 * a bus and a store from different providers each get their own; the service
 * prefix as for the URLs). Empty counts as unset. Answers the variable that
 * was used (for error messages) and its value.
 */
export function redisSetting(env: NodeJS.ProcessEnv, role: 'bus' | 'store' | undefined, service: string | undefined, name: string): [string, string] | undefined {
  const prefixes = service ? [`${service.toUpperCase().replace(/-/g, '_')}_`, ''] : [''];
  const names = [...(role ? prefixes.map((prefix) => `${prefix}${role.toUpperCase()}_REDIS_${name}`) : []), ...prefixes.map((prefix) => `${prefix}REDIS_${name}`)];
  const variable = names.find((candidate) => env[candidate] !== undefined && env[candidate] !== '');
  return variable ? [variable, env[variable] as string] : undefined;
}
