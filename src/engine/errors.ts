/** Bad user input (missing file, unknown model, malformed checkpoint). The CLI maps it to exit code 2. */
export class UserError extends Error {
  override name = 'UserError';
}
