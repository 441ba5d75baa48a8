// Worker group membership: which groups an agent's labels put it in. Pure.

/** A declared worker group: all selector labels must match; a value of `*` matches any value. */
export interface WorkerGroupSelector {
  key: string;
  selector: Record<string, string>;
}

export interface Membership {
  groups: string[];
  /** the default group: agents without a `group` label */
  inDefaultGroup: boolean;
}

/** Whether a member of `membership` may run a job of `group` (null: the default group). */
export function inGroup(membership: Membership, group: string | null): boolean {
  return group === null ? membership.inDefaultGroup : membership.groups.includes(group);
}

export function selectorMatches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => k in labels && (v === '*' || labels[k] === v));
}

/**
 * The groups an agent belongs to: every declared group whose selector matches its labels, plus the
 * undeclared key named by its `group` label (a key with no declared group means `{group: key}`).
 */
export function membershipOf(
  labels: Record<string, string>,
  declared: readonly WorkerGroupSelector[],
): Membership {
  const groups = new Set<string>();
  for (const group of declared) if (selectorMatches(group.selector, labels)) groups.add(group.key);
  const own = labels.group;
  if (own !== undefined && !declared.some((g) => g.key === own)) groups.add(own);
  return { groups: [...groups], inDefaultGroup: own === undefined };
}
