/**
 * Which files the server analyses (include/exclude globs relative to their workspace folder) and the
 * settings that apply to each, validated by the shared schema. Three layers: defaults < the project file
 * (pyproject.toml `[tool.green-ai]` / .green-ai.toml, server/src/project/) < what `workspace/configuration` returns.
 * The VS Code client answers that request with only the values the user set explicitly (client/src/extension.ts);
 * other editors send whatever they hold, and it all counts as explicit. An invalid value is reported once, naming
 * the key, and only that key falls back to the layer below.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';
import type { Connection } from 'vscode-languageserver';
import { mergeSettingLayers, parseSettingsLayer, SETTINGS_SECTION, type Settings } from '../../shared/src/settings';
import type { ProjectFiles } from './project/projectFiles';

/** Glob lists are compiled once per settings object rather than on every analysis (settings are cached per document). */
const matchers = new WeakMap<readonly string[], (path: string) => boolean>();

function matcherFor(globs: readonly string[]): (path: string) => boolean {
  let matcher = matchers.get(globs);
  if (!matcher) {
    matcher = picomatch([...globs], { dot: true });
    matchers.set(globs, matcher);
  }
  return matcher;
}

export class WorkspaceSettings {
  private readonly cache = new Map<string, Promise<Settings>>();
  private readonly reported = new Set<string>();
  private folders: string[] = [];
  supportsConfiguration = false;
  fallback: unknown = undefined;

  constructor(
    private readonly connection: Connection,
    private readonly projectFiles?: ProjectFiles,
  ) {}

  setFolders(uris: readonly string[]): void {
    this.folders = uris.flatMap((uri) => (uri.startsWith('file:') ? [fileURLToPath(uri)] : []));
  }

  invalidate(): void {
    this.cache.clear();
  }

  forget(uri: string): void {
    this.cache.delete(uri);
  }

  settingsFor(uri: string): Promise<Settings> {
    let pending = this.cache.get(uri);
    if (!pending) {
      pending = this.fetch(uri);
      this.cache.set(uri, pending);
    }
    return pending;
  }

  /** Whether include/exclude select this document. Untitled and non-file documents are always analysed. */
  isSelected(uri: string, settings: Settings): boolean {
    if (!uri.startsWith('file:')) return true;
    const file = fileURLToPath(uri);
    const folder = this.folderOf(file);
    const relative = (folder ? path.relative(folder, file) : path.basename(file)).split(path.sep).join('/');
    if (settings.exclude.length > 0 && matcherFor(settings.exclude)(relative)) return false;
    return settings.include.length === 0 || matcherFor(settings.include)(relative);
  }

  /** The innermost workspace folder that holds `file`. */
  private folderOf(file: string): string | undefined {
    return this.folders.filter((f) => file.startsWith(f + path.sep)).sort((a, b) => b.length - a.length)[0];
  }

  private async fetch(uri: string): Promise<Settings> {
    let raw: unknown = this.fallback;
    if (this.supportsConfiguration) {
      try {
        raw = await this.connection.workspace.getConfiguration({ scopeUri: uri, section: SETTINGS_SECTION });
      } catch (error) {
        this.connection.console.warn(`Could not read ${SETTINGS_SECTION} settings: ${String(error)}; using defaults.`);
      }
    }
    const explicit = parseSettingsLayer(raw);
    for (const problem of explicit.problems) {
      const text = `Invalid setting ${problem.key}: ${problem.message}`;
      if (this.reported.has(text)) continue;
      this.reported.add(text);
      this.connection.console.warn(text);
      void this.connection.window.showWarningMessage(`Green AI: ${text}`);
    }
    const project = this.projectFiles?.configFor(uri, uri.startsWith('file:') ? this.folderOf(fileURLToPath(uri)) : undefined) ?? null;
    // The project file's problems are diagnostics on it while it is open; the log keeps them visible otherwise.
    for (const problem of project?.problems ?? []) {
      const text = `${project!.file}:${problem.range.start.line + 1}:${problem.range.start.character + 1}: ${problem.severity} ${problem.message}`;
      if (this.reported.has(text)) continue;
      this.reported.add(text);
      this.connection.console.warn(text);
    }
    return mergeSettingLayers(project?.values ?? {}, explicit.values);
  }
}
