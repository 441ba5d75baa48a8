// Turns flow validation issues into one error that names the first problem and lists them all.
import type { FlowIssue } from '../../protocol/flow/index.ts';
import { RoostError } from '../../protocol/index.ts';

export function flowError(issues: FlowIssue[]): RoostError {
  const first = issues[0];
  if (!first) return new RoostError('ROOST_FLOW_INVALID', 'the flow is invalid');
  const message =
    issues.length > 1 ? `${first.message} (and ${issues.length - 1} more problems)` : first.message;
  return new RoostError(first.code, message, { details: { issues } });
}
