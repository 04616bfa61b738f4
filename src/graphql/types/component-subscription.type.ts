// GraphQL type ComponentSubscription: a component booked on a contract, with quantity and dates.
import { Field, Float, ID, ObjectType } from 'type-graphql';
import { type ComponentSubscription as ComponentSubscriptionDto } from '../../billwerk/dto.js';
import { DateTime, toDate } from './scalars.js';

@ObjectType({ description: 'A component booked on a contract.' })
export class ComponentSubscription {
  @Field(() => ID, { description: 'The id billwerk uses for this component subscription.' })
  billwerkId!: string;

  @Field(() => Float, { description: 'Booked quantity.' })
  quantity!: number;

  @Field(() => DateTime, { nullable: true, description: 'When the subscription starts.' })
  startDate!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When it ends; null = with the contract.' })
  endDate!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'Billed up to this moment.' })
  billedUntil!: Date | null;

  @Field(() => String, { nullable: true, description: 'Free-text memo.' })
  memo!: string | null;

  componentId!: string;
  contractId!: string;

  static from(dto: ComponentSubscriptionDto): ComponentSubscription {
    return Object.assign(new ComponentSubscription(), {
      billwerkId: dto.Id,
      quantity: dto.Quantity,
      startDate: toDate(dto.StartDate),
      endDate: toDate(dto.EndDate),
      billedUntil: toDate(dto.BilledUntil),
      memo: dto.Memo ?? null,
      componentId: dto.ComponentId,
      contractId: dto.ContractId,
    });
  }
}
