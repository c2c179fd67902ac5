import { describe, expect, it } from 'vitest';
import { MAX_REGIONS, parseRegions, regionalEnv, regionalServices, RegionsError } from '../src/regions.ts';

describe('--regions', () => {
  it('takes a count or names; one region (or none given) starts nothing more', () => {
    expect(parseRegions('2')).toEqual(['a', 'b']);
    expect(parseRegions(' eu, us ')).toEqual(['eu', 'us']);
    expect(parseRegions('1')).toEqual([]);
    expect(parseRegions(undefined)).toEqual([]);
    expect(parseRegions('')).toEqual([]);
  });

  it('refuses bad input with a message naming the part', () => {
    expect(() => parseRegions('0')).toThrow(RegionsError);
    expect(() => parseRegions(String(MAX_REGIONS + 1))).toThrow(/from 1 to/);
    expect(() => parseRegions('eu,EU')).toThrow(/"EU" is not a region name/);
    expect(() => parseRegions('eu,eu')).toThrow(/named twice/);
    expect(() => parseRegions('a,b,c,d,e')).toThrow(/at most/);
  });

  it("points a regional service at its region's Redis with the others as peers, or at another region's with none", () => {
    const urls = new Map([['a', 'redis://om:pw@127.0.0.1:1'], ['b', 'redis://om:pw@127.0.0.1:2']]);
    expect(regionalEnv('order-monitoring', 'b', urls)).toEqual({
      ORDER_MONITORING_STORE_REDIS_URL: 'redis://om:pw@127.0.0.1:2',
      ORDER_MONITORING_REGION: 'b',
      ORDER_MONITORING_PEERS: 'a=redis://om:pw@127.0.0.1:1',
    });
    expect(regionalEnv('order-monitoring', 'b', urls, 'a')).toEqual({
      ORDER_MONITORING_STORE_REDIS_URL: 'redis://om:pw@127.0.0.1:1',
      ORDER_MONITORING_REGION: 'a',
      ORDER_MONITORING_PEERS: 'none',
    });
    // The catalog's store keeps its price index centrally: only its cache is the region's.
    expect(regionalEnv('catalog', 'a', urls)).toEqual({ CATALOG_REGION_REDIS_URL: 'redis://om:pw@127.0.0.1:1', CATALOG_REGION: 'a', CATALOG_PEERS: 'b=redis://om:pw@127.0.0.1:2' });
  });

  it('runs a catalog per region only on a database server (PGlite is one process)', () => {
    expect(regionalServices({ database: false })).toEqual(['order-monitoring']);
    expect(regionalServices({ database: true })).toEqual(['order-monitoring', 'catalog']);
  });
});
