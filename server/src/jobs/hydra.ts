/**
 * Hydra composition, a careful subset: from the primary config a Hydra app loads (`@hydra.main`, `--config-name`) to
 * the effective config the job runs, so that config rules judge the value the run gets and report it where it is set.
 *
 * Modelled (Hydra ≥ 1.1 semantics):
 *  - the primary's `defaults:` list: `group: option` (→ `<config dir>/group/option.yaml`, nested groups `a/b: x`),
 *    `optional group: option`, `override group: option`, `group@pkg: option`, `group: null`, a list of options, a
 *    plain `- name` (a config beside the primary), and `_self_` (appended last when absent, as Hydra 1.1 does);
 *  - the `defaults:` of a selected group file (relative groups, `/absolute`), to a bounded depth;
 *  - `# @package _global_` / `_group_` / `a.b` headers, and the default package (the group path);
 *  - command-line overrides after the entry script: `group=option` (another option of a defaults group),
 *    `key=value`, `+key=value`, `++key=value`, `~key`.
 * Not modelled: interpolation (`${...}` values stay unknown: rules about missing values stay silent), config search
 * paths and packages' own configs (`pkg://`), structured configs registered in Python, `hydra/*` groups (they configure
 * Hydra, not the run), sweeps (`a=1,2` under `--multirun` is unknown). Whatever cannot be resolved makes the
 * composition incomplete (`complete: false`): present values still count, absent ones prove nothing.
 * Pure: reads through the caller's `read`.
 */
import path from 'node:path';
import type { Range } from 'vscode-languageserver-types';
import { LineIndex } from '../configs/positions';
import type { Word } from '../configs/shell';
import { entryOf, type ConfigEntry, type ConfigMap, type ConfigNode, type ConfigScalar } from '../configs/tree';
import { parseYaml } from '../configs/yaml';

export interface HydraLocation {
  path: string;
  range: Range;
}

/** One file of the composition, in merge order. */
export interface HydraFile {
  path: string;
  /** The text the composition was computed on (a rule checks it is still the document's before anchoring on it). */
  text: string;
  lines: LineIndex;
  /** Dotted prefix its keys are merged under ('' = the root). */
  package: string;
  /** The defaults entry that selected it (undefined for the primary). */
  via: (HydraLocation & { text: string }) | undefined;
}

/** The effective value of one dotted key, and where it is set. */
export interface ComposedValue {
  key: string;
  /** The value node: from a file, or a synthetic scalar whose offsets are in the scheduler's text (launch override). */
  node: ConfigNode | null;
  /** The file that sets it (the scheduler for a launch-line override). */
  file: HydraFile | { path: string; text: string; lines: LineIndex; package: ''; via: undefined };
  /** From a file: the entry and the map that holds it (for edits). */
  entry?: ConfigEntry;
  parent?: ConfigMap;
  /** From the launch line: the override word. */
  override?: Word;
  range: Range;
}

export interface HydraComposition {
  primary: string;
  configDir: string;
  files: HydraFile[];
  /** Leaf values (scalars, lists, null, empty maps) by dotted key, after every merge and override. */
  values: Map<string, ComposedValue>;
  /** Maps by dotted key (the last file that wrote the map), for anchoring findings about absent keys. */
  maps: Map<string, ComposedValue>;
  /** Every default and override was understood: an absent key is really absent. */
  complete: boolean;
  /** Why it is incomplete (tests, debugging). */
  gaps: string[];
}

const MAX_DEPTH = 4;
const MAX_FILES = 32;

/**
 * Composes the run's config. `read` returns a file's text (undefined when absent); `launchWords` are the words after
 * the entry script, `scheduler` the batch script's path and text (for override positions).
 */
