// Internal storage: files of executions (FILE inputs, task output files) by kestra:/// URI.
export { LocalStorage } from './local.ts';
export type { Storage, StoredFile } from './storage.ts';
export {
  type ExecutionScope,
  executionSegments,
  fileNameOf,
  formatStorageUri,
  inputFileUri,
  isSafeSegment,
  isUnder,
  parseStorageUri,
  STORAGE_SCHEME,
  taskRunFileUri,
  taskRunSegments,
} from './uri.ts';
