// The graphile-worker peer: one worker (concurrency 1, woken by LISTEN/NOTIFY) whose no-op job adds
// the next job of its chain. A chain's time runs from the first job's created_at (database clock) to
// the worker's `job:complete` event for the last one (this process's clock; same machine).
import { Logger, run } from 'graphile-worker';
import type { ChainPayload, Peer } from './chain.ts';

/** graphile-worker's log lines at warning and above only */
const logger = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') console.error(`graphile-worker ${level}: ${message}`);
});

export async function startGraphileWorker(connectionString: string): Promise<Peer> {
  let waiting: { chain: string; done: (at: number) => void } | undefined;
  const runner = await run({
    connectionString,
    concurrency: 1,
    noHandleSignals: true,
    // a safety net only: jobs are announced by NOTIFY
    pollInterval: 60_000,
    logger,
    taskList: {
      step: async (payload, helpers) => {
        const { chain, n, total } = payload as ChainPayload;
        if (n < total) await helpers.addJob('step', { chain, n: n + 1, total } satisfies ChainPayload);
      },
    },
  });
  runner.events.on('job:complete', ({ job, error }) => {
    const { chain, n, total } = job.payload as ChainPayload;
    if (error) console.error(`graphile-worker: job ${n} of chain ${chain} failed: ${error}`);
    else if (n === total && waiting?.chain === chain) waiting.done(Date.now());
  });
  return {
    async runChain(chain, total) {
      const done = new Promise<number>((resolve) => {
        waiting = { chain, done: resolve };
      });
      const first = await runner.addJob('step', { chain, n: 1, total } satisfies ChainPayload);
      const endAt = await done;
      return endAt - new Date(first.created_at).getTime();
    },
    stop: () => runner.stop(),
  };
}
