// The end of an exhaustive switch over a union: a new member fails to compile until it is handled.

export function unreachable(value: never): never {
  throw new TypeError(`unhandled case: ${JSON.stringify(value)}`);
}
