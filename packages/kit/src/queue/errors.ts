/**
 * Thrown by a job handler when retrying cannot help (the input can never be
 * processed): the item goes to the dead list at once with this message.
 */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}
