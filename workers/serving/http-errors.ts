/**
 * Every error the serving worker returns has one JSON shape, { error: { code, message, field? } },
 * and every 4xx names what was wrong and how to fix it. Fastify's own request errors (bad JSON,
 * wrong content type, oversized body) are translated into that shape too.
 */
import { ScoringInputError } from '../../scoring/onnx-model';

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}

const FASTIFY_REQUEST_ERRORS: Record<string, { code: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'invalid_json',
    // The parser refuses prototype-poisoning keys with the same error as a syntax error.
    message: 'the request body is not valid JSON, or holds a "__proto__" or "constructor.prototype" key, which is refused: send a JSON object such as {"features": {...}}',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'invalid_json',
    message: 'the request body is empty: send a JSON object such as {"features": {...}}',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    message: 'the request body must be JSON: send the header Content-Type: application/json',
  },
  FST_ERR_BAD_URL: {
    code: 'invalid_url',
    message: 'the URL is not valid (a malformed percent-encoding): encode the model name with encodeURIComponent, e.g. POST /v1/models/<name>/predict',
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: 'invalid_url',
    message: 'a URL part is longer than allowed: model names have at most 64 characters',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'body_too_large',
    message: 'the request body is too large: send at most 1,000 instances per request',
  },
};

/** Maps anything a handler or Fastify threw to a status and body; status 500 means "our fault, see the log". */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof ScoringInputError) {
    // A value the model's own inputs cannot take (e.g. null for an int64 input): still the client's data.
    return new HttpError(400, 'invalid_feature', error.message, error.feature);
  }
  const e = error as { statusCode?: number; code?: string; message?: string };
  const known = e.code ? FASTIFY_REQUEST_ERRORS[e.code] : undefined;
  if (known) return new HttpError(e.statusCode ?? 400, known.code, known.message);
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new HttpError(e.statusCode, 'bad_request', e.message ?? 'bad request');
  }
  return new HttpError(500, 'internal', 'internal error while serving the request: the worker log has the details');
}
