import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../errors.ts';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..', '..');

/** `tributary bench <name> [...args]`: the project's benchmark runner (`npm run bench -- <name>`), as is. */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('run a benchmark: `node scripts/bench.mjs <name> [...args]` (see docs/benchmarks.md), with its output and exit status')
    .argument('<name>', 'the benchmark, e.g. bus, cache or telemetry')
    .argument('[args...]', 'passed to the benchmark')
    .allowUnknownOption()
    .helpOption('-h, --help', 'this help (put arguments for the benchmark after --)')
    .action(async (name: string, args: string[]) => {
      const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'bench.mjs'), name, ...args], { cwd: repoRoot, stdio: 'inherit' });
      // The benchmark gets Ctrl-C through the terminal's process group; wait for it.
      const ignore = () => undefined;
      process.on('SIGINT', ignore);
      try {
        process.exitCode = await new Promise<number>((done, fail) => {
          child.once('error', (error) => fail(new CliError(`cannot run the benchmark: ${error.message}`)));
          child.once('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
        });
      } finally {
        process.off('SIGINT', ignore);
      }
    });
}
