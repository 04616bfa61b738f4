// Inputs for component subscriptions: a component with a quantity (signup, changes), the changes a
// change order makes (add, change quantity, end), and the changeComponentSubscriptions mutation's input.
import { Field, Float, ID, InputType } from 'type-graphql';
import { DateTime } from '../types/scalars.js';

@InputType({ description: 'A component and how many of it.' })
export class ComponentQuantityInput {
  @Field(() => ID, { description: 'The component (global id or billwerk id).' })
  componentId!: string;

  @Field(() => Float, { description: 'How many; must be positive.' })
  quantity!: number;
}

@InputType({ description: 'Changes to the components booked on a contract.' })
export class ComponentChangesInput {
  @Field(() => [ComponentQuantityInput], { nullable: true, description: 'Components to add.' })
  add?: ComponentQuantityInput[] | null;

  @Field(() => [ComponentQuantityInput], {
    nullable: true,
    description:
      'Components booked already, with their new quantity: every running subscription of the component ends and a new one starts (flows.md §7).',
  })
  changeQuantity?: ComponentQuantityInput[] | null;

  @Field(() => [ID], { nullable: true, description: 'Component subscriptions (their billwerk ids) to end.' })
  end?: string[] | null;
}

@InputType({ description: 'Component changes on a contract, priced without being made.' })
export class PreviewComponentSubscriptionChangeInput extends ComponentChangesInput {
  @Field(() => ID, { description: 'The contract (global id or billwerk id).' })
  contractId!: string;

  @Field(() => DateTime, {
    nullable: true,
    description: 'When the changes take effect; default: now. Not before the contract starts.',
  })
  changeDate?: Date | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Invoice the changes at once (billwerk TriggerInterimBilling); default: with the next regular invoice.',
  })
  invoiceImmediately?: boolean | null;
}

@InputType({ description: 'Component changes on a contract, made through one change order.' })
export class ChangeComponentSubscriptionsInput extends PreviewComponentSubscriptionChangeInput {
  @Field(() => String, {
    nullable: true,
    description: 'Idempotency key (≤ 255 characters); or send the Idempotency-Key header.',
  })
  idempotencyKey?: string | null;
}
