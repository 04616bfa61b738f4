// The one authorization check of the schema: type-graphql's `@Authorized(role)` asks it before a field
// runs, and the guard every mutation passes. Roles and scopes come from the principal (auth/).
import { defaultFieldResolver, type GraphQLSchema } from 'graphql';
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

/**
 * Wraps every Mutation field so it asks the caller's access first (auth/scope.ts): readonly keys and
 * anonymous callers write nothing, customer tokens only CUSTOMER_MUTATIONS. Which entities a mutation may
 * touch is checked where it loads them (validate.ts), before any billwerk write. Wrapping the root fields
 * rather than a type-graphql global middleware keeps every other field free of the check's cost.
 */
export function guardMutations(schema: GraphQLSchema): void {
  const mutation = schema.getMutationType();
  for (const field of Object.values(mutation?.getFields() ?? {})) {
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args, context: GraphQLContext, info) => {
      context.access.assertMayMutate(info.fieldName);
      return resolve(source, args, context, info);
    };
  }
}
