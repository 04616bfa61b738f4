// Small helpers the mutation suites share: fresh idempotency keys, the one GraphQL error of a failed SDK
// call, and a signup of a new customer through the gateway.
import { randomUUID } from 'node:crypto';
import { SEED_IDS } from '../../src/emulator/seed.js';
import {
  SignupDocument,
  type GatewayClient,
  type SignupInput,
  type SignupMutation,
} from '../../sdk/client.js';
import { errorsOf, type GraphQLErrorShape } from './http.js';

export const DAY = 24 * 60 * 60 * 1000;

/** A key no other test (or earlier run) used. */
export const newKey = (label = 'k'): string => `${label}-${randomUUID()}`;

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
