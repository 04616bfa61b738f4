// The auth layer's typed errors; graphql/errors.ts maps them to UNAUTHENTICATED, FORBIDDEN and NOT_FOUND.
// Messages never contain the credentials presented.

/** No credentials (with anonymous access off), or credentials that are not valid (unknown, expired, forged). */
export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

/** A known caller asking for something its role does not allow. */
export class ForbiddenError extends Error {
  constructor(
    message: string,
    readonly requiredRoles?: readonly string[],
  ) {
    super(message);
    this.name = 'ForbiddenError';
  }
}

/** An entity outside the caller's scope: reported exactly as a missing one, so nothing leaks its existence. */
export class OutOfScopeError extends Error {
  constructor(
    readonly type: string,
    readonly id: string,
  ) {
    super(`${type} ${id} was not found.`);
    this.name = 'OutOfScopeError';
  }
}
