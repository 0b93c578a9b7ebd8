import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

/**
 * Gateway processes built from dist/, as production runs them, for the tests that kill and restart them. Each
 * child's output goes to a file of its own and how it ended is kept, so that a failing test can say what the
 * processes said (a worker that died, or warned, says why).
 */
export class GatewayProcesses {
  readonly children: ChildProcess[] = [];
  private readonly logs: string[] = [];
  private readonly ended: string[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'cg-processes-'));

  constructor(private readonly env: () => NodeJS.ProcessEnv) {}

  spawn(entry: 'main.js' | 'worker.js', extra: NodeJS.ProcessEnv = {}): ChildProcess {
    const log = join(this.dir, `${this.children.length}-${entry}.log`);
    const out = openSync(log, 'a');
    const child = spawn(process.execPath, [join(ROOT, 'dist', entry)], {
      env: { ...this.env(), ...extra },
      stdio: ['ignore', out, out],
    });
    child.once('exit', (code, signal) => this.ended.push(`${log}: exited, code ${code}, signal ${signal}`));
    this.children.push(child);
    this.logs.push(log);
    return child;
  }

  killAll(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }

  /** How each process ended and the last lines it wrote. */
  report(lines = 40): string {
    const tails = this.logs.map(
      (log) => `--- ${log}\n${readFileSync(log, 'utf8').split('\n').slice(-lines).join('\n')}`,
    );
    return [`ended: ${JSON.stringify(this.ended)}`, ...tails].join('\n');
  }
}
