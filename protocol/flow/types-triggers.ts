// Trigger and condition types: schemas only, until the scheduler lands.
import { Type } from '@sinclair/typebox';
import { ALL_STATES } from '../states.ts';
import { AnyMap, ConditionRef, Duration, Labels, StringList } from './schema-common.ts';
import { conditionType, triggerType } from './task-type.ts';

const trigger = (name: string) => `io.kestra.plugin.core.trigger.${name}`;
const oldTrigger = (name: string) => `io.kestra.core.models.triggers.types.${name}`;
const condition = (name: string) => `io.kestra.plugin.core.condition.${name}`;
/** Kestra renamed its conditions twice: `...models.conditions.types.XCondition`, then `...core.condition.XCondition`. */
const renamed = (name: string, oldName = `${name}Condition`) => ({
  aliases: [`io.kestra.core.models.conditions.types.${oldName}`, condition(oldName)],
});

const StateName = Type.Union(ALL_STATES.map((state) => Type.Literal(state)));
const Strict = { additionalProperties: false } as const;

const SCHEDULE = triggerType(
  trigger('Schedule'),
  {
    cron: Type.String({ minLength: 1 }),
    withSeconds: Type.Optional(Type.Boolean()),
    timezone: Type.Optional(Type.String()),
    inputs: Type.Optional(AnyMap),
    backfill: Type.Optional(
      Type.Object(
        {
          start: Type.Optional(Type.String()),
          end: Type.Optional(Type.String()),
          labels: Type.Optional(Labels),
          inputs: Type.Optional(AnyMap),
        },
        Strict,
      ),
    ),
    lateMaximumDelay: Type.Optional(Duration),
    recoverMissedSchedules: Type.Optional(
      Type.Union([Type.Literal('ALL'), Type.Literal('LAST'), Type.Literal('NONE')]),
    ),
    scheduleConditions: Type.Optional(Type.Array(ConditionRef)),
    labels: Type.Optional(Labels),
  },
  { aliases: [oldTrigger('Schedule')] },
  [{ property: 'scheduleConditions', shape: 'list' }],
);

const Precondition = Type.Object(
  {
    id: Type.Optional(Type.String()),
    flows: Type.Optional(
      Type.Array(
        Type.Object(
          {
            namespace: Type.String(),
            flowId: Type.String(),
            states: Type.Optional(Type.Array(StateName)),
            labels: Type.Optional(Labels),
          },
          Strict,
        ),
      ),
    ),
    where: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Type.String(),
            operand: Type.Optional(Type.Union([Type.Literal('AND'), Type.Literal('OR')])),
            filters: Type.Array(
              Type.Object(
                {
                  field: Type.String(),
                  type: Type.String(),
                  value: Type.Optional(Type.String()),
                  values: Type.Optional(StringList),
                },
                Strict,
              ),
            ),
          },
          Strict,
        ),
      ),
    ),
    timeWindow: Type.Optional(AnyMap),
    resetOnSuccess: Type.Optional(Type.Boolean()),
  },
  Strict,
);

const FLOW_TRIGGER = triggerType(
  trigger('Flow'),
  {
    inputs: Type.Optional(AnyMap),
    states: Type.Optional(Type.Array(StateName)),
    preconditions: Type.Optional(Precondition),
    labels: Type.Optional(Labels),
  },
  { aliases: [oldTrigger('Flow')] },
);

const WEBHOOK = triggerType(
  trigger('Webhook'),
  {
    key: Type.String({ minLength: 1 }),
    inputs: Type.Optional(AnyMap),
    wait: Type.Optional(Type.Boolean()),
    returnOutputs: Type.Optional(Type.Boolean()),
    labels: Type.Optional(Labels),
  },
  { aliases: [oldTrigger('Webhook')] },
);

export const TRIGGER_TYPES = [SCHEDULE, FLOW_TRIGGER, WEBHOOK];

const flowMatch = { namespace: Type.String({ minLength: 1 }), flowId: Type.String({ minLength: 1 }) };

export const CONDITION_TYPES = [
  conditionType(
    condition('ExecutionStatus'),
    { in: Type.Optional(Type.Array(StateName)), notIn: Type.Optional(Type.Array(StateName)) },
    renamed('ExecutionStatus'),
  ),
  conditionType(condition('ExecutionFlow'), flowMatch, renamed('ExecutionFlow')),
  conditionType(
    condition('ExecutionNamespace'),
    {
      namespace: Type.String({ minLength: 1 }),
      comparison: Type.Optional(
        Type.Union([Type.Literal('EQUALS'), Type.Literal('PREFIX'), Type.Literal('SUFFIX')]),
      ),
      prefix: Type.Optional(Type.Boolean()),
    },
    renamed('ExecutionNamespace'),
  ),
  conditionType(
    condition('Expression'),
    { expression: Type.String({ minLength: 1 }) },
    {
      aliases: ['io.kestra.core.models.conditions.types.VariableCondition', condition('ExpressionCondition')],
    },
  ),
  conditionType(condition('ExecutionLabels'), { labels: Labels }, renamed('ExecutionLabels')),
  conditionType(
    condition('MultipleCondition'),
    {
      id: Type.String({ minLength: 1 }),
      window: Type.Optional(Duration),
      windowAdvance: Type.Optional(Duration),
      timeWindow: Type.Optional(AnyMap),
      resetOnSuccess: Type.Optional(Type.Boolean()),
      conditions: Type.Record(Type.String(), ConditionRef),
    },
    { aliases: ['io.kestra.core.models.conditions.types.MultipleCondition'], deprecated: true },
    [{ property: 'conditions', shape: 'map' }],
  ),
  conditionType(condition('Not'), { conditions: Type.Array(ConditionRef, { minItems: 1 }) }, renamed('Not'), [
    { property: 'conditions', shape: 'list' },
  ]),
  conditionType(condition('Or'), { conditions: Type.Array(ConditionRef, { minItems: 1 }) }, renamed('Or'), [
    { property: 'conditions', shape: 'list' },
  ]),
];
