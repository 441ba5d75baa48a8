// A cache of prepared flow revisions; a revision never changes once stored, so entries never go stale.
import type { Flow } from '../../protocol/flow/index.ts';
import { RoostError } from '../../protocol/index.ts';
import type { Repository } from '../repository/index.ts';
import { EMPTY_HOST, type RenderHost } from './host.ts';
import { type FlowPlan, planFlow } from './plan.ts';

export class FlowPlans {
  private readonly plans = new Map<string, FlowPlan>();

  constructor(
    private readonly host: RenderHost = EMPTY_HOST,
    private readonly capacity = 1000,
  ) {}

  async get(repository: Repository, namespace: string, flowId: string, revision: number): Promise<FlowPlan> {
    const key = `${namespace}\u0000${flowId}\u0000${revision}`;
    const cached = this.plans.get(key);
    if (cached) return cached;
    const row = await repository.flows.revision(namespace, flowId, revision);
    if (!row)
      throw new RoostError(
        'ROOST_NOT_FOUND',
        `flow ${namespace}.${flowId} revision ${revision} does not exist`,
      );
    const plan = planFlow(row.document as Flow, revision, this.host);
    if (this.plans.size >= this.capacity) this.plans.delete(this.plans.keys().next().value!);
    this.plans.set(key, plan);
    return plan;
  }
}
