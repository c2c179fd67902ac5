/** The bundles of `entries` in a directory under `cacheDir`, made again only when one of their sources changed. */
export function cachedBundle(entries: Record<string, string>, cacheDir: string): Promise<string>;
