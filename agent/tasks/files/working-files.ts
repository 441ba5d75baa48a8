// A script task's files: `inputFiles` written into the working directory (a kestra:/// value is
// downloaded), internal storage URIs in commands replaced by local copies, and `outputFiles` uploaded.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringList, type TaskContext } from '../types.ts';
import { matchFiles } from './glob.ts';

export const STORAGE_URI_PREFIX = 'kestra:///';
/** An internal storage URI inside a rendered command (ends at whitespace or a quote). */
const STORAGE_URI_IN_TEXT = /kestra:\/\/\/[^\s'"`;|&<>()]+/g;

/** A plain file name: no directory, not `.` or `..`, no control character. */
export function isSafeName(name: string): boolean {
  if (name.length === 0 || name.length > 255 || name === '.' || name === '..') return false;
  return [...name].every((c) => c !== '/' && c !== '\\' && c.charCodeAt(0) >= 0x20 && c !== '\u007f');
}

/** A relative path that stays inside the working directory; otherwise an error naming the property. */
export function relativePath(name: string, property: string): string {
  const segments = name.replace(/\\/g, '/').split('/');
  if (name.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\0'))) {
    throw new TypeError(
      `property '${property}': '${name}' must be a relative path inside the working directory`,
    );
  }
  return segments.join('/');
}

/**
 * `inputFiles`: a map of file name to content or kestra:/// URI, or a JSON string of such a map; the
 * task's own, or `declared` (a WorkingDirectory's).
 */
export async function writeInputFiles(
  ctx: TaskContext,
  cwd: string,
  declared: unknown = ctx.task.inputFiles,
): Promise<void> {
  let files = ctx.render(declared, 'inputFiles');
  if (files === undefined || files === null) return;
  if (typeof files === 'string') {
    try {
      files = JSON.parse(files);
    } catch {
      throw new TypeError(`property 'inputFiles' must be a map of file names to contents`);
    }
  }
  if (typeof files !== 'object' || files === null || Array.isArray(files)) {
    throw new TypeError(`property 'inputFiles' must be a map of file names to contents`);
  }
  for (const [name, content] of Object.entries(files)) {
    const path = join(cwd, relativePath(name, 'inputFiles'));
    await mkdir(dirname(path), { recursive: true });
    const text = typeof content === 'string' ? content : JSON.stringify(content ?? '');
    if (text.startsWith(STORAGE_URI_PREFIX) && !/\s/.test(text.trim())) {
      await ctx.files.download(text.trim(), path);
    } else {
      await writeFile(path, text);
    }
  }
}

/**
 * Replaces each kestra:/// URI in `text` by the path of a local copy in the working directory, as
 * Kestra's script tasks do (so `cat {{ inputs.file }}` reads the uploaded file).
 */
export async function localizeStorageUris(ctx: TaskContext, cwd: string, text: string): Promise<string> {
  const uris = [...new Set(text.match(STORAGE_URI_IN_TEXT) ?? [])];
  if (uris.length === 0) return text;
  const local = new Map<string, string>();
  for (const [index, uri] of uris.entries()) {
    const name = decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1)) || 'file';
    const directory = join(cwd, '.internal-storage', String(index));
    await mkdir(directory, { recursive: true });
    const path = join(directory, name.replace(/[/\\\0]/g, '_'));
    await ctx.files.download(uri, path);
    local.set(uri, path);
  }
  return text.replace(STORAGE_URI_IN_TEXT, (uri) => local.get(uri) ?? uri);
}

/**
 * Uploads the files that match `outputFiles` (relative to the working directory) and every file under
 * `outputDir`; returns their URIs by relative name, Kestra's `outputFiles` output.
 */
export async function uploadOutputFiles(
  ctx: TaskContext,
  cwd: string,
  outputDir: string,
  outputDirName: string,
): Promise<Record<string, string>> {
  const uploads = await matchingFiles(ctx, cwd, ctx.task.outputFiles, new Set([outputDirName]));
  const made = await stat(outputDir).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (made) for (const name of await matchFiles(outputDir, ['**'])) uploads.set(name, join(outputDir, name));
  return uploadAll(ctx, uploads);
}

/** The files of `cwd` that the `outputFiles` patterns (unrendered) match, by relative name. */
async function matchingFiles(
  ctx: TaskContext,
  cwd: string,
  declared: unknown,
  skip: ReadonlySet<string> = new Set(),
): Promise<Map<string, string>> {
  const patterns = stringList(ctx.render(declared, 'outputFiles'), 'outputFiles');
  const found = new Map<string, string>();
  if (!patterns.length) return found;
  for (const name of await matchFiles(cwd, patterns, new Set([...skip, '.internal-storage'])))
    found.set(name, join(cwd, name));
  return found;
}

async function uploadAll(ctx: TaskContext, files: Map<string, string>): Promise<Record<string, string>> {
  const uris: Record<string, string> = {};
  for (const [name, path] of files) uris[name] = await ctx.files.upload(path, name);
  return uris;
}

/** A WorkingDirectory's `outputFiles`: the matching files of its shared directory, uploaded. */
export async function uploadDirectoryOutputFiles(
  ctx: TaskContext,
  cwd: string,
  declared: unknown,
): Promise<Record<string, string>> {
  return uploadAll(ctx, await matchingFiles(ctx, cwd, declared));
}
