// Changing an ended execution's labels: the body Kestra's API takes, and what is refused.
import { describe, expect, it } from 'vitest';
import { labelsRefusal, parseLabelList, withLabels } from '../../control-plane/executor/labels.ts';

describe('labels of an execution', () => {
  it('reads a list of {key, value} and adds or replaces those labels, keeping the others', () => {
    const parsed = parseLabelList([
      { key: 'env', value: 'prod' },
      { key: 'owner', value: 'ann' },
    ]);
    expect(parsed).toEqual({
      labels: [
        { key: 'env', value: 'prod' },
        { key: 'owner', value: 'ann' },
      ],
    });
    if ('error' in parsed) return;
    expect(withLabels({ env: 'dev', team: 'ops', 'system.restarted': 'true' }, parsed.labels)).toEqual({
      env: 'prod',
      team: 'ops',
      owner: 'ann',
      'system.restarted': 'true',
    });
  });

  it.each([
    [{ env: 'prod' }, 'send the labels as a JSON list of {"key": ..., "value": ...}'],
    [['env=prod'], 'labels[0] must be an object {"key": ..., "value": ...}'],
    [[{ value: 'x' }], 'labels[0].key must be a non-empty string'],
    [
      [
        { key: 'a', value: 'b' },
        { key: 'c', value: null },
      ],
      "labels[1].value of label 'c' must be a string",
    ],
    [
      [{ key: 'system.readOnly', value: 'false' }],
      "labels[0]: label 'system.readOnly' starts with 'system.': system labels are set by Roost itself",
    ],
  ])('refuses %j: %s', (body, error) => {
    expect(parseLabelList(body)).toEqual({ error });
  });

  it('changes labels only of an ended execution that is not read-only', () => {
    expect(labelsRefusal({ id: 'e1', state: 'SUCCESS', labels: {} })).toBeUndefined();
    expect(labelsRefusal({ id: 'e1', state: 'RUNNING', labels: {} })).toBe(
      'execution e1 is RUNNING: labels can be changed once the execution has ended',
    );
    expect(labelsRefusal({ id: 'e1', state: 'FAILED', labels: { 'system.readOnly': 'true' } })).toBe(
      'execution e1 is read-only (label system.readOnly)',
    );
  });
});
