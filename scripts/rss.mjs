// `node scripts/rss.mjs <pid>`: resident memory of a process and all its
// descendants (Linux /proc), per process and in total. Used for the Memory
// section of docs/benchmarks.md: give it the pid of `npm start`.
import { readFileSync, readdirSync } from 'node:fs';

const rootPid = Number(process.argv[2]);
if (!Number.isInteger(rootPid)) {
  console.error('usage: node scripts/rss.mjs <pid>');
  process.exit(2);
}
const read = (pid, file) => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null; // gone meanwhile
  }
};
const parents = new Map();
for (const name of readdirSync('/proc')) {
  if (!/^\d+$/.test(name)) continue;
  const ppid = /^PPid:\s+(\d+)/m.exec(read(name, 'status') ?? '')?.[1];
  if (ppid) parents.set(Number(name), Number(ppid));
}
const tree = new Set([rootPid]);
for (let grew = true; grew; ) {
  grew = false;
  for (const [pid, ppid] of parents) if (!tree.has(pid) && tree.has(ppid)) (tree.add(pid), (grew = true));
}
const rows = [...tree]
  .map((pid) => ({ pid, kb: Number(/^VmRSS:\s+(\d+)/m.exec(read(pid, 'status') ?? '')?.[1] ?? 0), command: (read(pid, 'cmdline') ?? '').split('\0').join(' ').trim() }))
  .filter((row) => row.kb > 0)
  .sort((a, b) => b.kb - a.kb);
for (const row of rows) console.log(`${(row.kb / 1024).toFixed(1).padStart(8)} MB  ${String(row.pid).padStart(7)}  ${row.command.slice(0, 120)}`);
console.log(`${(rows.reduce((sum, row) => sum + row.kb, 0) / 1024).toFixed(0).padStart(8)} MB  total, ${rows.length} processes`);
