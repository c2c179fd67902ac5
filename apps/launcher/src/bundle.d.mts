/**
 * Compiles each entry (name → TypeScript file) into `outDir/<name>.mjs` with a source map; answers the absolute paths of its inputs.
 * `dependencies: 'bundle'` puts the dependencies in as well, but for those that locate their own files.
 */
export function bundle(entries: Record<string, string>, outDir: string, options?: { dependencies?: 'external' | 'bundle' }): Promise<string[]>;
