/** Compiles each entry (name → TypeScript file) into `outDir/<name>.mjs` with a source map; answers the absolute paths of its inputs. */
export function bundle(entries: Record<string, string>, outDir: string): Promise<string[]>;
