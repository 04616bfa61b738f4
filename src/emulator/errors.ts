// The emulator's error type: a status plus billwerk's `{"Message":…}` body (README.md "Errors").
// Route code throws these; the HTTP layer turns them into responses in one place (http/server.ts).
import type { ErrorBody } from '../billwerk/dto.js';

export class EmulatorError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Order-level domain errors carry ErrorCode/ErrorMessage beside Message (resources.md "Orders"). */
    readonly extra: Pick<ErrorBody, 'ErrorCode' | 'ErrorMessage'> = {},
  ) {
    super(message);
    this.name = 'EmulatorError';
  }

  get body(): ErrorBody {
    return { Message: this.message, ...this.extra };
  }
}

export function badRequest(message: string): EmulatorError {
  return new EmulatorError(400, message);
}

export function unauthorized(message: string): EmulatorError {
  return new EmulatorError(401, message);
}

export function notFound(entity: string, id: string): EmulatorError {
  return new EmulatorError(404, `${entity} '${id}' was not found`);
}

export function preconditionFailed(message: string): EmulatorError {
  return new EmulatorError(412, message);
}

/** 422: invalid fields or a broken business rule. */
export function unprocessable(message: string, extra?: EmulatorError['extra']): EmulatorError {
  return new EmulatorError(422, message, extra);
}
