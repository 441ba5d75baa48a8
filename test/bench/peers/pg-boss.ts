// The pg-boss peer: one worker (batch of 1) whose no-op job sends the next job of its chain and then
// notifies its own worker (pg-boss's way past its polling interval, at least 0.5 s; pg-boss has no
// LISTEN/NOTIFY). A chain's time runs from the first job's created_on to the last one's completed_on,
// both from pg-boss's own job table.
import PgBoss from 'pg-boss';
import type { ChainPayload, Peer } from './chain.ts';

const QUEUE = 'step';

export async function startPgBoss(connectionString: string): Promise<Peer> {
  const boss = new PgBoss({ connectionString, schedule: false, supervise: false });
  boss.on('error', (error) => console.error(`pg-boss error: ${error.message}`));
  await boss.start();
  await boss.createQueue(QUEUE);
  let waiting: { chain: string; done: () => void } | undefined;
  const workerId = await boss.work<ChainPayload>(
    QUEUE,
    { batchSize: 1, pollingIntervalSeconds: 0.5 },
    async ([job]) => {
      const { chain, n, total } = job!.data;
      if (n < total) {
        await boss.send(QUEUE, { chain, n: n + 1, total } satisfies ChainPayload);
        boss.notifyWorker(workerId);
      } else if (waiting?.chain === chain) waiting.done();
    },
  );
  const db = boss.getDb();
  /** the chain's first created_on and last completed_on, once the last job's completion committed */
  async function chainDates(chain: string, total: number): Promise<[Date, Date]> {
    for (;;) {
      const { rows } = (await db.executeSql(
        `select min(created_on) filter (where (data->>'n')::int = 1) as first,
                max(completed_on) filter (where (data->>'n')::int = $2) as last
           from pgboss.job where name = $3 and data->>'chain' = $1`,
        [chain, total, QUEUE],
      )) as { rows: { first: Date | null; last: Date | null }[] };
      const [row] = rows;
      if (row?.first && row.last) return [row.first, row.last];
      // the worker completes a job just after its handler returns, without waiting: a few ms at most
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  return {
    async runChain(chain, total) {
      const handled = new Promise<void>((resolve) => {
        waiting = { chain, done: resolve };
      });
      await boss.send(QUEUE, { chain, n: 1, total } satisfies ChainPayload);
      boss.notifyWorker(workerId);
      await handled;
      const [first, last] = await chainDates(chain, total);
      return last.getTime() - first.getTime();
    },
    stop: () => boss.stop({ graceful: true, wait: true }),
  };
}
