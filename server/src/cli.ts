/** Entry point of the `green-ai` command (bundled as dist/cli.js). */
import { checkWorkerMain, isCheckWorker } from './cli/analyzeFiles';
import { main } from './cli/main';

if (isCheckWorker()) {
  void checkWorkerMain();
} else {
  runCli();
}

function runCli(): void {
main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: process.stderr.isTTY === true,
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`green-ai: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  },
);
}
