// The errors of managing event destinations; graphql/errors.ts maps each kind to its public code.
export type DestinationErrorKind = 'invalid' | 'not-found' | 'forbidden' | 'conflict';

/** A refusal written for the API's user: never holds a secret or a receiver's answer. */
export class DestinationError extends Error {
  constructor(
    readonly kind: DestinationErrorKind,
    message: string,
    /** The input field at fault, for `invalid`. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DestinationError';
  }
}
