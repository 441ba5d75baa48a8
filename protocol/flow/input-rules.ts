// The rules an input declaration must follow beyond its shape: unique ids, a validator that compiles,
// item types that make sense, values to choose from, defaults that pass the input's own rules, and
// `dependsOn` naming declared inputs without a cycle. Applies to flow inputs and Pause `onResume`.
import { coerceInputValue } from './input-values.ts';
import { type DocumentPath, formatPath, type IssueCollector } from './issues.ts';
import { checkUniqueIds, findCycle } from './rules.ts';
import { isExpression } from './schema-common.ts';
import { PAUSE } from './types-flowable.ts';
import { type DocumentObject, isDocumentObject, walkTaskTree } from './walk.ts';

export function checkInputs(document: DocumentObject, issues: IssueCollector): void {
  checkInputList(document.inputs, ['inputs'], issues);
  for (const { task, path, info } of walkTaskTree(document)) {
    if (info?.type === PAUSE.type) checkInputList(task.onResume, [...path, 'onResume'], issues);
  }
}

function checkInputList(list: unknown, path: DocumentPath, issues: IssueCollector): void {
  if (!Array.isArray(list)) return;
  const inputs = [...list.entries()].flatMap(([index, input]) =>
    isDocumentObject(input) ? [{ object: input, path: [...path, index] }] : [],
  );
  checkUniqueIds(issues, 'ROOST_FLOW_INVALID', 'input', inputs);
  for (const { object, path: at } of inputs) checkInput(object, at, issues);
  checkDependencies(inputs, issues);
}

function checkInput(input: DocumentObject, path: DocumentPath, issues: IssueCollector): void {
  const where = formatPath(path);
  const problem = (property: string, message: string) =>
    issues.add('ROOST_FLOW_INVALID', [...path, property], `${where}.${property}: ${message}`);
  const type = input.type;
  if (typeof input.validator === 'string') {
    try {
      new RegExp(input.validator);
    } catch (error) {
      problem('validator', `not a valid regular expression (${(error as Error).message})`);
    }
  }
  if (type === 'ARRAY' && input.itemType === 'ARRAY')
    problem('itemType', 'an ARRAY input cannot hold arrays');
  if (type === 'MULTISELECT' && (input.itemType === 'ARRAY' || input.itemType === 'MULTISELECT')) {
    problem('itemType', `a MULTISELECT input cannot hold ${String(input.itemType)} items`);
  }
  if (type === 'MULTISELECT' && input.values !== undefined && input.options !== undefined) {
    problem('options', "give 'values' or the older 'options', not both");
  }
  const choices = input.values ?? (type === 'MULTISELECT' ? input.options : undefined);
  if (
    (type === 'SELECT' || type === 'MULTISELECT') &&
    choices === undefined &&
    input.expression === undefined
  ) {
    issues.add(
      'ROOST_FLOW_INVALID',
      path,
      `${where}: a ${type} input needs 'values' (or an 'expression' rendering them)`,
    );
  }
  const defaults = input.defaults;
  if (defaults !== undefined && defaults !== null && !isExpression(defaults)) {
    const result = coerceInputValue(input, defaults);
    if (!result.ok)
      problem('defaults', `the default breaks the ${String(type)} input's rules: ${result.reason}`);
  }
}

/** `dependsOn.inputs` names inputs of the same list, and no input depends on itself through others. */
function checkDependencies(
  inputs: readonly { object: DocumentObject; path: DocumentPath }[],
  issues: IssueCollector,
) {
  const ids = new Set(
    inputs.map(({ object }) => object.id).filter((id): id is string => typeof id === 'string'),
  );
  const graph = new Map<string, string[]>();
  for (const { object, path } of inputs) {
    const dependsOn =
      isDocumentObject(object.dependsOn) && Array.isArray(object.dependsOn.inputs)
        ? object.dependsOn.inputs
        : [];
    const names = dependsOn.filter((name): name is string => typeof name === 'string');
    if (typeof object.id === 'string') graph.set(object.id, names);
    for (const [index, name] of dependsOn.entries()) {
      if (typeof name !== 'string' || ids.has(name)) continue;
      const at = [...path, 'dependsOn', 'inputs', index];
      issues.add('ROOST_FLOW_INVALID', at, `${formatPath(at)}: no input '${name}' is declared`);
    }
  }
  const cycle = findCycle(graph);
  const first = inputs[0];
  if (cycle && first) {
    const at = first.path.slice(0, -1);
    issues.add(
      'ROOST_FLOW_INVALID',
      at,
      `${formatPath(at)}: inputs depend on each other in a cycle: ${cycle.join(' -> ')}`,
    );
  }
}
