/**
 * `npm run package`: builds dist/extension (scripts/build.ts) and packs it into dist/<publisher>.<id>-<version>.vsix
 * with tfx-cli. Runs offline; tfx validates the manifest (never pass --bypass-validation).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findRoot } from './repo-root';
import { buildExtension } from './build';

const root = findRoot();

export interface PackageResult {
  vsixPath: string;
  sizeBytes: number;
  tasks: string[];
}

/** Builds the extension tree into `extensionRoot` and packs it into `outputDir`. */
export async function packageExtension(
  extensionRoot = path.join(root, 'dist', 'extension'),
  outputDir = path.join(root, 'dist'),
): Promise<PackageResult> {
  const tasks = await buildExtension(extensionRoot);
  fs.mkdirSync(outputDir, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(extensionRoot, 'vss-extension.json'), 'utf8')) as
    { publisher: string; id: string; version: string };
  const vsixPath = path.join(outputDir, `${manifest.publisher}.${manifest.id}-${manifest.version}.vsix`);
  fs.rmSync(vsixPath, { force: true });
  await runTfx([
    'extension', 'create',
    '--root', extensionRoot,
    '--manifest-globs', 'vss-extension.json',
    '--output-path', vsixPath,
    '--no-prompt', '--no-color',
  ]);
  if (!fs.existsSync(vsixPath)) throw new Error(`tfx reported success but ${vsixPath} was not written.`);
  return { vsixPath, sizeBytes: fs.statSync(vsixPath).size, tasks };
}

function runTfx(args: string[]): Promise<void> {
  const tfx = path.join(root, 'node_modules', 'tfx-cli', '_build', 'tfx-cli.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tfx, ...args], {
      cwd: root,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      // tfx only warns about an invalid task.json ("will be treated as an error in the future"): we fail now.
      if (code === 0 && !/Invalid task json/i.test(output)) resolve();
      else reject(new Error(`tfx extension create failed (exit ${code}):\n${output.trim()}`));
    });
  });
}

/** `--extension-root <dir>` and `--output-dir <dir>` (tests build into temporary folders). */
function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (require.main === module) {
  packageExtension(argValue('--extension-root'), argValue('--output-dir')).then((r) => {
    console.log(`packaged ${r.tasks.length} task(s) into ${r.vsixPath} (${(r.sizeBytes / 1024).toFixed(0)} KiB)`);
  }).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
