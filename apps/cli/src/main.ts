import { Command, CommanderError } from 'commander';
import { registerBackup } from './commands/backup.ts';
import { registerBench } from './commands/bench.ts';
import { registerDlq } from './commands/dlq.ts';
import { registerKeys } from './commands/keys.ts';
import { registerLauncher } from './commands/launcher.ts';
import { registerLending } from './commands/lending.ts';
import { registerLoad } from './commands/load.ts';
import { registerRegions } from './commands/regions.ts';
import { registerStreams } from './commands/streams.ts';
import { CliError, EXIT } from './errors.ts';
import { terminalOutput } from './output.ts';

/**
 * `tributary <group> <command>`: only wiring. Each command group is its own
 * module under commands/ and registers itself on the program.
 */
const output = terminalOutput();
const program = new Command('tributary')
  .description('Command line for a Tributary system: start and stop it, watch its services and streams, dead letters, load, benchmarks, backup and restore, key rotation')
  // Throw instead of exiting, so usage errors map to exit status 2 here.
  // Set before the groups register: subcommands inherit it.
  .exitOverride()
  .showHelpAfterError('(add --help for usage)');

registerLauncher(program, output);
registerStreams(program, output);
registerDlq(program, output);
registerLending(program, output);
registerLoad(program, output);
registerRegions(program, output);
registerBackup(program, output);
registerKeys(program, output);
registerBench(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander already printed the help or the usage error.
    process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
  } else if (error instanceof CliError) {
    output.error(`tributary: ${error.message}`);
    process.exitCode = error.exitCode;
  } else {
    output.error(`tributary: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = EXIT.failed;
  }
}
