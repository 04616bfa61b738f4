// Mutation signup and query previewSignup: a new contract for a new or an existing customer through
// POST /orders (/preview) and POST /orders/{id}/commit (flows.md §1–3).
import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { ForbiddenError, OutOfScopeError } from '../../auth/errors.js';
import type {
  Customer,
  CustomerInput,
  OrderCommitInput,
  OrderInput,
  PlanVariant,
} from '../../billwerk/dto.js';
import { type GraphQLContext } from '../context.js';
import { SignupPayload, type OrderOutcome } from '../types/mutation.payload.js';
import { type Flow, previewFlow, runFlow } from './flow.js';
import { placeOrder, type OrderPlan } from './order.flow.js';
import { OrderPreview } from '../types/order.type.js';
import { NewCustomerInput, PreviewSignupInput, SignupInput } from '../inputs/signup.input.js';
import {
  componentOf,
  couponCode,
  distinct,
  existingVariant,
  idOf,
  invalid,
  notPast,
  paymentMethod,
  positive,
  text,
} from './validate.js';
import { answeredId } from '../../billwerk/id.js';

/**
 * API signups have no browser to collect payment data (SubscriptionJS), so a variant that needs it is
 * committed as paid by invoice unless the caller names another method (resources.md "Commit").
 */
export const DEFAULT_PAYMENT_METHOD = 'InvoicePayment';

function customerOf(input: NewCustomerInput): CustomerInput {
  const field = (name: Exclude<keyof NewCustomerInput, 'address'>, max = 200) =>
    text(input[name], `customer.${name}`, max);
  const email = field('emailAddress', 254);
  if (email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(email)) {
    throw invalid('customer.emailAddress', 'customer.emailAddress is not an email address.');
  }
  const country = text(input.address?.country, 'customer.address.country', 2)?.toUpperCase();
  if (country !== undefined && !/^[A-Z]{2}$/.test(country)) {
    throw invalid('customer.address.country', 'customer.address.country must be an ISO 3166-1 alpha-2 code.');
  }
  const customer: CustomerInput = {
    FirstName: field('firstName'),
    LastName: field('lastName'),
    CompanyName: field('companyName'),
    EmailAddress: email,
    PhoneNumber: field('phoneNumber', 50),
    ExternalCustomerId: field('externalCustomerId'),
    VatId: field('vatId', 50),
    Language: field('language', 20),
  };
  if (!customer.FirstName && !customer.LastName && !customer.CompanyName && !customer.EmailAddress) {
    throw invalid('customer', 'customer needs a name, a company name or an email address.');
  }
  if (input.address) {
    const a = input.address;
    customer.Address = {
      Street: text(a.street, 'customer.address.street'),
      HouseNumber: text(a.houseNumber, 'customer.address.houseNumber', 20),
      PostalCode: text(a.postalCode, 'customer.address.postalCode', 20),
      City: text(a.city, 'customer.address.city'),
      Country: country,
    };
  }
  return customer;
}

/** The order body, from the input's shape alone (no billwerk call). */
function signupOrder(ctx: GraphQLContext, input: PreviewSignupInput): OrderInput {
  if (input.customer && input.customerId) {
    throw invalid('customerId', 'Give customer (a new customer) or customerId (an existing one), not both.');
  }
  if (!input.customer && !input.customerId) {
    throw invalid('customer', 'Give customer (a new customer) or customerId (an existing one).');
  }
  const components = (input.components ?? []).map((item, index) => ({
    ComponentId: idOf('Component', item.componentId, `components[${index}].componentId`),
    Quantity: positive(item.quantity, `components[${index}].quantity`),
  }));
  distinct(
    components.map((item) => item.ComponentId),
    'components',
  );
  const code = couponCode(input.couponCode);
  return {
    ...(input.customer
      ? { Customer: customerOf(input.customer) }
      : { CustomerId: idOf('Customer', input.customerId ?? '', 'customerId') }),
    ...(input.startDate ? { StartDate: notPast(ctx, input.startDate, 'startDate').toISOString() } : {}),
    Cart: {
      PlanVariantId: idOf('PlanVariant', input.planVariantId, 'planVariantId'),
      ...(components.length > 0 ? { ComponentSubscriptions: components } : {}),
      ...(code !== undefined ? { CouponCode: code } : {}),
    },
  };
}

