/**
 * The two ways scoring can refuse: the model itself is unusable (ModelLoadError, raised once when
 * loading) or one request carries a value the model cannot take (ScoringInputError, raised per
 * call). Callers map the first to "fix the artifact" and the second to a 4xx for the client.
 */

export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

export class ScoringInputError extends Error {
  override name = 'ScoringInputError';
  constructor(
    message: string,
    readonly feature: string,
    readonly row: number | null,
  ) {
    super(message);
  }
}
