/** A problem with what the user gave us (spec, paths, flags): exit code 2, one line. */
export class UsageError extends Error {
  override name = 'UsageError';
}