export function composeHydra(
  primaryPath: string,
  primaryText: string,
  launchWords: readonly Word[],
  scheduler: { path: string; text: string; lines: LineIndex },
  read: (file: string) => string | undefined,
): HydraComposition {
  const configDir = path.dirname(primaryPath);
  const composition: HydraComposition = { primary: primaryPath, configDir, files: [], values: new Map(), maps: new Map(), complete: true, gaps: [] };
  const gap = (why: string) => {
    composition.complete = false;
    composition.gaps.push(why);
  };

  // Command-line overrides: group selections first (they change the defaults list), values after composition.
  const groupChoice = new Map<string, { option: string | null; word: Word }>();
  const valueOverrides: { word: Word; key: string; value: string | undefined; mode: 'set' | 'delete' }[] = [];
  for (const word of launchWords) {
    if (word.text.startsWith('-')) continue; // --multirun, --cfg, --config-name …: not overrides
    const match = /^(~|\+\+|\+)?([A-Za-z_/][\w./@-]*)(?:=(.*))?$/s.exec(word.text);
    if (!match) {
      if (word.dynamic) gap(`override ${word.text} is decided at run time`);
      continue;
    }
    const [, prefix, key, value] = match;
    if (key!.startsWith('hydra.') || key!.startsWith('hydra/') || key === 'hydra') continue;
    if (prefix === '~') valueOverrides.push({ word, key: key!, value, mode: 'delete' });
    else if (value !== undefined) valueOverrides.push({ word, key: key!, value, mode: 'set' });
  }

  const primary = parseFile(primaryPath, primaryText);
  if (!primary) {
    gap(`${primaryPath} does not parse`);
    return composition;
  }
  const groups = groupsOf(primary.root);
  // `trainer=cpu` selects another option of a defaults group; `+group=option` adds one.
  const added: { group: string; option: string; word: Word }[] = [];
  for (const override of [...valueOverrides]) {
    if (override.mode !== 'set' || override.key.includes('.')) continue;
    const group = override.key.replace(/@.*$/, '');
    const isGroup = groups.has(group) || existsGroup(configDir, group, override.value, read);
    if (!isGroup) continue;
    valueOverrides.splice(valueOverrides.indexOf(override), 1);
    if (override.word.dynamic || /[,\[\]]/.test(override.value ?? '')) {
      gap(`group override ${override.word.text} is not a single literal option`);
      continue;
    }
    if (groups.has(group)) groupChoice.set(group, { option: override.value === 'null' ? null : override.value!, word: override.word });
    else added.push({ group, option: override.value!, word: override.word });
  }

  const fileCount = { n: 0 };
  const composeFile = (file: ParsedHydraFile, pkg: string, via: HydraFile['via'], parentGroup: string, depth: number, choices: Map<string, { option: string | null; word: Word }>) => {
    const defaults = entryOf(file.root, 'defaults');
    const items = defaults?.value?.type === 'seq' ? defaults.value.items : [];
    if (defaults && defaults.value && defaults.value.type !== 'seq') gap(`defaults: in ${file.path} is not a list`);
    let selfDone = false;
    const self = () => {
      selfDone = true;
      composition.files.push({ path: file.path, text: file.text, lines: file.lines, package: pkg, via });
      merge(composition, composition.files[composition.files.length - 1]!, file.root, pkg, true);
    };
    for (const item of items) {
      if (item.type === 'scalar') {
        const name = typeof item.value === 'string' ? item.value : undefined;
        if (name === '_self_') {
          self();
          continue;
        }
        if (!name || item.dynamic) {
          gap(`a defaults entry of ${file.path} is not a literal name`);
          continue;
        }
        const target = path.join(parentGroup ? path.join(configDir, parentGroup) : configDir, `${stripYaml(name)}.yaml`);
        include(target, pkg, { path: file.path, range: file.lines.range(item.start, item.end), text: name }, parentGroup, depth, false);
        continue;
      }
      if (item.type !== 'map' || item.entries.length !== 1) {
        gap(`a defaults entry of ${file.path} is not understood`);
        continue;
      }
      const entry = item.entries[0]!;
      const keyMatch = /^(?:(optional|override)\s+)?(\/?[\w/.-]+)(?:@([\w.]+))?$/.exec(entry.key.trim());
      if (!keyMatch) {
        gap(`defaults entry ${entry.key} is not understood`);
        continue;
      }
      const [, flag, rawGroup, packageOverride] = keyMatch;
      if (rawGroup === 'hydra' || rawGroup!.startsWith('hydra/') || rawGroup!.startsWith('/hydra')) continue;
      const group = rawGroup!.startsWith('/') ? rawGroup!.slice(1) : parentGroup ? `${parentGroup}/${rawGroup}` : rawGroup!;
      if (flag === 'override') continue; // applied when the group's own entry is met (see groupsOf)
      const choice = choices.get(rawGroup!.replace(/^\//, '')) ?? choices.get(group);
      const overridden = overrideIn(items, rawGroup!);
      const value = choice ? (choice.option === null ? null : scalarNode(choice.option)) : overridden ?? entry.value;
      const location = choice
        ? { path: scheduler.path, range: scheduler.lines.range(choice.word.start, choice.word.end), text: choice.word.text }
        : { path: file.path, range: file.lines.range(entry.keySpan.start, entry.span.end), text: file.text.slice(entry.keySpan.start, entry.span.end) };
      const options = value === null || (value.type === 'scalar' && value.value === null) ? [] : value.type === 'seq' ? value.items : [value];
      const groupPackage = packageOverride === undefined ? group.replace(/\//g, '.') : packageOverride === '_global_' ? '' : packageOverride === '_group_' ? group.replace(/\//g, '.') : packageOverride;
      for (const option of options) {
        if (option.type !== 'scalar' || option.dynamic || typeof option.value !== 'string') {
          gap(`the option of ${group} in ${file.path} is not a literal name`);
          continue;
        }
        include(path.join(configDir, group, `${stripYaml(option.value)}.yaml`), groupPackage, location, group, depth, flag === 'optional', true);
      }
    }
    // Hydra 1.1: a config without `_self_` in its defaults list is merged after them.
    if (!selfDone) self();
  };

  function include(target: string, pkg: string, via: NonNullable<HydraFile['via']>, group: string, depth: number, optional: boolean, isGroup = false): void {
    if (depth >= MAX_DEPTH || ++fileCount.n > MAX_FILES) {
      gap(`the defaults of ${target} are nested too deep`);
      return;
    }
    const text = read(target);
    if (text === undefined) {
      if (!optional) gap(`${target} does not exist`);
      return;
    }
    const parsed = parseFile(target, text);
    if (!parsed) {
      gap(`${target} does not parse`);
      return;
    }
    const head: string[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() !== '' && !line.trim().startsWith('#')) break;
      head.push(line);
    }
    const header = /^\s*#\s*@package\s+(\S+)/m.exec(head.join('\n'));
    const dotted = group.replace(/\//g, '.');
    // A header names the package; `@pkg` in the defaults entry (already in `pkg`) wins over it for a group option.
    const packageOf = header && !(isGroup && pkg !== dotted) ? (header[1] === '_global_' ? '' : header[1] === '_group_' ? dotted : header[1]!.replace(/^_group_\./, `${dotted}.`)) : pkg;
    composeFile(parsed, packageOf, via, group, depth + 1, new Map());
  }

  composeFile(primary, '', undefined, '', 0, groupChoice);
  for (const extra of added) {
    include(path.join(configDir, extra.group, `${stripYaml(extra.option)}.yaml`), extra.group.replace(/\//g, '.'), { path: scheduler.path, range: scheduler.lines.range(extra.word.start, extra.word.end), text: extra.word.text }, extra.group, 1, false, true);
  }

  // Value overrides from the launch line, in order.
  const launchFile = { path: scheduler.path, text: scheduler.text, lines: scheduler.lines, package: '' as const, via: undefined };
  for (const override of valueOverrides) {
    const key = override.key;
    if (key.includes('$') || key.includes('/')) {
      gap(`override ${override.word.text} is not understood`);
      continue;
    }
    removeKey(composition, key);
    if (override.mode === 'delete') continue;
    const eq = override.word.text.indexOf('=');
    const quoted = override.word.end - override.word.start !== override.word.text.length;
    const start = override.word.start + eq + 1;
    const raw = override.value!;
    const node: ConfigScalar = { ...scalarNode(raw), start: quoted ? override.word.start : start, end: override.word.end, dynamic: override.word.dynamic || raw.includes('${') || /[,\[\]]/.test(raw) };
    composition.values.set(key, { key, node, file: launchFile, override: override.word, range: scheduler.lines.range(override.word.start, override.word.end) });
  }
  return composition;
}

interface ParsedHydraFile {
  path: string;
  text: string;
  lines: LineIndex;
  root: ConfigMap;
}

function parseFile(file: string, text: string): ParsedHydraFile | undefined {
  const parsed = parseYaml(text);
  if (parsed.problem) return undefined;
  const root = parsed.documents[0]?.root;
  const lines = new LineIndex(text);
  if (root === null || root === undefined) return { path: file, text, lines, root: { type: 'map', entries: [], flow: false, start: 0, end: 0 } };
  return root.type === 'map' ? { path: file, text, lines, root } : undefined;
}

function stripYaml(name: string): string {
  return name.replace(/\.ya?ml$/, '');
}

/** Group names of a defaults list (`trainer`, `db/mysql` → `db`), without `override`/`optional`/`@pkg`. */
function groupsOf(root: ConfigMap): Set<string> {
  const groups = new Set<string>();
  const defaults = entryOf(root, 'defaults')?.value;
  if (defaults?.type !== 'seq') return groups;
  for (const item of defaults.items) {
    if (item.type !== 'map' || item.entries.length !== 1) continue;
    const key = /^(?:(?:optional|override)\s+)?\/?([\w/.-]+)/.exec(item.entries[0]!.key.trim())?.[1];
    if (key) groups.add(key);
  }
  return groups;
}

/** `override group: option` later in the same list replaces the group's option. */
function overrideIn(items: readonly ConfigNode[], group: string): ConfigNode | null | undefined {
  let found: ConfigNode | null | undefined;
  for (const item of items) {
    if (item.type !== 'map' || item.entries.length !== 1) continue;
    const match = /^override\s+(\/?[\w/.-]+)$/.exec(item.entries[0]!.key.trim());
    if (match && match[1] === group) found = item.entries[0]!.value;
  }
  return found;
}

/** `group=option` on the command line names a group not in the defaults list when `<dir>/group/option.yaml` exists. */
function existsGroup(configDir: string, group: string, option: string | undefined, read: (file: string) => string | undefined): boolean {
  if (!option || !/^[\w.-]+$/.test(option) || !/^[\w/-]+$/.test(group)) return false;
  return read(path.join(configDir, group, `${stripYaml(option)}.yaml`)) !== undefined;
}

/** A command-line value as YAML reads a plain scalar. */
function scalarNode(raw: string): ConfigScalar {
  let value: string | number | boolean | null = raw;
  let style: ConfigScalar['style'] = 'plain';
  if (/^(['"]).*\1$/s.test(raw)) {
    value = raw.slice(1, -1);
    style = raw.startsWith("'") ? 'single' : 'double';
  } else if (/^(true|false)$/i.test(raw)) value = raw.toLowerCase() === 'true';
  else if (/^(null|~)$/.test(raw)) value = null;
  else if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw)) value = Number(raw);
  return { type: 'scalar', value, style, dynamic: raw.includes('${'), start: 0, end: 0 };
}

function removeKey(composition: HydraComposition, key: string): void {
  for (const existing of [...composition.values.keys()]) {
    // the key, what was under it, and a scalar written at one of its parents (a map replaces it)
    if (existing === key || existing.startsWith(`${key}.`) || key.startsWith(`${existing}.`)) composition.values.delete(existing);
  }
  for (const existing of [...composition.maps.keys()]) if (existing === key || existing.startsWith(`${key}.`)) composition.maps.delete(existing);
}

/** Merges a file's map under `prefix`: a later scalar replaces a map and vice versa; maps merge key by key. */
function merge(composition: HydraComposition, file: HydraFile, map: ConfigMap, prefix: string, isRoot = false): void {
  for (const entry of map.entries) {
    if (isRoot && entry.key === 'defaults') continue; // the file's defaults list, not a value
    const key = prefix ? `${prefix}.${entry.key}` : entry.key;
    const value = entry.value;
    const range = file.lines.range(entry.keySpan.start, entry.span.end);
    if (value?.type === 'map' && value.entries.length > 0) {
      // A map replaces a scalar written before at the same key, and keeps the keys other files set inside it.
      composition.values.delete(key);
      composition.maps.set(key, { key, node: value, file, entry, parent: map, range });
      merge(composition, file, value, key);
      continue;
    }
    removeKey(composition, key);
    composition.values.set(key, { key, node: value, file, entry, parent: map, range });
  }
}
