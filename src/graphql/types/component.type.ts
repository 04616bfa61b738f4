// GraphQL type Component: an add-on bookable on a contract (a quantity, an on/off feature, or metered usage).
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { type Component as ComponentDto } from '../../billwerk/dto.js';
import { localized } from './localized.js';
import { Node, toGlobalId } from '../relay/node.js';
import { openEnum, Period } from './scalars.js';

export enum ComponentType {
  QUANTITY_BASED = 'QuantityBased',
  ON_OFF = 'OnOff',
  METERED = 'Metered',
  UNKNOWN = 'Unknown',
}
registerEnumType(ComponentType, {
  name: 'ComponentType',
  description: 'How a component is charged; UNKNOWN for a type billwerk added after this schema.',
});

@ObjectType({
  implements: Node,
  description: 'An add-on that contracts subscribe to: a quantity, a feature, or metered usage.',
})
export class Component implements Node {
  @Field(() => ID, { description: 'Global id: `gid://billwerk/Component/<billwerk id>`.' })
  id!: string;

  @Field(() => ID, { description: 'The id billwerk uses.' })
  billwerkId!: string;

  @Field(() => String, { nullable: true, description: 'Name in the default culture.' })
  name!: string | null;

  @Field(() => ComponentType, { description: 'How the component is charged.' })
  type!: ComponentType;

  @Field(() => String, { nullable: true, description: "The component's id in the caller's own system." })
  externalId!: string | null;

  /** Without currency; the resolver adds the plan group's currency. */
  pricePerUnitAmount!: number;

  @Field(() => Period, { nullable: true, description: 'The period the price per unit refers to.' })
  feePeriod!: Period | null;

  planGroupId!: string;

  static from(dto: ComponentDto): Component {
    return Object.assign(new Component(), {
      id: toGlobalId('Component', dto.Id),
      billwerkId: dto.Id,
      name: localized(dto.Name),
      type: openEnum(ComponentType, dto.ComponentType, ComponentType.UNKNOWN),
      externalId: dto.ExternalId ?? null,
      pricePerUnitAmount: dto.PricePerUnit ?? 0,
      feePeriod: Period.from(dto.FeePeriod),
      planGroupId: dto.PlanGroupId,
    });
  }
}
