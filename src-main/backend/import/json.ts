import { ImportError } from './parse-error';

/**
 * Offset of the first JSON syntax error, by a minimal scanner of the JSON grammar. Node's (20 to 24)
 * JSON.parse reports a position for some errors only ("Unexpected token 'x', … is not valid JSON"
 * has none), and the line is what a user needs. −1 if the scanner finds no error.
 */
function syntaxErrorOffset(s: string): number {
  let i = 0;
  const num = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  const ws = (): void => {
    while (i < s.length && ' \t\n\r'.includes(s[i]!)) i++;
  };
  const expect = (c: string): void => {
    ws();
    if (s[i] !== c) throw i;
    i++;
  };
  const str = (): void => {
    expect('"');
    while (i < s.length && s[i] !== '"') {
      if (s.charCodeAt(i) < 0x20) throw i;
      if (s[i] !== '\\') i++;
      else if (s[i + 1] === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) i += 6;
      else if ('"\\/bfnrt'.includes(s[i + 1] ?? '?')) i += 2;
      else throw i;
    }
    if (i >= s.length) throw i;
    i++;
  };
  const list = (close: string, item: () => void): void => {
    i++;
    ws();
    if (s[i] === close) return void i++;
    for (;;) {
      item();
      ws();
      if (s[i] === close) return void i++;
      expect(',');
    }
  };
  const value = (): void => {
    ws();
    if (s[i] === '{') return list('}', () => (str(), expect(':'), value()));
    if (s[i] === '[') return list(']', value);
    if (s[i] === '"') return str();
    num.lastIndex = i;
    if (!num.test(s)) throw i;
    i = num.lastIndex;
  };
  try {
    value();
    ws();
    if (i < s.length) throw i;
  } catch (at) {
    if (typeof at === 'number') return at;
    throw at;
  }
  return -1;
}

const lineAt = (s: string, offset: number): number => s.slice(0, offset).split('\n').length;

/**
 * Configurations from JSON: `[x0, x1, …]` or `{"x": [x0, …]}` (one), or `[[…], […], …]` (several),
 * each of exactly `dim` finite numbers. A syntax error is an ImportError on the offending line.
 */
export function parseConfigurationJson(text: string, dim: number): { rows: Float64Array; n: number } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    const reported = /at position (\d+)/.exec(e.message);
    const at = reported ? Number(reported[1]) : syntaxErrorOffset(text);
    throw new ImportError(`invalid JSON: ${e.message}`, at >= 0 ? lineAt(text, at) : null);
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'x' in value) value = (value as { x: unknown }).x;
  if (!Array.isArray(value)) throw new ImportError('expected [numbers], {"x": [numbers]} or [[numbers], …]');
  const configs: unknown[][] = value.length > 0 && value.every(Array.isArray) ? value : [value];
  const rows = new Float64Array(configs.length * dim);
  configs.forEach((c, k) => {
    const which = configs.length > 1 ? `configuration ${k + 1}` : 'the configuration';
    if (c.length !== dim) throw new ImportError(`${which} has ${c.length} numbers; the system needs ${dim}`);
    c.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new ImportError(`${which}: element ${j} is not a number (${JSON.stringify(v)})`);
      rows[k * dim + j] = v;
    });
  });
  return { rows, n: configs.length };
}
