// Runnable task types: each becomes a job that an agent runs.
import { Type } from '@sinclair/typebox';
import { LogLevel } from '../messages.ts';
import {
  AnyMap,
  Duration,
  Dynamic,
  Expression,
  InputFiles,
  Label,
  NamespaceFiles,
  StringList,
  StringMap,
} from './schema-common.ts';
import { runnableType, TypeStatus } from './task-type.ts';

const core = (path: string) => `io.kestra.plugin.core.${path}`;
const old = (path: string) => `io.kestra.core.tasks.${path}`;

export const LOG = runnableType(
  core('log.Log'),
  { message: Type.Union([Type.String(), StringList]), level: Type.Optional(Dynamic(LogLevel)) },
  { aliases: [old('log.Log')], status: TypeStatus.READY },
);

export const RETURN = runnableType(
  core('debug.Return'),
  { format: Type.Optional(Type.String()) },
  { aliases: [old('debugs.Return')], status: TypeStatus.READY },
);

export const OUTPUT_VALUES = runnableType(
  core('output.OutputValues'),
  { values: Type.Optional(Dynamic(AnyMap)) },
  { status: TypeStatus.READY },
);

const ECHO = runnableType(
  core('debug.Echo'),
  { format: Type.String(), level: Type.Optional(Dynamic(LogLevel)) },
  { aliases: [old('debugs.Echo')], deprecated: true, status: TypeStatus.READY },
);

const FAIL = runnableType(
  core('execution.Fail'),
  {
    condition: Type.Optional(Type.Union([Type.String(), Type.Boolean()])),
    errorMessage: Type.Optional(Type.String()),
  },
  { aliases: [old('executions.Fail')], status: TypeStatus.READY },
);

const LABELS = runnableType(
  core('execution.Labels'),
  { labels: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Array(Label), Expression]) },
  { aliases: [old('executions.Labels')], status: TypeStatus.READY },
);

const RESUME = runnableType(core('execution.Resume'), {
  executionId: Type.Optional(Type.String()),
  namespace: Type.Optional(Type.String()),
  flowId: Type.Optional(Type.String()),
  inputs: Type.Optional(AnyMap),
});

/**
 * Kestra runs Sleep on a worker, so it is runnable (and allowed inside WorkingDirectory); Roost's executor
 * resolves it with a durable timer.
 */
const SLEEP = runnableType(core('flow.Sleep'), { duration: Duration }, { status: TypeStatus.READY });

const FETCH = runnableType(
  core('log.Fetch'),
  {
    namespace: Type.Optional(Type.String()),
    flowId: Type.Optional(Type.String()),
    executionId: Type.Optional(Type.String()),
    tasksId: Type.Optional(StringList),
    level: Type.Optional(Dynamic(LogLevel)),
  },
  { aliases: [old('log.Fetch')] },
);

/** The state tasks, deprecated by Kestra in favour of the KV store. */
const stateProps = {
  name: Type.Optional(Type.String()),
  namespace: Type.Optional(Type.Boolean()),
  taskrunValue: Type.Optional(Type.Boolean()),
};
const STATE_GET = runnableType(
  core('state.Get'),
  { ...stateProps, errorOnMissing: Type.Optional(Type.Boolean()) },
  { aliases: [old('states.Get')], deprecated: true },
);
const STATE_SET = runnableType(
  core('state.Set'),
  { ...stateProps, data: Dynamic(AnyMap) },
  { aliases: [old('states.Set')], deprecated: true },
);
const STATE_DELETE = runnableType(
  core('state.Delete'),
  { ...stateProps, errorOnMissing: Type.Optional(Type.Boolean()) },
  { aliases: [old('states.Delete')], deprecated: true },
);

const LOCAL_FILES = runnableType(
  core('storage.LocalFiles'),
  { inputs: Type.Optional(InputFiles), outputs: Type.Optional(StringList) },
  { aliases: [old('storages.LocalFiles')], deprecated: true },
);

