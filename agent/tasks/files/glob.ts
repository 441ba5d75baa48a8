// Glob patterns of `outputFiles` (`*.csv`, `out/**`, `report-?.txt`), matched against relative paths.
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** A pattern as a regular expression: `*` and `?` stay within one directory, `**` crosses them. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Every regular file under `root` (relative paths with `/`), leaving out the directories in `skip`. */
export async function listFiles(root: string, skip: ReadonlySet<string> = new Set()): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath ?? (entry as { path: string }).path, entry.name)))
    .map((path) => path.split(sep).join('/'))
    .filter((path) => ![...skip].some((dir) => path === dir || path.startsWith(`${dir}/`)))
    .sort();
}

/** The files under `root` that match any of `patterns`. */
export async function matchFiles(root: string, patterns: readonly string[], skip?: ReadonlySet<string>) {
  const expressions = patterns.map(globToRegExp);
  return (await listFiles(root, skip)).filter((path) => expressions.some((re) => re.test(path)));
}
