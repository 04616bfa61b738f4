// The one authorization check of the schema: type-graphql's `@Authorized(role)` asks it before a field
// runs. Roles come from the principal (auth/principal.ts); the auth issue extends both, not the resolvers.
import { type AuthChecker } from 'type-graphql';
import { hasRole, type Role } from '../auth/principal.js';
import { type GraphQLContext } from './context.js';
import { ErrorCode, GatewayError } from './errors.js';

/** `@Authorized()` needs a known caller; `@Authorized('admin', …)` needs one of the roles named. */
export const authChecker: AuthChecker<GraphQLContext, Role> = ({ context, info }, roles) => {
  const field = `${info.parentType.name}.${info.fieldName}`;
  if (roles.length === 0) {
    if (context.principal.id !== 'anonymous') return true;
    throw new GatewayError(ErrorCode.UNAUTHENTICATED, `${field} needs an authenticated caller.`);
  }
  if (roles.some((role) => hasRole(context.principal, role))) return true;
  throw new GatewayError(
    ErrorCode.FORBIDDEN,
    `${field} needs the ${roles.join(' or ')} role, which this caller does not have.`,
    { requiredRoles: roles },
  );
};
