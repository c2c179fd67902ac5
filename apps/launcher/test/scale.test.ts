import { describe, expect, it } from 'vitest';
import { MAX_INSTANCES, parseScale, ScaleError } from '../src/scale.ts';
import { SERVICES } from '../src/services.ts';

describe('--scale', () => {
  const postgres = { database: true };
  const pglite = { database: false };

  it('sets the named services and leaves the others at one', () => {
    const { scale, notes } = parseScale('ordering=3,accounts=2', postgres);
    expect(scale.ordering).toBe(3);
    expect(scale.accounts).toBe(2);
    expect(SERVICES.filter((name) => name !== 'ordering' && name !== 'accounts').every((name) => scale[name] === 1)).toBe(true);
    expect(notes).toEqual([]);
  });

  it('all=<n> scales every service that can have several, says which stay single, and a named one wins', () => {
    const { scale, notes } = parseScale('lending=3, all=2', pglite);
    expect(scale.lending).toBe(3);
    expect(scale.fulfillment).toBe(2);
    expect(scale.gateway).toBe(1);
    expect(scale['drone-sim']).toBe(1);
    // On PGlite the SQL services keep one process each.
    expect(scale.ordering).toBe(1);
    expect(notes.some((note) => note.startsWith('ordering stays at one instance'))).toBe(true);
    expect(notes.some((note) => note.startsWith('gateway stays at one instance'))).toBe(true);
    expect(parseScale('all=2', postgres).scale.ordering).toBe(2);
  });

  it('refuses bad input with a message naming the service or the part', () => {
    const refused = (text: string, options = postgres) => {
      try {
        parseScale(text, options);
      } catch (error) {
        expect(error).toBeInstanceOf(ScaleError);
        return (error as Error).message;
      }
      throw new Error(`"${text}" was accepted`);
    };
    expect(refused('orderin=2')).toMatch(/unknown service "orderin"/);
    expect(refused('gateway=2')).toMatch(/gateway must run as one instance: it is the entry port/);
    expect(refused('drone-sim=2')).toMatch(/drone-sim must run as one instance: its fleet/);
    expect(refused('ordering=2', pglite)).toMatch(/ordering must run as one instance: its database is PGlite/);
    expect(refused('ordering=0')).toMatch(/ordering=0: the number of instances must be from 1 to/);
    expect(refused(`ordering=${MAX_INSTANCES + 1}`)).toMatch(/from 1 to 16/);
    expect(refused('ordering=two')).toMatch(/"ordering=two" is not <service>=<n>/);
    expect(refused('ordering=2,ordering=3')).toMatch(/ordering is given twice/);
    expect(refused('')).toMatch(/--scale is empty/);
    // One instance of a single service is what it runs anyway.
    expect(parseScale('gateway=1', pglite).scale.gateway).toBe(1);
  });
});
