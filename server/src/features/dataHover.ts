/**
 * Hover on what the estimate reads from a script — a GPU name, a cloud region, a model checkpoint, a dataset,
 * or a Trainer argument — shows the table row or the value used, with its source and year, so every number
 * behind a code lens can be traced.
 */
import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import type { Node, Tree } from 'web-tree-sitter';
import { loadTables, resolveDataset, resolveGpu, resolveLanguageModel, resolveLocation, type Tables } from '../../../shared/src/carbon/index';
import { AnalysisContext } from '../analysis/context';
import { huggingFaceArgumentCalls } from '../analysis/frameworks';
import { rangeOf, releaseCallFacts, stringLiteralValue } from '../analysis/syntax';
import { extractRun, type Fact, type RunFacts } from '../estimates/extract';

const CLOUD_REGION = /^((aws|gcp|azure):)?[a-z]+(-[a-z]+)+-?\d+[a-z]?$/;

/** Trainer argument → the run fact it feeds and what the fact means in the estimate. */
const TRAINER_FIELDS: Record<string, { fact: keyof RunFacts; role: string }> = {
  num_train_epochs: { fact: 'epochs', role: 'passes over the training set' },
  max_steps: { fact: 'maxSteps', role: 'optimizer steps (overrides epochs)' },
  per_device_train_batch_size: { fact: 'batchSize', role: 'examples per device per step' },
  gradient_accumulation_steps: { fact: 'gradAccumulation', role: 'micro-batches per optimizer step' },
  bf16: { fact: 'precision', role: 'the precision the run computes in (sets the peak FLOP/s)' },
  fp16: { fact: 'precision', role: 'the precision the run computes in (sets the peak FLOP/s)' },
};

export function dataHoverFor(tree: Tree, text: string, uri: string, position: Position): Hover | null {
  const tables = loadTables();
  if (!tables.ok) return null;
  const node = tree.rootNode.descendantForPosition({ row: position.line, column: position.character });
  if (!node) return null;
  const literal = stringNodeAt(node);
  if (literal) {
    const value = stringLiteralValue(literal);
    const markdown = value ? describeString(value, tables.value) : null;
    return markdown ? { contents: { kind: MarkupKind.Markdown, value: markdown }, range: rangeOf(literal) } : null;
  }
  if (node.type === 'identifier' && node.parent?.type === 'keyword_argument' && node.parent.childForFieldName('name')?.id === node.id) {
    const field = TRAINER_FIELDS[node.text];
    if (!field) return null;
    const context = new AnalysisContext(tree, text, uri);
    const call = node.parent.parent?.parent;
    let facts: ReturnType<typeof extractRun>;
    try {
      if (!call || !huggingFaceArgumentCalls(context.calls(), context.imports()).some((c) => c.id === call.id)) return null;
      facts = extractRun(context, tables.value);
    } finally {
      releaseCallFacts(tree);
    }
    const fact = facts[field.fact] as Fact<unknown> | null;
    const used = fact ? `\`${String(fact.value)}\` — from ${fact.from}${fact.line !== null ? ` (line ${fact.line + 1})` : ''}` : 'not used: the estimate could not read it';
    return {
      contents: { kind: MarkupKind.Markdown, value: `**Green AI estimate input: ${node.text}** — ${field.role}\n\nValue used: ${used}` },
      range: rangeOf(node),
    };
  }
  return null;
}

function stringNodeAt(node: Node): Node | null {
  for (let current: Node | null = node; current; current = current.parent) {
    if (current.type === 'string') return current;
    if (current.type !== 'string_content' && current.type !== 'string_start' && current.type !== 'string_end') return null;
  }
  return null;
}

function describeString(value: string, tables: Tables): string | null {
  if (value.length < 2 || value.length > 80) return null;
  const gpu = resolveGpu(value, tables);
  if (gpu.ok) {
    const row = gpu.value.gpu;
    const peaks = Object.entries(row.peakTflops).map(([precision, tflops]) => `${precision} ${tflops} TFLOP/s`).join(' · ');
    return [
      `**${row.name}** (Green AI hardware table, \`${row.id}\`)`,
      `TDP ${row.tdpW ?? 'not published'}${row.tdpW ? ' W' : ''} · ${row.memoryGB} GB · peak dense ${peaks}` +
        (row.embodiedKgCO2e ? ` · embodied ${row.embodiedKgCO2e.value} kg CO2e` : ''),
      `Source: [${row.source.title}](${row.source.url}) (${row.year})${row.approximate ? ' — approximate' : ''}`,
      ...(gpu.value.note ? [gpu.value.note] : []),
    ].join('\n\n');
  }
  if (CLOUD_REGION.test(value)) {
    const location = resolveLocation(value, tables);
    if (location.ok && location.value.kind === 'cloud-region') {
      const row = location.value.row;
      return [
        `**${location.value.label}** (${location.value.key}) — grid intensity ${location.value.gCO2ePerKWh} gCO2e/kWh`,
        `Source: [${row.source.title}](${row.source.url}) (${row.year})`,
        ...(location.value.provider ? [`Provider PUE ${location.value.provider.pue.value} (${location.value.provider.pue.year})`] : []),
      ].join('\n\n');
    }
  }
  const model = resolveLanguageModel(value, tables);
  if (model.ok) {
    const row = model.value;
    return `**${row.id}** — ${formatCount(row.parameters)} parameters (Green AI model table)\n\nSource: [${row.source.title}](${row.source.url}) (${row.year})`;
  }
  const dataset = resolveDataset(value, tables);
  if (dataset.ok) {
    const row = dataset.value;
    return `**${row.id}** — ${row.trainExamples.toLocaleString('en-US')} training examples${row.trainTokens ? `, ${formatCount(row.trainTokens)} tokens` : ''} (Green AI dataset table)\n\nSource: [${row.source.title}](${row.source.url}) (${row.year})`;
  }
  return null;
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(0)} M`;
  return n.toLocaleString('en-US');
}
