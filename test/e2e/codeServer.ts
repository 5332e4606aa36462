// Starts code-server (VS Code in the browser) for one e2e scenario: a throwaway profile and extensions folder,
// the extension under test installed from its .vsix, a free port on 127.0.0.1, and a teardown that leaves no process.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createWriteStream, existsSync, readdirSync, readFileSync, type WriteStream } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { guardTempDir, guardWith, killProcessGroup } from "./processCleanup";

/** Where test/e2e/setup-code-server.sh installs code-server unless GREEN_AI_E2E_CODE_SERVER names the binary. */
export function codeServerBinary(): string {
  const explicit = process.env.GREEN_AI_E2E_CODE_SERVER;
  const cacheRoot = process.env.GREEN_AI_E2E_CACHE ?? join(homedir(), ".cache", "green-ai-e2e");
  const binary = explicit ?? join(cacheRoot, "code-server", "node_modules", ".bin", "code-server");
  if (!existsSync(binary)) {
    throw new Error(`code-server not found at ${binary}: run test/e2e/setup-code-server.sh (or set GREEN_AI_E2E_CODE_SERVER)`);
  }
  return binary;
}

export interface CodeServerOptions {
  /** Name used for the log file and the temporary folders, e.g. "trusted". */
  name: string;
  /** Absolute path of the .vsix to install; none for a bare workbench. */
  vsix?: string;
  /** Folder copied to a temporary workspace that the workbench opens. */
  workspaceTemplate: string;
  /** false: workspace trust is off (everything trusted, no dialog). true: trust is on and the folder opens in restricted mode. */
  restrictedMode: boolean;
  /** Folder for the code-server log and VS Code's own logs. */
  artifactsDir: string;
  /** Milliseconds to wait for the install and for the HTTP server. */
  startupTimeoutMs?: number;
}

export interface CodeServer {
  port: number;
  /** The temporary copy of the workspace template; files the tests change live here. */
  workspace: string;
  /** URL that opens the workspace folder in the workbench. */
  workbenchUrl: string;
  logPath: string;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/** User settings that keep the workbench quiet and deterministic; the scenario decides workspace trust. */
function userSettings(restrictedMode: boolean): Record<string, unknown> {
  return {
    "workbench.startupEditor": "none",
    "telemetry.telemetryLevel": "off",
    "security.workspace.trust.enabled": restrictedMode,
    // With trust on, "never" opens an untrusted folder in restricted mode without the modal dialog.
    "security.workspace.trust.startupPrompt": "never",
    "security.workspace.trust.banner": "always",
    "extensions.ignoreRecommendations": true,
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "update.mode": "none",
    "workbench.enableExperiments": false,
    "workbench.tips.enabled": false,
    "workbench.welcomePage.walkthroughs.openOnInstall": false,
    "git.enabled": false,
    "files.autoSave": "off",
    // The DOM renderer keeps the terminal's text in the page, where the tests can read it.
    "terminal.integrated.gpuAcceleration": "off",
    "window.restoreWindows": "none",
  };
}

const INSTANCE_ENV = "GREEN_AI_E2E_INSTANCE";

/** Processes whose environment carries this instance id (children that left the process group included). Linux only. */
function pidsOfInstance(instanceId: string): number[] {
  const needle = Buffer.from(`${INSTANCE_ENV}=${instanceId}\0`);
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`).includes(needle)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function killInstance(pgid: number | undefined, instanceId: string): void {
  if (pgid !== undefined) killProcessGroup(pgid, "SIGKILL");
  for (const pid of pidsOfInstance(instanceId)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

async function waitFor<T>(what: string, deadline: number, probe: () => Promise<T | undefined>, intervalMs = 100): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** Runs code-server once (e.g. --install-extension) in its own process group and returns its output. */
async function runCodeServerCommand(binary: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  const child = spawn(binary, args, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => killProcessGroup(child.pid ?? 0, "SIGKILL"), timeoutMs);
  const code = await exitOf(child);
  clearTimeout(timer);
  if (child.pid) killProcessGroup(child.pid, "SIGKILL"); // helpers it may have left in its group
  if (code !== 0) throw new Error(`code-server ${args.join(" ")} exited with ${code}:\n${output}`);
  return output;
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const startupTimeoutMs = options.startupTimeoutMs ?? 60_000;
  const binary = codeServerBinary();
  if (options.vsix && !existsSync(options.vsix)) throw new Error(`extension package ${options.vsix} not found: run \`npm run package\``);
  await mkdir(options.artifactsDir, { recursive: true });
  const logPath = join(options.artifactsDir, `code-server-${options.name}.log`);
  const log: WriteStream = createWriteStream(logPath);

