/** The bundles of `entries` in a directory under `cacheDir`, made again only when one of their sources changed. */
export function cachedBundle(entries: Record<string, string>, cacheDir: string, options?: { dependencies?: 'external' | 'bundle' }): Promise<string>;
/** Node's arguments that run one TypeScript entry from a cached bundle (instead of `--import tsx <entry>`). */
export function bundledEntryArgs(entry: string): Promise<string[]>;