const TOGGLE = runnableType(
  core('trigger.Toggle'),
  {
    namespace: Type.Optional(Type.String()),
    flowId: Type.Optional(Type.String()),
    trigger: Type.String({ minLength: 1 }),
    enabled: Type.Optional(Dynamic(Type.Boolean())),
  },
  { aliases: [old('trigger.Toggle')] },
);

const httpProps = {
  uri: Type.String({ minLength: 1 }),
  method: Type.Optional(Type.String()),
  body: Type.Optional(Type.String()),
  formData: Type.Optional(AnyMap),
  contentType: Type.Optional(Type.String()),
  headers: Type.Optional(Dynamic(StringMap)),
  options: Type.Optional(AnyMap),
  sslOptions: Type.Optional(AnyMap),
  auth: Type.Optional(AnyMap),
};
const HTTP_REQUEST = runnableType(
  core('http.Request'),
  {
    ...httpProps,
    allowFailed: Type.Optional(Type.Boolean()),
    encryptBody: Type.Optional(Dynamic(Type.Boolean())),
  },
  { aliases: ['io.kestra.plugin.fs.http.Request'], status: TypeStatus.READY },
);
const HTTP_DOWNLOAD = runnableType(
  core('http.Download'),
  {
    ...httpProps,
    failOnEmptyResponse: Type.Optional(Dynamic(Type.Boolean())),
    saveAs: Type.Optional(Type.String()),
  },
  { aliases: ['io.kestra.plugin.fs.http.Download'], status: TypeStatus.READY },
);

/** What every script task of io.kestra.plugin.scripts takes. */
const scriptProps = {
  env: Type.Optional(Dynamic(StringMap)),
  inputFiles: Type.Optional(InputFiles),
  outputFiles: Type.Optional(Dynamic(StringList)),
  beforeCommands: Type.Optional(Dynamic(StringList)),
  interpreter: Type.Optional(Dynamic(StringList)),
  namespaceFiles: Type.Optional(NamespaceFiles),
  taskRunner: Type.Optional(AnyMap),
  containerImage: Type.Optional(Type.String()),
  targetOS: Type.Optional(Type.Union([Type.Literal('LINUX'), Type.Literal('WINDOWS'), Type.Literal('AUTO')])),
  failFast: Type.Optional(Dynamic(Type.Boolean())),
  warningOnStdErr: Type.Optional(Type.Boolean()),
  outputDirectory: Type.Optional(Type.Boolean()),
  docker: Type.Optional(AnyMap),
  runner: Type.Optional(Type.Union([Type.Literal('PROCESS'), Type.Literal('DOCKER')])),
};
const commands = { commands: Dynamic(Type.Array(Type.String(), { minItems: 1 })) };
const script = { script: Type.String({ minLength: 1 }) };
const python = {
  dependencies: Type.Optional(Dynamic(StringList)),
  pythonVersion: Type.Optional(Type.String()),
  dependencyCacheEnabled: Type.Optional(Type.Boolean()),
};
const ready = { status: TypeStatus.READY };
const scripts = (path: string) => `io.kestra.plugin.scripts.${path}`;

export const SHELL_COMMANDS = runnableType(
  scripts('shell.Commands'),
  { ...scriptProps, ...commands },
  { status: TypeStatus.READY },
);

export const RUNNABLE_TYPES = [
  LOG,
  RETURN,
  OUTPUT_VALUES,
  ECHO,
  FAIL,
  LABELS,
  RESUME,
  SLEEP,
  FETCH,
  STATE_GET,
  STATE_SET,
  STATE_DELETE,
  LOCAL_FILES,
  TOGGLE,
  HTTP_REQUEST,
  HTTP_DOWNLOAD,
  SHELL_COMMANDS,
  runnableType(scripts('shell.Script'), { ...scriptProps, ...script }, { status: TypeStatus.READY }),
  runnableType(scripts('python.Script'), { ...scriptProps, ...python, ...script }, ready),
  runnableType(scripts('python.Commands'), { ...scriptProps, ...python, ...commands }, ready),
  runnableType(scripts('node.Script'), { ...scriptProps, ...script }, ready),
  runnableType(scripts('node.Commands'), { ...scriptProps, ...commands }, ready),
];
