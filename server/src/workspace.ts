/**
 * Which files the server analyses (include/exclude globs relative to their workspace folder) and the
 * settings that apply to each, fetched through `workspace/configuration` and validated by the shared schema.
 * An invalid value is reported once, naming the key; the default is used for that key only.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';
import type { Connection } from 'vscode-languageserver';
import { parseSettings, SETTINGS_SECTION, type Settings } from '../../shared/src/settings';

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

  constructor(private readonly connection: Connection) {}

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
    const folder = this.folders.filter((f) => file.startsWith(f + path.sep)).sort((a, b) => b.length - a.length)[0];
    const relative = (folder ? path.relative(folder, file) : path.basename(file)).split(path.sep).join('/');
    if (settings.exclude.length > 0 && matcherFor(settings.exclude)(relative)) return false;
    return settings.include.length === 0 || matcherFor(settings.include)(relative);
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
    const { settings, problems } = parseSettings(raw);
    for (const problem of problems) {
      const text = `Invalid setting ${problem.key}: ${problem.message}`;
      if (this.reported.has(text)) continue;
      this.reported.add(text);
      this.connection.console.warn(text);
      void this.connection.window.showWarningMessage(`Green AI: ${text}`);
    }
    return settings;
  }
}
