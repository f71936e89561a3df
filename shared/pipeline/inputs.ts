/**
 * Typed task inputs. Every error names the input, what was wrong and what to put there instead, and is a
 * UserError (printed without a stack trace).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core';
import type { Agent } from './agent';

export interface PathOptions {
  /** Resolve relative paths against this folder (default: System.DefaultWorkingDirectory, else the process cwd). */
  baseDir?: string;
  /** 'file' or 'directory': the path must exist and be of that kind. 'any': must exist. Unset: no check. */
  mustExist?: 'file' | 'directory' | 'any';
}

export interface IntegerOptions {
  min?: number;
  max?: number;
  defaultValue?: number;
}

export interface InputReader {
  /** Trimmed value; throws when empty. */
  required(name: string): string;
  /** Trimmed value, or `defaultValue` (undefined when not given) when empty. */
  optional(name: string): string | undefined;
  optional(name: string, defaultValue: string): string;
  boolean(name: string, defaultValue: boolean): boolean;
  integer(name: string, options?: IntegerOptions): number | undefined;
  integer(name: string, options: IntegerOptions & { defaultValue: number }): number;
  pickList<T extends string>(name: string, options: readonly T[], defaultValue: T): T;
  /** Absolute path; throws when empty. */
  requiredPath(name: string, options?: PathOptions): string;
  /** Absolute path, or undefined when empty. */
  optionalPath(name: string, options?: PathOptions): string | undefined;
}

const TRUE_WORDS = ['true', 'yes', '1'];
const FALSE_WORDS = ['false', 'no', '0'];

export function createInputReader(agent: Agent): InputReader {
  const raw = (name: string): string | undefined => {
    const value = agent.getInput(name)?.trim();
    return value ? value : undefined;
  };

  const required = (name: string): string => {
    const value = raw(name);
    if (value === undefined) {
      throw new UserError(`Input '${name}' is required but empty.`, `Set '${name}' in the task's inputs (YAML: '${name}: <value>').`);
    }
    return value;
  };

  function optional(name: string): string | undefined;
  function optional(name: string, defaultValue: string): string;
  function optional(name: string, defaultValue?: string): string | undefined {
    return raw(name) ?? defaultValue;
  }

  const boolean = (name: string, defaultValue: boolean): boolean => {
    const value = raw(name)?.toLowerCase();
    if (value === undefined) return defaultValue;
    if (TRUE_WORDS.includes(value)) return true;
    if (FALSE_WORDS.includes(value)) return false;
    throw new UserError(`Input '${name}' must be true or false, but is '${raw(name)}'.`, `Set '${name}: true' or '${name}: false'.`);
  };

  function integer(name: string, options?: IntegerOptions): number | undefined;
  function integer(name: string, options: IntegerOptions & { defaultValue: number }): number;
  function integer(name: string, options: IntegerOptions = {}): number | undefined {
    const text = raw(name);
    if (text === undefined) return options.defaultValue;
    const range = describeRange(options);
    if (!/^[+-]?\d+$/.test(text)) {
      throw new UserError(`Input '${name}' must be a whole number${range}, but is '${text}'.`, `Set '${name}' to a number such as ${options.defaultValue ?? options.min ?? 1}.`);
    }
    const value = Number(text);
    if ((options.min !== undefined && value < options.min) || (options.max !== undefined && value > options.max)) {
      throw new UserError(`Input '${name}' is ${value}, outside the allowed range${range}.`, `Set '${name}' to a value${range}.`);
    }
    return value;
  }

  const pickList = <T extends string>(name: string, options: readonly T[], defaultValue: T): T => {
    const text = raw(name);
    if (text === undefined) return defaultValue;
    const match = options.find((o) => o.toLowerCase() === text.toLowerCase());
    if (match === undefined) {
      throw new UserError(`Input '${name}' is '${text}', which is not one of the allowed values: ${options.join(', ')}.`, `Set '${name}' to one of them (default: ${defaultValue}).`);
    }
    return match;
  };

  const resolvePath = (name: string, value: string, options: PathOptions): string => {
    const baseDir = options.baseDir ?? (agent.getVariable('System.DefaultWorkingDirectory') || process.cwd());
    const absolute = path.resolve(baseDir, value);
    if (options.mustExist) checkPath(name, absolute, options.mustExist, baseDir);
    return absolute;
  };

  return {
    required,
    optional,
    boolean,
    integer,
    pickList,
    requiredPath: (name, options = {}) => resolvePath(name, required(name), options),
    optionalPath: (name, options = {}) => {
      const value = raw(name);
      return value === undefined ? undefined : resolvePath(name, value, options);
    },
  };
}

function describeRange(options: IntegerOptions): string {
  if (options.min !== undefined && options.max !== undefined) return ` between ${options.min} and ${options.max}`;
  if (options.min !== undefined) return ` of at least ${options.min}`;
  if (options.max !== undefined) return ` of at most ${options.max}`;
  return '';
}

function checkPath(name: string, absolute: string, kind: 'file' | 'directory' | 'any', baseDir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(absolute);
  } catch {
    const what = kind === 'any' ? 'path' : kind === 'file' ? 'file' : 'folder';
    throw new UserError(`Input '${name}': ${what} '${absolute}' does not exist.`, `Check the path (relative paths are resolved against ${baseDir}).`);
  }
  if (kind === 'file' && !stat.isFile()) {
    throw new UserError(`Input '${name}': '${absolute}' is a folder, but a file is expected.`, `Point '${name}' at the file itself.`);
  }
  if (kind === 'directory' && !stat.isDirectory()) {
    throw new UserError(`Input '${name}': '${absolute}' is a file, but a folder is expected.`, `Point '${name}' at the folder that contains it.`);
  }
}