/** The references of the order: plan variant, existing customer, components of the variant's plan group. */
async function checkReferences(ctx: GraphQLContext, order: OrderInput): Promise<PlanVariant> {
  const variant = await existingVariant(ctx, order.Cart.PlanVariantId ?? '');
  if (order.CustomerId !== undefined) {
    const customer = await ctx.loaders.customer.load(order.CustomerId);
    // A scoped caller gets NOT_FOUND alike for a foreign customer and a missing one.
    if (ctx.access.scoped && !(customer && (await ctx.access.customerVisible(order.CustomerId)))) {
      throw new OutOfScopeError('Customer', order.CustomerId);
    }
    if (!customer) throw invalid('customerId', `No customer ${order.CustomerId} exists.`);
  } else if (ctx.principal.scope.kind === 'customer') {
    throw new ForbiddenError('A customer token signs up its own customer only: give customerId.');
  }
  await Promise.all(
    (order.Cart.ComponentSubscriptions ?? []).map((item, index) =>
      componentOf(
        ctx,
        item.ComponentId,
        variant.PlanGroupId,
        'subscription',
        `components[${index}].componentId`,
      ),
    ),
  );
  return variant;
}

interface Signup {
  order: OrderInput;
  paymentMethod?: string;
}

/** Signup as a flow: the order (and payment method) is the key's input; the references are checked once. */
const signupFlow: Flow<
  PreviewSignupInput & { paymentMethod?: string | null },
  Signup,
  OrderPlan,
  OrderOutcome & { customer: Customer }
> = {
  operation: 'signup',
  read: (input, ctx) => ({
    order: signupOrder(ctx, input),
    paymentMethod: paymentMethod(input.paymentMethod),
  }),
  async plan(ctx, { order, paymentMethod: method }) {
    const variant = await checkReferences(ctx, order);
    const commit: OrderCommitInput =
      method !== undefined
        ? { PaymentMethod: method }
        : variant.AllowWithoutPaymentData
          ? {}
          : { PaymentMethod: DEFAULT_PAYMENT_METHOD };
    return { body: order, commit };
  },
  async write(ctx, steps, plan) {
    const outcome = await placeOrder(ctx, steps, plan);
    const customer = await ctx.billwerk.customers.get(
      answeredId(outcome.contract.CustomerId, 'Contract.CustomerId'),
    );
    return { ...outcome, customer };
  },
};

@Resolver()
export class SignupMutation {
  @Query(() => OrderPreview, {
    description:
      'Prices a signup without making it (billwerk POST /orders/preview); needs no idempotency key.',
  })
  async previewSignup(
    @Arg('input', () => PreviewSignupInput, { description: 'The signup to price.' })
    input: PreviewSignupInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<OrderPreview> {
    return previewFlow(ctx, signupFlow, input);
  }

  @Mutation(() => SignupPayload, {
    description:
      'Signs a customer up to a plan variant: a new customer (customer) or an existing one (customerId), optionally starting later, with components and a coupon. Creates and commits a billwerk order.',
  })
  async signup(
    @Arg('input', () => SignupInput, { description: 'The signup.' }) input: SignupInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<SignupPayload> {
    const { value, replayed } = await runFlow(ctx, signupFlow, input);
    // Also on a replay: the scope must hold the customer even if the first answer was lost mid-way.
    await ctx.access.recordSignup(answeredId(value.contract.CustomerId, 'Contract.CustomerId'));
    return SignupPayload.from(value, replayed);
  }
}