  // Everything this instance starts carries INSTANCE_ENV, so teardown finds it even outside the process group.
  const instanceId = randomUUID();
  const root = await mkdtemp(join(tmpdir(), `green-ai-e2e-${options.name}-`));
  const rootGuard = guardTempDir(root);
  const processGuard = guardWith(() => killInstance(undefined, instanceId));
  const workspace = join(root, "workspace");
  const userDataDir = join(root, "user-data");
  let child: ChildProcess | undefined;

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child?.pid !== undefined) {
      killProcessGroup(child.pid, "SIGTERM");
      const exited = await Promise.race([exitOf(child).then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 5_000))]);
      if (!exited) log.write("\n[e2e] code-server ignored SIGTERM for 5 s; SIGKILL\n");
    }
    killInstance(child?.pid, instanceId); // what is left of the group, and children that left it
    await waitFor("code-server processes to exit", Date.now() + 5_000, async () => (pidsOfInstance(instanceId).length === 0 ? true : undefined));
    processGuard.release();
    await cp(join(userDataDir, "logs"), join(options.artifactsDir, `vscode-logs-${options.name}`), { recursive: true }).catch(() => {});
    await new Promise<void>((resolve) => log.end(resolve));
    if (!process.env.GREEN_AI_E2E_KEEP) await rm(root, { recursive: true, force: true });
    rootGuard.release();
  };

  try {
    const extensionsDir = join(root, "extensions");
    await cp(options.workspaceTemplate, workspace, { recursive: true });
    await mkdir(join(userDataDir, "User"), { recursive: true });
    await mkdir(extensionsDir, { recursive: true });
    await writeFile(join(userDataDir, "User", "settings.json"), JSON.stringify(userSettings(options.restrictedMode), null, 2));
    // code-server's own config (it would write a password to ~/.config otherwise) lives in the throwaway folder.
    const configPath = join(root, "code-server-config.yaml");
    await writeFile(configPath, "auth: none\ncert: false\n");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      [INSTANCE_ENV]: instanceId,
      XDG_CONFIG_HOME: join(root, "xdg-config"),
      XDG_DATA_HOME: join(root, "xdg-data"),
    };
    delete env.NODE_OPTIONS; // the test process's loader (tsx) must not reach code-server's Node
    const common = ["--config", configPath, "--user-data-dir", userDataDir, "--extensions-dir", extensionsDir];
    const deadline = Date.now() + startupTimeoutMs;

    if (options.vsix) {
      const output = await runCodeServerCommand(binary, [...common, "--install-extension", options.vsix, "--force"], env, startupTimeoutMs);
      log.write(`$ code-server --install-extension ${options.vsix}\n${output}\n`);
      if (!/successfully installed/i.test(output)) throw new Error(`installing ${options.vsix} did not report success:\n${output}`);
    }

    const server = spawn(
      binary,
      [...common, "--auth", "none", "--bind-addr", "127.0.0.1:0", "--disable-telemetry", "--disable-update-check", "--disable-getting-started-override", workspace],
      { env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    child = server;
    let output = "";
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString();
      log.write(chunk);
    };
    server.stdout?.on("data", onOutput);
    server.stderr?.on("data", onOutput);

    // code-server picks the port (--bind-addr :0) and logs it: no race for a "free" port.
    const port = await waitFor("code-server to log its address", deadline, async () => {
      if (server.exitCode !== null) throw new Error(`code-server exited with ${server.exitCode} before listening`);
      const match = /HTTP server listening on https?:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      return match ? Number(match[1]) : undefined;
    });
    await waitFor(`http://127.0.0.1:${port}/healthz`, deadline, async () => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
        return response.ok ? true : undefined;
      } catch {
        return undefined;
      }
    });
    return {
      port,
      workspace,
      workbenchUrl: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`,
      logPath,
      logTail: (lines = 40) => readFileTail(logPath, lines),
      stop,
    };
  } catch (error) {
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`code-server did not start: ${reason}\n--- ${logPath}, last lines:\n${readFileTail(logPath, 40)}`);
  }
}

function readFileTail(path: string, lines: number): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return `(no log at ${path})`;
  }
}

/** Reads a workspace file as saved on disk. */
export function readWorkspaceFile(server: CodeServer, relativePath: string): Promise<string> {
  return readFile(join(server.workspace, relativePath), "utf8");
}
