/** A spec field that names a stored input (a sample set, a row, a structure) the run cannot use. */
export class StoredInputError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}
