/**
 * Every child process the benchmark starts, so that all of them are killed at the end, also when a
 * measurement throws or the run is interrupted (Ctrl-C), and peak memory read from /proc while they live.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

const live = new Set<ChildProcess>();

export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, [...args], { stdio: 'pipe', ...options });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

export function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

let hooksInstalled = false;

/** Kills the children on exit and on SIGINT/SIGTERM (then exits with the conventional status). */
export function installCleanupHooks(onSignal: () => void = () => {}): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAll();
      onSignal();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Peak resident set size (VmHWM) of a live process in bytes, from /proc/<pid>/status; null where unavailable. */
export function peakRssBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Runs a command to completion; resolves with its output and wall time (spawn to exit, in ms). */
export function runToCompletion(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<{ code: number | null; stdout: string; stderr: string; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawnTracked(command, args, options);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), wallMs: performance.now() - started });
    });
  });
}
