// How the pure decision sees other flows (the ones subflows start): a lookup that answers from what the
// executor loaded, and asks for the rest by throwing FlowNeeded; the executor loads it and decides again.
import type { Flow } from '../../../protocol/flow/index.ts';

/** A stored revision of a flow. */
export interface StoredFlow {
  namespace: string;
  flowId: string;
  revision: number;
  flow: Flow;
}

/** The flow (its latest live revision, or `revision`); null when it does not exist. May throw FlowNeeded. */
export type FlowLookup = (namespace: string, flowId: string, revision?: number) => StoredFlow | null;

/** Thrown by a lookup that has not loaded this flow yet. */
export class FlowNeeded extends Error {
  constructor(
    readonly namespace: string,
    readonly flowId: string,
    readonly revision: number | undefined,
  ) {
    super(`flow ${namespace}.${flowId} is not loaded`);
  }
}

export const flowKey = (namespace: string, flowId: string, revision?: number) =>
  `${namespace}\u0000${flowId}\u0000${revision ?? 'latest'}`;

/** A lookup over flows loaded so far (null: known to be missing); throws FlowNeeded for the others. */
export function loadedFlows(loaded: ReadonlyMap<string, StoredFlow | null>): FlowLookup {
  return (namespace, flowId, revision) => {
    const found = loaded.get(flowKey(namespace, flowId, revision));
    if (found === undefined) throw new FlowNeeded(namespace, flowId, revision);
    return found;
  };
}
