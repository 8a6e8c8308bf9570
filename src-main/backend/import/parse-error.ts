/**
 * A file the user imports is malformed. `line` is the 1-based line of the fault (null when the
 * fault is not tied to one line); the message starts with "line N: " so it can be shown as is.
 */
export class ImportError extends Error {
  readonly line: number | null;

  constructor(message: string, line: number | null = null) {
    super(line === null ? message : `line ${line}: ${message}`);
    this.name = 'ImportError';
    this.line = line;
  }
}

/**
 * A decimal number (optional sign, fraction, exponent) or NaN. Stricter than Number(): '' and
 * blanks, hex, '1_0', 'Infinity' are not coordinates.
 */
export function parseDecimal(text: string): number {
  const t = text.trim();
  return /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
}
