// The messages between the power panel webview and the extension, and the webview's saved state, are validated.
import assert from 'node:assert/strict';
import { fromWebview, panelState, toWebview, type PanelView } from '../../../shared/src/power/panelProtocol';

const view: PanelView = {
  timestampMs: 1_700_000_000_000,
  totalWatts: 340,
  coverage: 1,
  components: [
    {
      id: 'gpu:GPU-1',
      kind: 'gpu',
      name: 'NVIDIA H100 80GB HBM3 (GPU 0)',
      method: 'nvidia-smi',
      source: 'nvidia-smi power.draw.average, 1000 ms',
      watts: 300,
      sessionEnergyJ: 3600,
      sessionEnergyText: '1 Wh',
      utilizationPercent: 95,
      memoryUsedMiB: 40000,
      memoryTotalMiB: 81559,
    },
  ],
  session: {
    kind: 'panel',
    label: 'panel opened',
    startMs: 1_700_000_000_000,
    measuredFromMs: 1_700_000_000_000,
    energyJ: 3600,
    energyText: '1 Wh',
    co2eG: 0.481,
    co2eText: '0.48 g',
    intensity: { gCO2ePerKWh: 481, label: 'world average' },
  },
  sources: ['GPU 0: nvidia-smi'],
  notes: [],
  intervalMs: 1000,
};

describe('power panel protocol', () => {
  it('accepts the messages the extension sends', () => {
    assert.ok(toWebview.safeParse({ type: 'sample', point: { t: 1, watts: { 'gpu:GPU-1': 300 } }, series: [{ id: 'gpu:GPU-1', name: 'GPU 0', kind: 'gpu' }], view }).success);
    assert.ok(toWebview.safeParse({ type: 'snapshot', history: [], series: [], view: null, status: null }).success);
    assert.ok(toWebview.safeParse({ type: 'status', message: 'Power sampling did not start: boom' }).success);
  });

  it('rejects malformed messages from either side', () => {
    assert.equal(toWebview.safeParse({ type: 'sample', point: { t: 1, watts: { a: -5 } }, series: [], view }).success, false, 'negative watts');
    assert.equal(toWebview.safeParse({ type: 'sample', point: { t: 1, watts: {} }, series: [], view: { ...view, coverage: 2 } }).success, false, 'coverage > 1');
    assert.equal(toWebview.safeParse({ type: 'redraw' }).success, false, 'unknown type');
    assert.equal(fromWebview.safeParse({ type: 'ready' }).success, true);
    assert.equal(fromWebview.safeParse({ type: 'resetSession' }).success, true);
    assert.equal(fromWebview.safeParse({ type: 'runCommand', command: 'rm -rf /' }).success, false);
    assert.equal(fromWebview.safeParse('ready').success, false);
  });

  it('validates the saved webview state, so stale or foreign state is ignored rather than drawn', () => {
    assert.ok(panelState.safeParse({ version: 1, history: [{ t: 1, watts: { a: 1 } }], series: [{ id: 'a', name: 'A', kind: 'cpu' }], view }).success);
    assert.equal(panelState.safeParse({ version: 2, history: [], series: [], view: null }).success, false);
    assert.equal(panelState.safeParse({ history: 'lots' }).success, false);
  });
});
