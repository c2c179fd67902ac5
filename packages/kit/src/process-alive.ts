import { readFileSync } from 'node:fs';

/**
 * Whether `pid` is a live process: for owner files and PID files whose
 * writer may have died. A process of another user counts (kill(0) answers
 * EPERM); a zombie (exited, not yet reaped, e.g. an orphan in a container
 * whose PID 1 does not reap) counts as gone.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // `pid (comm) S ...`: the state follows the last parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(0) is all there is
  }
}
