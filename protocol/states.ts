// Kestra's execution and task-run states, with the rules that order and classify them.

export const State = {
  CREATED: 'CREATED',
  QUEUED: 'QUEUED',
  RUNNING: 'RUNNING',
  PAUSED: 'PAUSED',
  RESTARTED: 'RESTARTED',
  KILLING: 'KILLING',
  RETRYING: 'RETRYING',
  SUCCESS: 'SUCCESS',
  WARNING: 'WARNING',
  FAILED: 'FAILED',
  KILLED: 'KILLED',
  CANCELLED: 'CANCELLED',
  RETRIED: 'RETRIED',
  SKIPPED: 'SKIPPED',
} as const;
export type State = (typeof State)[keyof typeof State];

export const ALL_STATES = Object.values(State);

const TERMINAL: ReadonlySet<State> = new Set<State>([
  State.SUCCESS,
  State.WARNING,
  State.FAILED,
  State.KILLED,
  State.CANCELLED,
  State.RETRIED,
  State.SKIPPED,
]);

export function isTerminal(state: State): boolean {
  return TERMINAL.has(state);
}

export function isFailure(state: State): boolean {
  return state === State.FAILED || state === State.KILLED || state === State.CANCELLED;
}

/** Severity used to fold children's states into a parent's: KILLED > FAILED > WARNING > PAUSED > SUCCESS. */
const SEVERITY: Partial<Record<State, number>> = {
  [State.SKIPPED]: 0,
  [State.SUCCESS]: 1,
  [State.PAUSED]: 2,
  [State.WARNING]: 3,
  [State.CANCELLED]: 4,
  [State.FAILED]: 5,
  [State.KILLED]: 6,
};

/** The worst of the given terminal states; SUCCESS for none. SKIPPED children count as SUCCESS. */
export function worstState(states: Iterable<State>): State {
  let worst: State = State.SUCCESS;
  for (const s of states) {
    if ((SEVERITY[s] ?? 0) > (SEVERITY[worst] ?? 0)) worst = s;
  }
  return worst;
}

/** Runnable task outcomes an agent may report. */
export const ResultState = {
  SUCCESS: State.SUCCESS,
  WARNING: State.WARNING,
  FAILED: State.FAILED,
  KILLED: State.KILLED,
} as const;
export type ResultState = (typeof ResultState)[keyof typeof ResultState];
