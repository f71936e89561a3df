/**
 * SolutionPackager map files (`<Mapping>` with `FileToFile`, `FileToPath`, `Folder`): content built elsewhere
 * replaces files of the solution tree. `map` is relative to the solution tree (a bare file name matches that
 * name anywhere), `to` is relative to the solution tree too; Windows `..\` paths and `*` / `**` wildcards work.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core';
import { attr, childElements, parseXml } from './xml';
import { listFiles } from './fs-walk';

export interface MapRule {
  kind: 'FileToFile' | 'FileToPath' | 'Folder';
  map: string;
  to: string;
}

export interface MapResolution {
  /** Absolute path of the mapped file, when a rule applied and the target exists. */
  file?: string;
  /** The rule that applied (also set when its target does not exist). */
  rule?: MapRule;
  /** Where the rule pointed when the target is missing. */
  missingTarget?: string;
}

const norm = (p: string) => p.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');

export function parseMapFile(text: string, what: string): MapRule[] {
  const root = parseXml(text, what);
  if (root.name !== 'Mapping') throw new UserError(`${what}: root element is <${root.name}>, expected <Mapping>.`);
  const rules: MapRule[] = [];
  for (const el of childElements(root)) {
    if (el.name !== 'FileToFile' && el.name !== 'FileToPath' && el.name !== 'Folder') {
      throw new UserError(`${what}: unknown mapping element <${el.name}>; expected FileToFile, FileToPath or Folder.`);
    }
    const map = attr(el, 'map');
    const to = attr(el, 'to');
    if (!map || !to) throw new UserError(`${what}: <${el.name}> needs both map and to attributes.`);
    rules.push({ kind: el.name, map: norm(map), to: norm(to) });
  }
  return rules;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  const g = glob.replace(/\*\.\*/g, '*'); // Windows: *.* matches every name, with or without a dot
  for (let i = 0; i < g.length; i++) {
    const c = g[i];
    if (c === '*' && g[i + 1] === '*') {
      re += g[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += g[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i');
}

function matchesMap(map: string, rel: string): boolean {
  if (!map.includes('/')) return globToRegExp(map).test(path.posix.basename(rel));
  return globToRegExp(map).test(rel);
}

export class MapResolver {
  private readonly searchCache = new Map<string, string[]>();

  constructor(readonly rules: MapRule[], private readonly solutionRoot: string) {}

  static async load(mapFile: string, solutionRoot: string): Promise<MapResolver> {
    if (!fs.existsSync(mapFile)) throw new UserError(`Map file '${mapFile}' does not exist.`);
    return new MapResolver(parseMapFile(await fs.promises.readFile(mapFile, 'utf8'), path.basename(mapFile)), solutionRoot);
  }

  private async filesUnder(dir: string): Promise<string[]> {
    let files = this.searchCache.get(dir);
    if (!files) { files = await listFiles(dir); this.searchCache.set(dir, files); }
    return files;
  }

  /** Resolves a solution-tree path (forward slashes) through the rules; the first matching rule wins. */
  async resolve(rel: string): Promise<MapResolution> {
    for (const rule of this.rules) {
      if (rule.kind === 'Folder') {
        const prefix = rule.map.toLowerCase() + '/';
        if (!rel.toLowerCase().startsWith(prefix)) continue;
        const target = path.resolve(this.solutionRoot, rule.to, rel.slice(prefix.length));
        return fs.existsSync(target) ? { file: target, rule } : { rule, missingTarget: target };
      }
      if (!matchesMap(rule.map, rel)) continue;
      if (rule.kind === 'FileToFile') {
        const target = path.resolve(this.solutionRoot, rule.to);
        return fs.existsSync(target) ? { file: target, rule } : { rule, missingTarget: target };
      }
      // FileToPath: a file of the same name in `to` (a folder; a trailing ** searches its subfolders too).
      const recursive = /(^|\/)\*\*$/.test(rule.to);
      const base = path.resolve(this.solutionRoot, recursive ? rule.to.replace(/\/?\*\*$/, '') || '.' : rule.to);
      const name = path.posix.basename(rel).toLowerCase();
      const candidates = recursive
        ? (await this.filesUnder(base)).filter((f) => path.posix.basename(f).toLowerCase() === name)
        : (fs.existsSync(base) ? fs.readdirSync(base).filter((f) => f.toLowerCase() === name) : []);
      if (candidates.length > 0) {
        // Prefer the candidate whose folder path matches the tail of the solution path most closely.
        const relDir = path.posix.dirname(rel).toLowerCase();
        const best = [...candidates].sort((a, b) => score(b, relDir) - score(a, relDir))[0];
        return { file: path.join(base, ...best.split('/')), rule };
      }
      return { rule, missingTarget: path.join(base, path.posix.basename(rel)) };
    }
    return {};
  }
}

function score(candidate: string, relDir: string): number {
  const dir = path.posix.dirname(candidate).toLowerCase();
  return relDir.endsWith(dir) ? dir.length : 0;
}
