// The greenAI.power.* settings: validated per key like every setting, with a named problem and that key's default.
import assert from 'node:assert/strict';
import { parseSettings } from '../../../shared/src/settings';

describe('power panel settings', () => {
  it('defaults: 1 s sampling, nvidia-smi from PATH, the standard powercap root, the status item shown', () => {
    const { settings, problems } = parseSettings({});
    assert.deepEqual(problems, []);
    assert.equal(settings['power.intervalMs'], 1000);
    assert.equal(settings['power.nvidiaSmiPath'], 'nvidia-smi');
    assert.equal(settings['power.powercapRoot'], '/sys/class/powercap');
    assert.equal(settings['power.showInStatusBar'], true);
  });

  it('reads the nested form VS Code returns and the flat form of a settings file', () => {
    const nested = parseSettings({ power: { intervalMs: 250, nvidiaSmiPath: '/opt/nvidia/bin/nvidia-smi', showInStatusBar: false } });
    assert.deepEqual(nested.problems, []);
    assert.equal(nested.settings['power.intervalMs'], 250);
    assert.equal(nested.settings['power.nvidiaSmiPath'], '/opt/nvidia/bin/nvidia-smi');
    assert.equal(nested.settings['power.showInStatusBar'], false);
    const flat = parseSettings({ 'power.powercapRoot': '/host/sys/class/powercap' });
    assert.equal(flat.settings['power.powercapRoot'], '/host/sys/class/powercap');
  });

  it('names an invalid key and falls back to its default only', () => {
    const { settings, problems } = parseSettings({ power: { intervalMs: 20, powercapRoot: 'sys/class/powercap', nvidiaSmiPath: ' nvidia-smi', showInStatusBar: 'yes' } });
    assert.deepEqual(problems.map((problem) => problem.key), [
      'greenAI.power.intervalMs',
      'greenAI.power.nvidiaSmiPath',
      'greenAI.power.powercapRoot',
      'greenAI.power.showInStatusBar',
    ]);
    assert.match(problems[0]!.message, /using the default 1000/);
    assert.match(problems[2]!.message, /absolute path/);
    assert.equal(settings['power.intervalMs'], 1000);
    assert.equal(settings['power.powercapRoot'], '/sys/class/powercap');
  });
});
