/**
 * DeepSpeed configs written inline in the script: `deepspeed.initialize(..., config=ds_config)` (or the older
 * `config_params=`) with `ds_config` a dict literal of the file. The config-file rules read the same keys from a
 * DeepSpeed JSON; these helpers let the Python rules read them from the dict. A dict that is not a literal (read from
 * a file, built by a function, a command-line path) or that the script changes in ways the value resolver does not
 * follow (`ds_config["fp16"]["enabled"] = ...`, handed to another function first) is not returned: rules stay silent.
 */
import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from './context';
import { calleeMethod, calleeName, descendantsOfType, enclosingFunction, keywordValue, statementOf } from './syntax';
import type { Value } from './values';

export interface InlineDeepSpeedConfig {
  /** The `deepspeed.initialize(...)` call. */
  initialize: Node;
  /** The dict literal (`{...}` or `dict(...)`), for anchoring a finding about an absent key. */
  dictionary: Node;
  /** Top-level keys, after the `.update(...)` and `d["k"] = v` the resolver follows. */
  keys: Map<string, Node>;
}

/** Calls that only read a dict handed to them. */
const READ_ONLY_CALLS = /^(print|pprint|json\.dumps?|yaml\.dump|yaml\.safe_dump|len|str|repr|dict|copy\.deepcopy)$|(^|\.)(info|debug|warning|log)$/;

export function inlineDeepSpeedConfigs(context: AnalysisContext): InlineDeepSpeedConfig[] {
  if (!context.text.includes('deepspeed')) return [];
  const configs: InlineDeepSpeedConfig[] = [];
  for (const call of context.calls()) {
    if (calleeMethod(call) !== 'initialize' || context.qualifiedCallee(call) !== 'deepspeed.initialize') continue;
    const argument = keywordValue(call, 'config') ?? keywordValue(call, 'config_params');
    if (!argument) continue;
    const dictionary = literalOf(context, argument);
    const keys = dictionary ? context.values().dictionaryKeys(argument) : null;
    if (!dictionary || !keys) continue;
    configs.push({ initialize: call, dictionary, keys });
  }
  return configs;
}

/** The dict literal an argument is, or the one its name is bound to once and only read afterwards. */
function literalOf(context: AnalysisContext, argument: Node): Node | null {
  if (isDictLiteral(argument)) return argument;
  if (argument.type !== 'identifier') return null;
  const definition = context.values().definitionOf(argument);
  if (!definition || !isDictLiteral(definition)) return null;
  const scope = enclosingFunction(definition) ?? context.root;
  const binding = statementOf(definition);
  const name = argument.text;
  for (const use of descendantsOfType(scope, 'identifier')) {
    if (use.text !== name || use.id === argument.id) continue;
    const change = onlyReadsOrKnownUpdate(use);
    if (change === false) return null;
    // The resolver applies every `d["k"] = v` and `d.update(...)`: one under an `if` (a debug switch) may not run.
    if (change === 'update' && statementOf(use).parent?.id !== binding.parent?.id) return null;
  }
  return definition;
}

function isDictLiteral(node: Node): boolean {
  return node.type === 'dictionary' || (node.type === 'call' && calleeName(node) === 'dict');
}

/**
 * A use of the dict's name that leaves it as the resolver sees it: the binding itself, a read (`d["k"]`, `d.get`),
 * a top-level `d["k"] = v` or `d.update(...)` (which the resolver applies), or a read-only call like `print(d)`.
 */
function onlyReadsOrKnownUpdate(use: Node): boolean | 'update' {
  const parent = use.parent;
  if (!parent) return false;
  if (parent.type === 'assignment' && parent.childForFieldName('left')?.id === use.id) return true;
  if (parent.type === 'subscript' && parent.childForFieldName('value')?.id === use.id) {
    // `d["k"] = v` is applied by the resolver; `d["k"]["enabled"] = v` or `d["k"].update(...)` is not.
    const outer = parent.parent;
    if (outer?.type === 'subscript' && outer.childForFieldName('value')?.id === parent.id) return !isAssignmentTarget(outer);
    if (outer?.type === 'attribute' && outer.childForFieldName('object')?.id === parent.id) return !/^(update|setdefault|pop|clear)$/.test(outer.childForFieldName('attribute')?.text ?? '');
    if (outer?.type === 'augmented_assignment') return false;
    return isAssignmentTarget(parent) ? 'update' : true;
  }
  if (parent.type === 'attribute' && parent.childForFieldName('object')?.id === use.id) {
    const method = parent.childForFieldName('attribute')?.text ?? '';
    if (method === 'update') return 'update';
    return /^(get|keys|items|values|copy)$/.test(method);
  }
  if (parent.type === 'argument_list' || parent.type === 'keyword_argument') {
    const call = parent.type === 'argument_list' ? parent.parent : parent.parent?.parent;
    if (call?.type !== 'call') return false;
    return calleeMethod(call) === 'initialize' || READ_ONLY_CALLS.test(calleeName(call) ?? '');
  }
  return false;
}

function isAssignmentTarget(node: Node): boolean {
  for (let current: Node = node; current.parent; current = current.parent) {
    const parent = current.parent;
    if ((parent.type === 'assignment' || parent.type === 'augmented_assignment') && parent.childForFieldName('left')?.id === current.id) return true;
    if (parent.type !== 'subscript' && parent.type !== 'attribute') return false;
  }
  return false;
}

/** A section's `enabled` switch (`"fp16": {"enabled": False}`): its value node and what it resolves to; absent when the section is. */
export function sectionSwitch(context: AnalysisContext, config: InlineDeepSpeedConfig, section: string): { node: Node; value: Value } | 'absent' | 'unknown' {
  const sectionNode = config.keys.get(section);
  if (!sectionNode) return 'absent';
  const sectionKeys = context.values().dictionaryKeys(sectionNode);
  const enabled = sectionKeys?.get('enabled');
  if (!enabled) return 'unknown';
  return { node: enabled, value: context.values().resolve(enabled, { cliDefaults: false }) };
}
