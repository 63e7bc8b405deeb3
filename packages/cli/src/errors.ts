/**
 * The CLI's one error type: bad usage or bad input. `run` prints it as one line, `twofa: <message>`, and
 * exits 2. Messages name the flag or source at fault and never contain a secret or a code.
 */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}
