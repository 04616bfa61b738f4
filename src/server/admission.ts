// One admission for every transport. Each transport authenticates its caller its own way (a header on
// HTTP, `connection_init` on graphql-ws, a header or reservation token on SSE); from there every operation
// meets the same checks in the same order, with the same errors: rate limit → size → trusted documents.
// Size before trusted documents: the allow-list check parses the document, and nothing unbounded is parsed
// (a 1 MB document from an allow-list key would otherwise be parsed, and remembered, before being refused).
// The cost comes last, once the document is parsed and its variables are known (query-cost.ts: Apollo's
// pipeline on HTTP, `prepare` in subscription-admission.ts on the subscription transports).
import { type Principal } from '../auth/principal.js';
import { type GatewayError } from '../graphql/errors.js';
import { checkDocumentSize } from './query-limits.js';
import { type RateLimit } from './rate-limit.js';
import { notTrusted, type TrustedDocuments } from './trusted-documents.js';

/** A GraphQL request's text as a transport received it. */
export interface AdmittedText {
  query: string;
  operationName?: string | null;
}

/** The refusal of an operation before it is parsed, or undefined when it may go on. */
export type Admission = (
  principal: Principal,
  address: string | undefined,
  request: AdmittedText,
) => Promise<GatewayError | undefined>;

export interface AdmissionOptions {
  rateLimit: RateLimit;
  /** The documents callers restricted to trusted documents may run. */
  trusted: Pick<TrustedDocuments, 'allows'>;
}

export function createAdmission({ rateLimit, trusted }: AdmissionOptions): Admission {
  return async (principal, address, { query, operationName }) => {
    const limited = await rateLimit(principal, address);
    if (limited) return limited;
    const tooLarge = checkDocumentSize(query);
    if (tooLarge) return tooLarge;
    return principal.trustedDocumentsOnly && !trusted.allows(query, operationName) ? notTrusted() : undefined;
  };
}
