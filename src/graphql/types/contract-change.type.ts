// GraphQL type ContractChange: one recorded change of a contract (signup, upgrade, end ...), as billwerk
// reports it in webhooks (ContractChangeId) and under /contractChanges.
import { Field, ID, ObjectType } from 'type-graphql';
import { type ContractChange as ContractChangeDto } from '../../billwerk/dto.js';
import { Node, toGlobalId } from '../relay/node.js';
import { DateTime, JSONObject, toDate } from './scalars.js';

@ObjectType({ implements: Node, description: 'A recorded change of a contract.' })
export class ContractChange implements Node {
  @Field(() => ID, { description: 'Global id: `gid://billwerk/ContractChange/<billwerk id>`.' })
  id!: string;

  @Field(() => ID, { description: 'The id billwerk uses (the webhook ContractChangeId).' })
  billwerkId!: string;

  @Field(() => String, {
    description:
      'billwerk change type, e.g. Signup, Upgrade, Timebased, EndContract, Annulation. An open set: billwerk adds new types.',
  })
  type!: string;

  @Field(() => DateTime, { nullable: true, description: 'When the change was recorded.' })
  timestamp!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When the change takes (or took) effect.' })
  changeDate!: Date | null;

  @Field(() => ID, { nullable: true, description: 'billwerk id of the order behind the change, if any.' })
  orderId!: string | null;

  @Field(() => JSONObject, {
    nullable: true,
    description: 'Component, discount or pause details (open-ended).',
  })
  details!: Record<string, unknown> | null;

  contractId!: string;
  newPlanVariantId!: string | null;

  static from(dto: ContractChangeDto): ContractChange {
    return Object.assign(new ContractChange(), {
      id: toGlobalId('ContractChange', dto.Id),
      billwerkId: dto.Id,
      type: dto.Type,
      timestamp: toDate(dto.Timestamp),
      changeDate: toDate(dto.ChangeDate),
      orderId: dto.OrderId ?? null,
      details: dto.Details ?? null,
      contractId: dto.ContractId,
      newPlanVariantId: dto.NewPlanVariantId ?? null,
    });
  }
}
