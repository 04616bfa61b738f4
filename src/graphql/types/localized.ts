// billwerk's localized text ({"_c": "Basic", "de": "Basis"}) reduced to one string for GraphQL clients.
import { type LocalizedText } from '../../billwerk/dto.js';

/** The default culture `_c`, else the first translation, else null. */
export function localized(text: LocalizedText | undefined | null): string | null {
  if (!text) return null;
  if (typeof text._c === 'string') return text._c;
  const first = Object.values(text).find((value): value is string => typeof value === 'string');
  return first ?? null;
}
