// What every resolver receives: the request's loaders (over the shared reader), identity and logger.
// Built once per HTTP request (and, later, per subscription event) by server/.
import { type Loaders } from '../loaders/loaders.js';
import { type Pages } from '../loaders/pages.js';
import { type Logger } from '../logger.js';

export interface GraphQLContext {
  readonly loaders: Loaders;
  readonly pages: Pages;
  readonly requestId: string;
  readonly logger: Logger;
}
