import type { ChildProcess } from 'node:child_process';
import { Supervised, Supervision, type Exit, type RestartPolicy, type Run } from './supervisor.ts';

/** What the launcher asks of the service host (service-host.ts), over its IPC channel. */
export type HostCommand =
  | { type: 'start'; id: string; threadEntry: string; entry: string; stackTraces: string; env: NodeJS.ProcessEnv; logFile: string }
  | { type: 'signal'; id: string; signal: NodeJS.Signals };

/** What the service host tells the launcher: a thread ended. */
export type HostReport = { type: 'exit'; id: string } & Exit;

type StartCommand = Extract<HostCommand, { type: 'start' }>;

export interface ServiceHostOptions {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  onEvent?: (line: string) => void;
}

/**
 * The launcher's side of the service host: the host process itself is
 * supervised like any service (restarted when it dies), and every thread it
 * should be running is started again in the new process. A thread's end,
 * whether it exited, was terminated or died with the host, reaches the
 * HostedService that started it, which applies the same restart policy as a
 * service process.
 */
export class ServiceHost {
  private readonly process: Supervised;
  private child: ChildProcess | null = null;
  private readonly wanted = new Map<string, { command: StartCommand; ended: (exit: Exit) => void }>();

  constructor(options: ServiceHostOptions) {
    this.process = new Supervised({
      name: 'service-host',
      ...options,
      ipc: true,
      onSpawn: (child) => this.attach(child),
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /** The host process, for a crash test: SIGKILL ends every service thread in it at once. */
  get supervised(): Supervised {
    return this.process;
  }

  start(): void {
    this.process.start();
  }

  run(command: StartCommand, ended: (exit: Exit) => void): void {
    this.wanted.set(command.id, { command, ended });
    this.send(command);
  }

  signal(id: string, signal: NodeJS.Signals): void {
    if (this.wanted.has(id)) this.send({ type: 'signal', id, signal });
  }

  stop(timeoutMs?: number): Promise<void> {
    return this.process.stop(timeoutMs);
  }

  private send(command: HostCommand): void {
    const child = this.child;
    if (!child?.connected) return; // started with the next host process (attach)
    child.send(command, (error) => {
      // The host died meanwhile: its exit ends every thread it had (attach).
      if (error) this.child = null;
    });
  }

  private ended(id: string, exit: Exit): void {
    const thread = this.wanted.get(id);
    if (!thread) return;
    this.wanted.delete(id);
    thread.ended(exit);
  }

  private attach(child: ChildProcess): void {
    this.child = child;
    child.on('message', (report: HostReport) => this.ended(report.id, report));
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      for (const id of [...this.wanted.keys()]) this.ended(id, { code: null, signal: signal ?? `service-host exit code ${code}` });
    });
    for (const { command } of this.wanted.values()) this.send(command);
  }
}

/** A service running as a thread of the service host, supervised as a service process is. */
export class HostedService extends Supervision {
  private running = false;
  private readonly id: string;
  private readonly logFile: string;

  constructor(
    private readonly host: ServiceHost,
    policy: RestartPolicy,
    private readonly command: Omit<StartCommand, 'type' | 'id' | 'logFile'>,
  ) {
    super(policy);
    this.id = policy.name;
    this.logFile = policy.logFile;
  }

  protected launch(): Run {
    this.running = true;
    const exit = new Promise<Exit>((resolve) =>
      this.host.run({ type: 'start', id: this.id, logFile: this.logFile, ...this.command }, (ended) => {
        this.running = false;
        resolve(ended);
      }),
    );
    const host = this.host;
    return {
      get pid() {
        return host.pid;
      },
      exit,
      kill: (signal) => this.host.signal(this.id, signal),
      alive: () => this.running,
    };
  }
}
