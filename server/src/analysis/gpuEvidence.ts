/**
 * GPU-EVIDENCE: does the script put work on an accelerator? CPU-only files must never get GPU rules.
 * Evidence is recorded with the node that shows it, so messages can point at it.
 */
import type { Node } from 'web-tree-sitter';
import { calleeMethod, calleeName, keywordValue, positionalArguments, receiverOf } from './syntax';
import type { ValueResolver } from './values';

export interface GpuEvidence {
  present: boolean;
  /** The first node that shows GPU use, for related information. */
  first: Node | null;
}

const ACCELERATOR_PREFIXES = ['cuda', 'xpu', 'mps', 'gpu'];
const AUTO_GPU_FRAMEWORK_CALLS = new Set(['Trainer', 'Seq2SeqTrainer', 'SFTTrainer', 'DPOTrainer', 'Accelerator']);

function isAcceleratorString(value: string): boolean {
  const lower = value.toLowerCase();
  return ACCELERATOR_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

const DEVICE_KEYWORD = /\bdevice\s*=/;

export function findGpuEvidence(calls: readonly Node[], values: ValueResolver, source: string): GpuEvidence {
  // Reading a call's keyword arguments crosses into wasm; only calls whose text mentions a device keyword need it.
  const anyDeviceKeyword = source.includes('device');
  for (const call of calls) {
    const deviceKeyword = anyDeviceKeyword && DEVICE_KEYWORD.test(source.slice(call.startIndex, call.endIndex));
    if (showsGpu(call, values, deviceKeyword)) return { present: true, first: call };
  }
  return { present: false, first: null };
}

function mayBeAccelerator(node: Node | null, values: ValueResolver): boolean {
  const strings = values.possibleStrings(node);
  return !!strings && [...strings].some(isAcceleratorString);
}

function showsGpu(call: Node, values: ValueResolver, mayHaveDeviceKeyword: boolean): boolean {
  const name = calleeName(call) ?? '';
  const method = calleeMethod(call);
  if (method === 'cuda' && receiverOf(call)) return true;
  if (name === 'torch.cuda.set_device' || name === 'torch.accelerator.current_accelerator') return true;
  if (name.endsWith('DataParallel') || name.endsWith('DistributedDataParallel')) return true;
  if (method === 'init_process_group') {
    const backend = keywordValue(call, 'backend') ?? positionalArguments(call)[0] ?? null;
    const strings = values.possibleStrings(backend);
    if (strings && [...strings].some((s) => s.startsWith('nccl'))) return true;
  }
  if (method === 'to' || name === 'torch.device' || name === 'device') {
    const target = keywordValue(call, 'device') ?? positionalArguments(call)[0] ?? null;
    if (mayBeAccelerator(target, values)) return true;
  }
  const deviceKeyword = mayHaveDeviceKeyword ? keywordValue(call, 'device') : null;
  if (deviceKeyword && mayBeAccelerator(deviceKeyword, values)) return true;
  const lastSegment = name.slice(name.lastIndexOf('.') + 1);
  if (AUTO_GPU_FRAMEWORK_CALLS.has(lastSegment) && lastSegment !== 'Trainer') return true;
  if (lastSegment === 'Trainer') {
    // Lightning's Trainer picks an accelerator automatically unless told "cpu"; HF's Trainer uses the GPU when present.
    const accelerator = keywordValue(call, 'accelerator');
    if (!accelerator) return true;
    return mayBeAccelerator(accelerator, values) || values.possibleStrings(accelerator)?.has('auto') === true;
  }
  return false;
}
