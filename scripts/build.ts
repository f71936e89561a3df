/**
 * `npm run build`: bundles every tasks/<folder>/index.ts with esbuild into
 * dist/extension/tasks/<folder>/index.js (one self-contained CommonJS file, no node_modules at run time)
 * and lays out the exact VSIX tree under dist/extension; source maps go to dist/sourcemaps/<folder>/.
 */
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findRoot } from './repo-root';

const root = findRoot();

/**
 * One self-contained CommonJS file. Minified, but with function names kept so an unexpected error's stack
 * still says where it came from. The source map, when asked for, is written to `mapFile` — outside the VSIX
 * tree (design.md §4 ships only task.json, icon.png and index.js per task).
 */
export async function bundleTask(entry: string, outFile: string, mapFile?: string): Promise<void> {
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    keepNames: true,
    sourcemap: mapFile ? 'external' : false,
    sourcesContent: true,
    legalComments: 'eof',
    logLevel: 'warning',
    write: false,
  });
  for (const file of result.outputFiles) {
    const target = file.path.endsWith('.map') ? mapFile : file.path;
    if (!target) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.contents);
  }
}

function copyIfExists(from: string, to: string): void {
  if (!fs.existsSync(from)) return;
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.cpSync(from, to, { recursive: true });
}

export async function buildExtension(outRoot = path.join(root, 'dist', 'extension')): Promise<string[]> {
  const tasksDir = path.join(root, 'tasks');
  const folders = fs.existsSync(tasksDir)
    ? fs.readdirSync(tasksDir).filter((f) => fs.existsSync(path.join(tasksDir, f, 'task.json')))
    : [];
  fs.rmSync(outRoot, { recursive: true, force: true });
  fs.mkdirSync(outRoot, { recursive: true });
  await Promise.all(folders.map(async (folder) => {
    const src = path.join(tasksDir, folder);
    const dest = path.join(outRoot, 'tasks', folder);
    if (fs.existsSync(path.join(src, 'index.ts'))) {
      await bundleTask(path.join(src, 'index.ts'), path.join(dest, 'index.js'), path.join(outRoot, '..', 'sourcemaps', folder, 'index.js.map'));
    }
    copyIfExists(path.join(src, 'task.json'), path.join(dest, 'task.json'));
    copyIfExists(path.join(src, 'icon.png'), path.join(dest, 'icon.png'));
  }));
  copyIfExists(path.join(root, 'vss-extension.json'), path.join(outRoot, 'vss-extension.json'));
  copyIfExists(path.join(root, 'overview.md'), path.join(outRoot, 'overview.md'));
  copyIfExists(path.join(root, 'images'), path.join(outRoot, 'images'));
  return folders;
}

if (require.main === module) {
  const started = Date.now();
  buildExtension().then((folders) => {
    console.log(`built ${folders.length} task bundle(s) into dist/extension in ${Date.now() - started} ms: ${folders.join(', ') || '(none yet)'}`);
  }).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
