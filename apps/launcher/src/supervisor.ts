import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

/** sysexits' EX_CONFIG, what the kit's runService exits with on a setting it cannot use: restarting cannot help. */
export const EXIT_CONFIG = 78;

export interface SupervisedOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Restart when the process exits without being asked to (default true). */
  restart?: boolean;
  onEvent?: (line: string) => void;
  /** Called once when the process exits with a configuration error (exit code 78) and is not restarted. */
  onGiveUp?: (reason: string) => void;
}

/**
 * One child process kept alive: restarted with growing backoff when it dies,
 * stopped with SIGTERM (then SIGKILL after a deadline) when asked.
 */
export class Supervised {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restarts = 0;
  private readonly log: WriteStream;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly options: SupervisedOptions) {
    this.log = createWriteStream(options.logFile, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get restartCount(): number {
    return this.restarts;
  }

  start(): void {
    const child = spawn(this.options.command, this.options.args, {
      cwd: this.options.cwd,
      env: this.options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        resolve();
        if (this.stopping || this.options.restart === false) return;
        if (code === EXIT_CONFIG) {
          this.stopping = true;
          const reason = `${this.options.name} cannot run with its configuration (exit code ${EXIT_CONFIG}); see ${this.options.logFile}`;
          this.options.onEvent?.(reason);
          this.options.onGiveUp?.(reason);
          return;
        }
        this.restarts++;
        const delay = Math.min(250 * 2 ** Math.min(this.restarts - 1, 5), 8_000);
        this.options.onEvent?.(`${this.options.name} exited (${signal ?? `code ${code}`}), restarting in ${delay} ms`);
        setTimeout(() => {
          if (!this.stopping) this.start();
        }, delay).unref();
      });
    });
  }

  /** Sends a signal without stopping supervision (SIGKILL: crash test). */
  signal(signal: NodeJS.Signals): Promise<void> {
    const exited = this.exited;
    this.child?.kill(signal);
    return exited;
  }

  /** SIGKILL, and no restart until resume(): a crashed instance whose work its siblings must take over. */
  crash(): Promise<void> {
    this.stopping = true;
    return this.signal('SIGKILL');
  }

  /** Stops the process and its supervision but keeps the log open: resume() starts it again. */
  async pause(timeoutMs = 15_000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.kill('SIGTERM');
      await this.exited;
      clearTimeout(killer);
    }
  }

  resume(): void {
    if (!this.stopping) return;
    this.stopping = false;
    this.start();
  }

  async stop(timeoutMs = 15_000): Promise<void> {
    await this.pause(timeoutMs);
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}
