import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseComputeApps, processTree, sharesOf } from '../../../shared/src/runs/gpuShare';

describe('runs: GPU share of the job', () => {
  it('parses nvidia-smi compute-apps rows, [N/A] memory as 0', () => {
    assert.deepEqual(parseComputeApps('GPU-a, 100, 3000\nGPU-a, 200, [N/A]\n\nGPU-b, 300, 10\n'), [
      { uuid: 'GPU-a', pid: 100, usedMiB: 3000 },
      { uuid: 'GPU-a', pid: 200, usedMiB: 0 },
      { uuid: 'GPU-b', pid: 300, usedMiB: 10 },
    ]);
  });

  it("counts the job's and everyone's memory per GPU and flags foreign processes", () => {
    const apps = parseComputeApps('GPU-a, 100, 3000\nGPU-a, 999, 1000\nGPU-b, 101, 500\n');
    assert.deepEqual(sharesOf(apps, new Set([100, 101]), ['GPU-a', 'GPU-b', 'GPU-c']), {
      'GPU-a': { jobMiB: 3000, allMiB: 4000, foreign: true },
      'GPU-b': { jobMiB: 500, allMiB: 500, foreign: false },
      'GPU-c': { jobMiB: 0, allMiB: 0, foreign: false },
    });
  });

  it('walks the process tree from /proc-style stat files, command names with spaces and parentheses included', async () => {
    const proc = mkdtempSync(path.join(os.tmpdir(), 'green-ai-proc-'));
    const stat = (pid: number, comm: string, ppid: number) => {
      mkdirSync(path.join(proc, String(pid)));
      writeFileSync(path.join(proc, String(pid), 'stat'), `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560`);
    };
    stat(1, 'init', 0);
    stat(10, 'python', 1);
    stat(11, 'pt_data_worker (0)', 10);
    stat(12, 'torchrun) S 1', 11);
    stat(20, 'other', 1);
    mkdirSync(path.join(proc, 'self'));
    assert.deepEqual([...(await processTree(10, proc))!].sort((x, y) => x - y), [10, 11, 12]);
    assert.equal(await processTree(10, path.join(proc, 'missing')), undefined);
  });
});
