// Input of reportUsage: metered usage records for a contract's metered components (flows.md §8), each
// with an optional caller's dedupe key.
import { Field, Float, ID, InputType } from 'type-graphql';
import { DateTime } from '../types/scalars.js';

@InputType({ description: 'Usage of one metered component.' })
export class UsageRecordInput {
  @Field(() => ID, { description: 'The metered component (global id or billwerk id).' })
  componentId!: string;

  @Field(() => Float, { description: 'How much was used; must be positive.' })
  quantity!: number;

  @Field(() => DateTime, {
    nullable: true,
    description:
      'When the usage is due for billing; default: now. Back-dating is allowed (billed with the next run).',
  })
  dueDate?: Date | null;

  @Field(() => String, { nullable: true, description: 'Free-text memo, printed on the invoice.' })
  memo?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "billwerk's dedupe key for this record; default: derived from the idempotency key and the record's position.",
  })
  key?: string | null;
}

@InputType({ description: 'Metered usage to record for a contract.' })
export class ReportUsageInput {
  @Field(() => ID, { description: 'The contract (global id or billwerk id).' })
  contractId!: string;

  @Field(() => [UsageRecordInput], { description: 'The records, 1 to 100.' })
  records!: UsageRecordInput[];

  @Field(() => String, {
    nullable: true,
    description: 'Idempotency key (≤ 255 characters); or send the Idempotency-Key header.',
  })
  idempotencyKey?: string | null;
}
