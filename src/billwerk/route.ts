// A billwerk REST path together with the template it was made from. Paths are built only by the `api` tag,
// whose interpolations must be parsed BillwerkIds, so an outside string can never become a path segment,
// and metrics and traces label calls by the template the call site wrote, never by anything read from a URL.
import { isBillwerkId, type BillwerkId } from './id.js';

export class ApiRoute {
  private constructor(
    /** The path under /api/v1, ids filled in: `/contracts/645b429bb73d36f442b223df/end`. */
    readonly path: string,
    /** The path as written at the call site, ids as `{id}`: `/contracts/{id}/end`. */
    readonly template: string,
  ) {}

  /**
   * `api\`/contracts/${id}/end\``. Interpolating a plain string is a compile error; the runtime check is for
   * values that reached here through a cast.
   */
  static build(strings: TemplateStringsArray, ...ids: BillwerkId[]): ApiRoute {
    let path = strings[0] ?? '';
    let template = path;
    ids.forEach((id, index) => {
      if (!isBillwerkId(id)) throw new TypeError('a billwerk path segment must be a parsed BillwerkId');
      const next = strings[index + 1] ?? '';
      path += id + next;
      template += `{id}${next}`;
    });
    if (!template.startsWith('/') || template.includes('?')) {
      throw new TypeError(`a billwerk route is a path starting with "/" without a query, got ${template}`);
    }
    return new ApiRoute(path, template);
  }
}

/** Tag for billwerk routes; see ApiRoute.build. */
export const api = (strings: TemplateStringsArray, ...ids: BillwerkId[]): ApiRoute =>
  ApiRoute.build(strings, ...ids);
