/** Why a training attempt failed; the training activity decides on retries from `kind`. */
export type TrainerErrorKind =
  | 'invalid_input' // bad data or parameters handed to the trainer: retrying cannot help
  | 'spawn' // the external command could not be started
  | 'exit' // the external command exited non-zero or died from a signal
  | 'timeout' // killed after timeoutMs
  | 'aborted' // killed because the caller's AbortSignal fired
  | 'invalid_output'; // the trainer finished but model.onnx / meta.json are missing or unusable

export class TrainerError extends Error {
  override name = 'TrainerError';
  constructor(
    readonly kind: TrainerErrorKind,
    message: string,
    /** `spawnCode`: the errno code of a command that could not start (ENOENT, EACCES, …). */
    readonly details: { exitCode?: number | null; signal?: string | null; stderrTail?: string[]; spawnCode?: string } = {},
  ) {
    super(message);
  }
}
