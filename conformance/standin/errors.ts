/** Why the stand-in could not start or run. Stable codes, as in conformance/errors.ts. */
export type StandinErrorCode =
  | 'S_SEED' // the seed file is missing or invalid
  | 'S_DATA_FILE' // the state file cannot be read or is not ours
  | 'S_TLS' // the test certificate cannot be read
  | 'S_USAGE' // bad options or command-line arguments
  | 'S_UNKNOWN_USER'; // mintTokens() for a user that does not exist

export class StandinError extends Error {
  override readonly name = 'StandinError';
  constructor(
    readonly code: StandinErrorCode,
    message: string,
  ) {
    super(message);
  }
}
