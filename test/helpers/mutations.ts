// Small helpers the mutation suites share: fresh idempotency keys, the GraphQL errors of a failed SDK
// call, and a signup of a new customer through the gateway.
import { randomUUID } from 'node:crypto';
import { ClientError } from 'graphql-request';
import { SEED_IDS } from '../../src/emulator/seed.js';
import {
  SignupDocument,
  type GatewayClient,
  type SignupInput,
  type SignupMutation,
} from '../../sdk/client.js';

export const DAY = 24 * 60 * 60 * 1000;

/** A key no other test (or earlier run) used. */
export const newKey = (label = 'k'): string => `${label}-${randomUUID()}`;

export interface GraphQLErrorShape {
  message: string;
  path?: readonly (string | number)[];
  extensions?: Record<string, unknown>;
}

/** The GraphQL errors of a call that must fail. */
export async function errorsOf(call: Promise<unknown>): Promise<GraphQLErrorShape[]> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ClientError) return error.response.errors ?? [];
    throw error;
  }
  throw new Error('expected the operation to fail');
}

/** The one error of a failed call. */
export async function errorOf(call: Promise<unknown>): Promise<GraphQLErrorShape> {
  const errors = await errorsOf(call);
  expect(errors).toHaveLength(1);
  return errors[0]!;
}

let customers = 0;

/** Signs a new customer up (Basic monthly unless overridden) and returns the payload. */
export async function signupNew(
  sdk: GatewayClient,
  overrides: Partial<SignupInput> = {},
): Promise<SignupMutation['signup']> {
  customers += 1;
  const { signup } = await sdk.request(SignupDocument, {
    input: {
      customer: {
        firstName: 'Test',
        lastName: `Customer ${customers}`,
        emailAddress: `customer-${customers}-${randomUUID().slice(0, 8)}@example.com`,
        address: { country: 'DE' },
      },
      planVariantId: SEED_IDS.planVariants.basicMonthly,
      idempotencyKey: newKey('signup'),
      ...overrides,
    },
  });
  return signup;
}
