import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

/** sysexits' EX_CONFIG, what the kit's runService exits with on a setting it cannot use: restarting cannot help. */
export const EXIT_CONFIG = 78;

/** How one run of a supervised unit ended: an exit code, or the signal that ended it. */
export interface Exit {
  code: number | null;
  signal: string | null;
}

/** One run of a supervised unit (a child process, or a service thread of the service host). */
export interface Run {
  readonly pid: number | undefined;
  readonly exit: Promise<Exit>;
  kill(signal: NodeJS.Signals): void;
  alive(): boolean;
}

export interface RestartPolicy {
  name: string;
  /** Restart when the unit exits without being asked to (default true). */
  restart?: boolean;
  onEvent?: (line: string) => void;
  /** Called once when the unit exits with a configuration error (exit code 78) and is not restarted. */
  onGiveUp?: (reason: string) => void;
  /** Where a person looks when it will not run: named in the give-up reason. */
  logFile: string;
}

/**
 * Something kept alive: restarted with growing backoff when it dies, stopped
 * with SIGTERM (then SIGKILL after a deadline) when asked. What runs (a
 * process, a thread of the service host) is the subclass's `launch`.
 */
export abstract class Supervision {
  private current: Run | null = null;
  private stopping = false;
  private restarts = 0;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly policy: RestartPolicy) {}

  protected abstract launch(): Run;

  /** The process it runs in (for a service thread: the service host's). */
  get pid(): number | undefined {
    return this.current?.pid;
  }

  get restartCount(): number {
    return this.restarts;
  }

  start(): void {
    const run = this.launch();
    this.current = run;
    this.exited = run.exit.then(({ code, signal }) => {
      if (this.stopping || this.policy.restart === false) return;
      if (code === EXIT_CONFIG) {
        this.stopping = true;
        const reason = `${this.policy.name} cannot run with its configuration (exit code ${EXIT_CONFIG}); see ${this.policy.logFile}`;
        this.policy.onEvent?.(reason);
        this.policy.onGiveUp?.(reason);
        return;
      }
      this.restarts++;
      const delay = Math.min(250 * 2 ** Math.min(this.restarts - 1, 5), 8_000);
      this.policy.onEvent?.(`${this.policy.name} exited (${signal ?? `code ${code}`}), restarting in ${delay} ms`);
      setTimeout(() => {
        if (!this.stopping) this.start();
      }, delay).unref();
    });
  }

  /** Sends a signal without stopping supervision (SIGKILL: crash test). */
  signal(signal: NodeJS.Signals): Promise<void> {
    const exited = this.exited;
    this.current?.kill(signal);
    return exited;
  }

  /** SIGKILL, and no restart until resume(): a crashed instance whose work its siblings must take over. */
  crash(): Promise<void> {
    this.stopping = true;
    return this.signal('SIGKILL');
  }

  /** Stops it and its supervision: resume() starts it again. */
  async pause(timeoutMs = 15_000): Promise<void> {
    this.stopping = true;
    const run = this.current;
    if (run?.alive()) {
      const killer = setTimeout(() => run.kill('SIGKILL'), timeoutMs);
      run.kill('SIGTERM');
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
  }
}

export interface SupervisedOptions extends RestartPolicy {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** An IPC channel to the child (`process.send` there), handed to `onSpawn` with each new child. */
  ipc?: boolean;
  onSpawn?: (child: ChildProcess) => void;
  /**
   * A process group of its own: Ctrl-C at the terminal reaches the whole
   * foreground group, and a server the services still flush to while they
   * stop (a private Redis) must stop after them, when the launcher says so,
   * not with them (and be restarted meanwhile).
   */
  ownProcessGroup?: boolean;
}

/** One child process kept alive, its output appended to its log file. */
export class Supervised extends Supervision {
  private readonly log: WriteStream;

  constructor(private readonly options: SupervisedOptions) {
    super(options);
    this.log = createWriteStream(options.logFile, { flags: 'a' });
  }

  protected launch(): Run {
    const child = spawn(this.options.command, this.options.args, {
      cwd: this.options.cwd,
      env: this.options.env,
      stdio: this.options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
      detached: this.options.ownProcessGroup === true,
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    const exit = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.options.onSpawn?.(child);
    return {
      pid: child.pid,
      exit,
      kill: (signal) => child.kill(signal),
      alive: () => child.exitCode === null && child.signalCode === null,
    };
  }

  /** Stops the process and closes its log. */
  override async stop(timeoutMs = 15_000): Promise<void> {
    await super.stop(timeoutMs);
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}
