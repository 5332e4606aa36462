/** Entry point loaded by the extension host (`extensionTestsPath`): runs the mocha suites bundled beside it. */
import Mocha from 'mocha';
import { registerExtensionTests } from './extension.test';
import { registerProjectConfigTests } from './projectConfig.test';
import { registerTaskTests } from './tasks.test';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false });
  mocha.suite.emit('pre-require', globalThis, 'extension.test', mocha);
  registerExtensionTests();
  registerProjectConfigTests();
  registerTaskTests();
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} extension test(s) failed`)) : resolve()));
  });
}
