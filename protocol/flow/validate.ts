// From YAML source to a validated Flow: read the document, normalize what Kestra treats as the same
// (null properties, old names), check it, and report every problem with its path, line and column.
import { checkInputs } from './input-rules.ts';
import { type FlowIssue, IssueCollector, issuesToError } from './issues.ts';
import { checkRules } from './rules.ts';
import { type Flow, FlowDocumentSchema, type PluginDefault } from './schema-flow.ts';
import { checkSchema } from './schema-issues.ts';
import { checkStructure } from './structure.ts';
import { PAUSE } from './types-flowable.ts';
import { type DocumentObject, isDocumentObject, walkTaskTree } from './walk.ts';
import { loadFlowSource } from './yaml-source.ts';

export interface FlowSourceOptions {
  /** refuse larger sources with ROOST_PAYLOAD_TOO_LARGE (default 1 MiB) */
  maxBytes?: number;
  /** accept task and trigger types Roost does not run yet (their structure is still checked) */
  allowPlanned?: boolean;
}

export interface FlowValidation {
  /** present only when there is no problem */
  flow?: Flow;
  errors: FlowIssue[];
}

/** Every problem of a flow source, in document order. Never throws. */
export function validateFlowSource(source: string, options: FlowSourceOptions = {}): FlowValidation {
  try {
    const loaded = loadFlowSource(source, options.maxBytes);
    if (!loaded.ok) return { errors: [loaded.issue] };
    const document = normalize(loaded.value);
    const issues = new IssueCollector(loaded.locate);
    const allowPlanned = options.allowPlanned ?? false;
    checkSchema(FlowDocumentSchema, document, [], issues, { subject: 'the flow' });
    const pluginDefaults = defaultsReadable(document) ? allDefaults(document) : [];
    checkStructure(document, issues, { allowPlanned, pluginDefaults });
    checkInputs(document, issues);
    checkRules(document, issues, { allowPlanned });
    if (!issues.empty) return { errors: inDocumentOrder(issues.issues) };
    return { flow: finish(document), errors: [] };
  } catch (error) {
    const message = `flow validation failed unexpectedly: ${(error as Error).message}`;
    return { errors: [{ code: 'ROOST_INTERNAL', message, path: '(root)' }] };
  }
}

/** The flow a source describes; throws a RoostError naming the first problem, all of them in `details.issues`. */
export function parseFlow(source: string, options: FlowSourceOptions = {}): Flow {
  const { flow, errors } = validateFlowSource(source, options);
  if (flow) return flow;
  throw issuesToError(errors);
}

/** Kestra reads a property set to null as absent, and an input's old `name` as its `id`. */
function normalize(document: DocumentObject): DocumentObject {
  dropNulls(document);
  for (const list of ['inputs', 'outputs', 'triggers', 'listeners', 'pluginDefaults', 'taskDefaults']) {
    const items = document[list];
    if (Array.isArray(items)) for (const item of items) if (isDocumentObject(item)) dropNulls(item);
  }
  normalizeInputs(document.inputs);
  for (const { task, info } of walkTaskTree(document)) {
    dropNulls(task);
    if (info?.type === PAUSE.type) normalizeInputs(task.onResume);
  }
  return document;
}

function dropNulls(object: DocumentObject): void {
  for (const [key, value] of Object.entries(object)) if (value === null) delete object[key];
}

function normalizeInputs(inputs: unknown): void {
  if (!Array.isArray(inputs)) return;
  for (const input of inputs) {
    if (!isDocumentObject(input)) continue;
    dropNulls(input);
    if (typeof input.name !== 'string') continue;
    if (input.id === undefined) input.id = input.name;
    delete input.name;
  }
}

function defaultsReadable(document: DocumentObject): boolean {
  const readable = (list: unknown) =>
    list === undefined ||
    (Array.isArray(list) &&
      list.every(
        (item) => isDocumentObject(item) && typeof item.type === 'string' && isDocumentObject(item.values),
      ));
  return readable(document.pluginDefaults) && readable(document.taskDefaults);
}

function allDefaults(document: DocumentObject): PluginDefault[] {
  const list = (value: unknown) => (Array.isArray(value) ? (value as PluginDefault[]) : []);
  return [...list(document.pluginDefaults), ...list(document.taskDefaults)];
}

/** The old `taskDefaults` joins `pluginDefaults` (after it); `revision` belongs to the server. */
function finish(document: DocumentObject): Flow {
  const defaults = allDefaults(document);
  const flow: DocumentObject = { ...document };
  delete flow.taskDefaults;
  delete flow.revision;
  if (defaults.length > 0) flow.pluginDefaults = defaults;
  return flow as Flow;
}

function inDocumentOrder(issues: readonly FlowIssue[]): FlowIssue[] {
  const key = (issue: FlowIssue) => (issue.line ?? Number.MAX_SAFE_INTEGER) * 1e6 + (issue.column ?? 0);
  return [...issues].sort((a, b) => key(a) - key(b));
}
