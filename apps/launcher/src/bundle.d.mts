/** Compiles each entry (name → TypeScript file) into `outDir/<name>.mjs` with a source map. */
export function bundle(entries: Record<string, string>, outDir: string): Promise<void>;
