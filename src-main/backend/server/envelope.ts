import type { z } from 'zod';
import { ApiError, HTTP_STATUS, type ErrorEnvelope } from '../../../contract/api';
import { formatPath } from '../../../contract/run-spec';

/** Every failure leaves the server as `{ error: { code, message, issues? } }` with the code's status. */

export interface ErrorReply {
  readonly status: number;
  readonly body: ErrorEnvelope;
}

/** A zod failure as the 422 error: `name: a name is required; spec.seed: ...`. */
export function invalidInput(error: z.ZodError): ApiError {
  // formatPath names the root `spec` (it serves run specs); here the root is the whole call input.
  const issues = error.issues.map((i) => ({ path: i.path.length ? formatPath(i.path) : 'input', message: i.message }));
  return new ApiError('invalid_input', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

/** ApiError keeps its code; fastify's own 4xx (bad JSON, wrong content type, too large) become bad_request or not_found; anything else is internal. */
export function errorReply(err: unknown): ErrorReply {
  const apiError = toApiError(err);
  const { code, message, issues } = apiError;
  return { status: HTTP_STATUS[code], body: { error: issues ? { code, message, issues } : { code, message } } };
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof status === 'number' && status >= 400 && status < 500) return new ApiError(status === 404 ? 'not_found' : 'bad_request', message);
  // Unexpected: the message goes to the client, the stack to stderr (fastify's logger is off).
  process.stderr.write(`bgw api: internal error: ${err instanceof Error ? (err.stack ?? message) : message}\n`);
  return new ApiError('internal', message);
}
