// Inputs of signup and previewSignup: a new customer (or an existing one's id), a plan variant, an
// optional later start, components and a coupon code (flows.md §1–3).
import { Field, ID, InputType } from 'type-graphql';
import { ComponentQuantityInput } from './component-change.input.js';
import { DateTime } from '../types/scalars.js';

@InputType({ description: 'A postal address.' })
export class AddressInput {
  @Field(() => String, { nullable: true, description: 'Street name.' })
  street?: string | null;

  @Field(() => String, { nullable: true, description: 'House number.' })
  houseNumber?: string | null;

  @Field(() => String, { nullable: true, description: 'Postal code.' })
  postalCode?: string | null;

  @Field(() => String, { nullable: true, description: 'City.' })
  city?: string | null;

  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2 country code, e.g. DE.' })
  country?: string | null;
}

@InputType({ description: 'A customer to create with the contract.' })
export class NewCustomerInput {
  @Field(() => String, { nullable: true, description: 'First name.' })
  firstName?: string | null;

  @Field(() => String, { nullable: true, description: 'Last name.' })
  lastName?: string | null;

  @Field(() => String, { nullable: true, description: 'Company name, for business customers.' })
  companyName?: string | null;

  @Field(() => String, { nullable: true, description: 'Email address.' })
  emailAddress?: string | null;

  @Field(() => String, { nullable: true, description: 'Phone number.' })
  phoneNumber?: string | null;

  @Field(() => String, { nullable: true, description: "The customer's id in the caller's own system." })
  externalCustomerId?: string | null;

  @Field(() => String, { nullable: true, description: 'VAT id, for business customers.' })
  vatId?: string | null;

  @Field(() => String, { nullable: true, description: 'Language and region, e.g. de-DE.' })
  language?: string | null;

  @Field(() => AddressInput, { nullable: true, description: 'Postal address.' })
  address?: AddressInput | null;
}

@InputType({ description: 'A signup, priced without being made.' })
export class PreviewSignupInput {
  @Field(() => NewCustomerInput, {
    nullable: true,
    description: 'A new customer; give this or customerId.',
  })
  customer?: NewCustomerInput | null;

  @Field(() => ID, { nullable: true, description: 'An existing customer (global id or billwerk id).' })
  customerId?: string | null;

  @Field(() => ID, { description: 'The plan variant to book (global id or billwerk id).' })
  planVariantId!: string;

  @Field(() => DateTime, {
    nullable: true,
    description:
      'A later start; default: now. billwerk invoices a paid variant at once even so (fees are prepaid): to start later without an invoice, sign up to a free variant and changePlan at this date (flows.md §3).',
  })
  startDate?: Date | null;

  @Field(() => [ComponentQuantityInput], { nullable: true, description: 'Components to book with it.' })
  components?: ComponentQuantityInput[] | null;

  @Field(() => String, { nullable: true, description: 'A coupon code to redeem.' })
  couponCode?: string | null;
}

@InputType({ description: 'A signup: a new contract for a new or an existing customer.' })
export class SignupInput extends PreviewSignupInput {
  @Field(() => String, {
    nullable: true,
    description:
      'billwerk payment method for the commit, e.g. InvoicePayment or OnAccount:PayOne. Default: InvoicePayment when the variant needs payment data, none when it allows a signup without.',
  })
  paymentMethod?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Idempotency key (≤ 255 characters); or send the Idempotency-Key header.',
  })
  idempotencyKey?: string | null;
}
