// The registry of every filter, by the name templates use.
import type { FilterDef } from '../callables.ts';
import { COLLECTION_FILTERS } from './collections.ts';
import { DATE_FILTERS } from './dates.ts';
import { ENCODING_FILTERS } from './encoding.ts';
import { NUMBER_FILTERS } from './numbers.ts';
import { STRING_FILTERS } from './strings.ts';
import { STRUCTURED_FILTERS } from './structured.ts';

/** `default` is evaluated by the evaluator itself (its input may be undefined); it is listed for its parameters. */
const DEFAULT_FILTER: FilterDef = { params: ['default'], apply: (input) => input };

export const FILTERS: ReadonlyMap<string, FilterDef> = new Map(
  Object.entries({
    ...STRING_FILTERS,
    ...COLLECTION_FILTERS,
    ...NUMBER_FILTERS,
    ...ENCODING_FILTERS,
    ...STRUCTURED_FILTERS,
    ...DATE_FILTERS,
    default: DEFAULT_FILTER,
  }),
);
