// GraphQL type UsageRecord: metered usage reported for a contract's metered component.
import { Field, Float, ID, ObjectType } from 'type-graphql';
import { type MeteredUsage } from '../../billwerk/dto.js';
import { DateTime, toDate } from './scalars.js';

@ObjectType({ description: 'Metered usage of a component, billed at the next billing run.' })
export class UsageRecord {
  @Field(() => ID, { description: 'The id billwerk uses.' })
  billwerkId!: string;

  @Field(() => Float, { description: 'Quantity used.' })
  quantity!: number;

  @Field(() => DateTime, { nullable: true, description: 'When the usage is due for billing.' })
  dueDate!: Date | null;

  @Field(() => String, { nullable: true, description: 'Free-text memo.' })
  memo!: string | null;

  @Field(() => String, { nullable: true, description: "The reporter's own dedupe key." })
  key!: string | null;

  @Field(() => DateTime, { nullable: true, description: 'When it was reported.' })
  reportedAt!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When it was billed; null while unbilled.' })
  billedOn!: Date | null;

  componentId!: string;
  billedInvoiceId!: string | null;

  static from(dto: MeteredUsage): UsageRecord {
    return Object.assign(new UsageRecord(), {
      billwerkId: dto.Id,
      quantity: dto.Quantity,
      dueDate: toDate(dto.DueDate),
      memo: dto.Memo ?? null,
      key: dto.Key ?? null,
      reportedAt: toDate(dto.TransferredAt),
      billedOn: toDate(dto.BilledOn),
      componentId: dto.ComponentId,
      billedInvoiceId: dto.BilledInvoiceId ?? null,
    });
  }
}
