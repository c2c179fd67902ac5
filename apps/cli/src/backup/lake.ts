import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** delivery-history's lake, as it decides (services/delivery-history/src/config.ts). */
export function lakeDir(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.DELIVERY_LAKE_DIR || join(dataDir, 'lake');
}

/**
 * The lake's Parquet files, relative to its root. A file is written aside
 * (a dot-name) and renamed into place, never changed after: the finished
 * ones are whole, and copying them one by one while the service writes new
 * ones is a consistent copy of what was there when the listing was taken.
 */
export function lakeFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith('.parquet')) files.push(relative(root, path));
    }
  };
  walk(root);
  return files.sort();
}

export function copyInto(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}
