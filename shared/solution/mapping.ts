/**
 * SolutionPackager map files (`<Mapping>` with `FileToFile`, `FileToPath`, `Folder`): content built elsewhere
 * replaces files of the solution tree. `map` is relative to the solution tree (a bare file name matches that
 * name anywhere), `to` is relative to the solution tree too (or absolute); Windows `..\` paths, `*` / `**`
 * wildcards and `%VARIABLE%` environment references work, as documented for SolutionPackager /map.
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

  /**
   * Resolves a solution-tree path. Every matching rule is tried in file order and the first whose target exists
   * wins; when rules match but none of their targets exists, the file is missing (SolutionPackager does not fall
   * back to the tree's own copy then).
   */
  async resolve(rel: string): Promise<MapResolution> {
    let first: MapResolution | undefined;
    for (const rule of this.rules) {
      const target = await this.target(rule, rel);
      if (target === undefined) continue;
      if (target.file) return target;
      first ??= target;
    }
    return first ?? {};
  }

  private async target(rule: MapRule, rel: string): Promise<MapResolution | undefined> {
    const to = expandEnvironment(rule.to);
    if (rule.kind === 'Folder') {
      const prefix = expandEnvironment(rule.map).toLowerCase() + '/';
      if (!rel.toLowerCase().startsWith(prefix)) return undefined;
      const target = path.resolve(this.solutionRoot, to, rel.slice(prefix.length));
      return fs.existsSync(target) ? { file: target, rule } : { rule, missingTarget: target };
    }
    if (!matchesMap(expandEnvironment(rule.map), rel)) return undefined;
    if (rule.kind === 'FileToFile') {
      const wildcard = to.indexOf('**');
      if (wildcard < 0) {
        const target = path.resolve(this.solutionRoot, to);
        return fs.existsSync(target) ? { file: target, rule } : { rule, missingTarget: target };
      }
      // `..\bin\**\x.dll`: x.dll anywhere under ..\bin.
      const base = path.resolve(this.solutionRoot, to.slice(0, wildcard) || '.');
      const tail = to.slice(wildcard + 2).replace(/^\//, '').toLowerCase();
      const found = (await this.filesUnder(base)).find((f) => f.toLowerCase() === tail || f.toLowerCase().endsWith(`/${tail}`));
      return found ? { file: path.join(base, ...found.split('/')), rule } : { rule, missingTarget: path.join(base, '**', tail) };
    }
    // FileToPath: a file of the same name in `to` (a folder; a trailing ** searches its subfolders too).
    const recursive = /(^|\/)\*\*$/.test(to);
    const base = path.resolve(this.solutionRoot, recursive ? to.replace(/\/?\*\*$/, '') || '.' : to);
    const name = path.posix.basename(rel).toLowerCase();
    const candidates = recursive
      ? (await this.filesUnder(base)).filter((f) => path.posix.basename(f).toLowerCase() === name)
      : (fs.existsSync(base) ? fs.readdirSync(base).filter((f) => f.toLowerCase() === name) : []);
    if (candidates.length === 0) return { rule, missingTarget: path.join(base, path.posix.basename(rel)) };
    // Prefer the candidate whose folder path matches the tail of the solution path most closely.
    const relDir = path.posix.dirname(rel).toLowerCase();
    const best = [...candidates].sort((a, b) => score(b, relDir) - score(a, relDir) || (a < b ? -1 : 1))[0];
    return { file: path.join(base, ...best.split('/')), rule };
  }
}

/** `%NAME%` in map paths is replaced by the environment variable (left as is when unset). */
function expandEnvironment(value: string): string {
  return value.replace(/%([A-Za-z_][A-Za-z0-9_]*)%/g, (m, name: string) => process.env[name] ?? m);
}

function score(candidate: string, relDir: string): number {
  const dir = path.posix.dirname(candidate).toLowerCase();
  return relDir.endsWith(dir) ? dir.length : 0;
}
