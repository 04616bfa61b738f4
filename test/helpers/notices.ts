// Notices for tests, parsed as the webhook route parses them.
import { parseNotice, type ParsedNotice } from '../../src/events/notice.js';

/** The parsed notice; throws with the parser's reason when the body is refused. */
export function notice(body: Record<string, unknown>): ParsedNotice {
  const parsed = parseNotice(body);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.notice;
}
