// GraphQL type PlanGroup: billwerk's top catalogue level (currency, tax handling) for a family of plans.
import { Field, ID, ObjectType } from 'type-graphql';
import { type PlanGroup as PlanGroupDto } from '../../billwerk/dto.js';
import { localized } from './localized.js';
import { Node, toGlobalId } from '../relay/node.js';

@ObjectType({ implements: Node, description: 'A family of plans sharing currency and tax handling.' })
export class PlanGroup implements Node {
  @Field(() => ID, { description: 'Global id: `gid://billwerk/PlanGroup/<billwerk id>`.' })
  id!: string;

  @Field(() => ID, { description: 'The id billwerk uses.' })
  billwerkId!: string;

  @Field(() => String, { nullable: true, description: 'Name in the default culture.' })
  name!: string | null;

  @Field(() => String, { description: 'ISO 4217 currency of every price in the group.' })
  currency!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Whether prices are net or gross (billwerk PriceTaxType).',
  })
  priceTaxType!: string | null;

  static from(dto: PlanGroupDto): PlanGroup {
    return Object.assign(new PlanGroup(), {
      id: toGlobalId('PlanGroup', dto.Id),
      billwerkId: dto.Id,
      name: localized(dto.Name),
      currency: dto.Currency,
      priceTaxType: dto.PriceTaxType ?? null,
    });
  }
}
