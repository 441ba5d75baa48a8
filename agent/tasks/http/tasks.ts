// io.kestra.plugin.core.http.Request (the response in outputs) and io.kestra.plugin.core.http.Download
// (the response body to internal storage).
import { createWriteStream } from 'node:fs';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RoostError } from '../../../protocol/errors.ts';
import { isSafeName } from '../files/working-files.ts';
import type { TaskModule } from '../types.ts';
import { headerLists, send } from './fetch.ts';
import { httpCall } from './request-options.ts';

const failedStatus = (code: number, uri: string) =>
  new RoostError('ROOST_TASK_FAILED', `Failed http request with response code '${code}' from ${uri}`);

export const request: TaskModule = {
  type: 'io.kestra.plugin.core.http.Request',
  aliases: ['io.kestra.plugin.fs.http.Request'],
  async run(ctx) {
    const call = httpCall(ctx);
    const { response, chunks } = await send(call, ctx.signal);
    const parts: Buffer[] = [];
    let length = 0;
    for await (const chunk of chunks()) {
      length += chunk.length;
      if (length > call.maxContentLength) {
        throw new RoostError(
          'ROOST_TASK_FAILED',
          `the response of ${call.uri} is over ${call.maxContentLength} bytes (options.maxContentLength); use io.kestra.plugin.core.http.Download for large bodies`,
        );
      }
      parts.push(Buffer.from(chunk));
    }
    if (response.status >= 400 && !call.allowFailed) throw failedStatus(response.status, call.uri);
    const body = Buffer.concat(parts).toString('utf8');
    return {
      outputs: {
        uri: call.uri,
        code: response.status,
        headers: headerLists(response.headers),
        ...(parts.length ? { body } : {}),
      },
    };
  },
};

/** The file name: saveAs, else the server's Content-Disposition, else the URL's last segment. */
function fileName(saveAs: string | undefined, response: Response, uri: string): string {
  if (saveAs !== undefined) {
    if (!isSafeName(saveAs)) throw new TypeError(`property 'saveAs': '${saveAs}' is not a file name`);
    return saveAs;
  }
  const disposition = response.headers.get('content-disposition') ?? '';
  const match = /filename\*=UTF-8''([^;]+)|filename="?([^";]+)"?/i.exec(disposition);
  let candidate = match?.[1] ? decodeURIComponent(match[1]) : match?.[2];
  candidate ??= decodeURIComponent(basename(new URL(uri).pathname));
  candidate = basename(candidate.replace(/\\/g, '/'));
  return isSafeName(candidate) ? candidate : 'download';
}

export const download: TaskModule = {
  type: 'io.kestra.plugin.core.http.Download',
  aliases: ['io.kestra.plugin.fs.http.Download'],
  async run(ctx) {
    const call = httpCall(ctx);
    const failOnEmpty = ctx.render(ctx.task.failOnEmptyResponse ?? true, 'failOnEmptyResponse');
    const { response, chunks } = await send(call, ctx.signal);
    if (response.status >= 400 && !call.allowFailed) {
      await response.body?.cancel();
      throw failedStatus(response.status, call.uri);
    }
    const name = fileName(ctx.renderString('saveAs'), response, call.uri);
    const path = join(await ctx.workingDirectory(), `download-${name}`);
    let length = 0;
    const counted = async function* () {
      for await (const chunk of chunks()) {
        length += chunk.length;
        yield chunk;
      }
    };
    await pipeline(Readable.from(counted()), createWriteStream(path, { mode: 0o600 }));
    if (length === 0 && failOnEmpty !== false && failOnEmpty !== 'false') {
      throw new RoostError(
        'ROOST_TASK_FAILED',
        `${call.uri} answered with an empty body (failOnEmptyResponse)`,
      );
    }
    const uri = await ctx.files.upload(path, name);
    return {
      outputs: { uri, code: response.status, length, headers: headerLists(response.headers) },
    };
  },
};
