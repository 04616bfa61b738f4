// Parsing of request bodies and query strings from `unknown`: case-insensitive keys, lenient dates.
// billwerk seems to accept any key casing on input [inferred] (README.md "Conventions"); we write PascalCase.
import { z } from 'zod';
import { unprocessable } from './errors.js';
import { parseIso } from './time.js';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An object schema whose keys match case-insensitively: `contractid` and `ContractId` both land on
 * `ContractId`. Only this level's keys are renamed; nested objects use their own `pascal` schema, and
 * free-form maps (CustomFields) keep their keys as sent.
 */
export function pascal<T extends z.ZodRawShape>(shape: T) {
  const byLower = new Map(Object.keys(shape).map((key) => [key.toLowerCase(), key]));
  return z.preprocess((value) => {
    if (!isRecord(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[byLower.get(key.toLowerCase()) ?? key] = item;
    return out;
  }, z.object(shape));
}

/** An ISO-8601 date of any precision, normalised to epoch ms. */
export const isoDate = z.string().transform((text, ctx) => {
  const ms = parseIso(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 date' });
    return z.NEVER;
  }
  return ms;
});

/** Free-form key/value map, kept as sent. */
export const customFields = z.record(z.string(), z.unknown());

/** A 24-hex id, lower-cased so lookups do not depend on the caller's casing. */
export const objectId = z
  .string()
  .regex(/^[0-9a-fA-F]{24}$/, 'must be a 24-hex id')
  .transform((id) => id.toLowerCase());

/** RFC 7386 JSON merge patch, as PATCH applies it: objects merge key by key, null removes, anything else replaces. */
export function mergePatch(
  target: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else if (isRecord(value)) {
      const base = target[key];
      target[key] = mergePatch(isRecord(base) ? base : {}, value);
    } else if (value !== undefined) target[key] = value;
  }
  return target;
}

/** Parses a body; a shape mismatch is a 422 naming the fields, as billwerk answers invalid fields. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const detail = result.error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  throw unprocessable(`Invalid request: ${detail}`);
}

/** Query parameters by lower-cased name (billwerk's own casing varies, e.g. contractId). */
export class Query {
  private readonly values = new Map<string, string>();

  constructor(raw: unknown) {
    if (!isRecord(raw)) return;
    for (const [key, value] of Object.entries(raw)) {
      const first: unknown = Array.isArray(value) ? value[0] : value;
      if (typeof first === 'string') this.values.set(key.toLowerCase(), first);
    }
  }

  string(name: string): string | undefined {
    const value = this.values.get(name.toLowerCase());
    return value === '' ? undefined : value;
  }

  boolean(name: string): boolean | undefined {
    const value = this.string(name)?.toLowerCase();
    if (value === undefined) return undefined;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    throw unprocessable(`Query parameter '${name}' must be true or false`);
  }

  int(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw unprocessable(`Query parameter '${name}' must be a non-negative integer`);
    return Number(value);
  }

  date(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const ms = parseIso(value);
    if (ms === undefined) throw unprocessable(`Query parameter '${name}' must be an ISO-8601 date`);
    return ms;
  }
}
