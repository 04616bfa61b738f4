// GraphQL types Contract, ContractPhase and ContractStatus: a customer's subscription to a plan variant.
// Relations (customer, plan variant, components, preview, changes, invoices) resolve in contract.resolver.ts.
import { Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';
import { type Contract as ContractDto, type ContractPhase as ContractPhaseDto } from '../../billwerk/dto.js';
import { ConnectionOf } from '../relay/connection.js';
import { Node, toGlobalId } from '../relay/node.js';
import { DateTime, JSONObject, Money, openEnum, toDate } from './scalars.js';
import { answeredId, type BillwerkId } from '../../billwerk/id.js';

export enum ContractStatus {
  UNDEFINED = 'Undefined',
  DRAFT = 'Draft',
  IN_ORDER_PROCESS = 'InOrderProcess',
  IN_TRIAL = 'InTrial',
  TRIAL_EXPIRED = 'TrialExpired',
  ACTIVE = 'Active',
  ENDED = 'Ended',
  TEMPORARILY_INACTIVE = 'TemporarilyInactive',
  UNKNOWN = 'Unknown',
}
registerEnumType(ContractStatus, {
  name: 'ContractStatus',
  description: "billwerk's contract lifecycle status; UNKNOWN for a status billwerk added after this schema.",
});

export enum PhaseType {
  NORMAL = 'Normal',
  TRIAL = 'Trial',
  INACTIVE = 'Inactive',
  UNKNOWN = 'Unknown',
}
registerEnumType(PhaseType, { name: 'PhaseType', description: 'Kind of a contract phase.' });

@ObjectType({ description: 'A phase of a contract; it runs from its start until the next phase begins.' })
export class ContractPhase {
  @Field(() => PhaseType, { description: 'Normal, trial, or inactive (after the end or during a pause).' })
  type!: PhaseType;

  @Field(() => DateTime, { description: 'When the phase begins.' })
  startDate!: Date;

  @Field(() => Float, { nullable: true, description: 'Booked quantity, for quantity-based plans.' })
  quantity!: number | null;

  planVariantId!: string | null;
  planId!: string | null;

  static from(dto: ContractPhaseDto): ContractPhase {
    return Object.assign(new ContractPhase(), {
      type: openEnum(PhaseType, dto.Type, PhaseType.UNKNOWN),
      startDate: toDate(dto.StartDate) ?? new Date(0),
      quantity: dto.Quantity ?? null,
      planVariantId: dto.PlanVariantId ?? null,
      planId: dto.PlanId ?? null,
    });
  }
}

@ObjectType({
  implements: Node,
  description: "A customer's contract: a booked plan variant with its components and discounts.",
})
export class Contract implements Node {
  @Field(() => ID, { description: 'Global id: `gid://billwerk/Contract/<billwerk id>`.' })
  id!: string;

  @Field(() => ID, { description: 'The id billwerk uses.' })
  billwerkId!: BillwerkId;

  @Field(() => String, { nullable: true, description: 'Short human reference, e.g. NYXC-NPXH.' })
  referenceCode!: string | null;

  @Field(() => String, { nullable: true, description: "The contract's id in the caller's own system." })
  externalId!: string | null;

  @Field(() => ContractStatus, { description: 'Lifecycle status.' })
  status!: ContractStatus;

  @Field(() => String, { description: 'The lifecycle status exactly as billwerk sent it (an open set).' })
  billwerkStatus!: string;

  @Field(() => String, { description: 'ISO 4217 currency of the contract.' })
  currency!: string;

  @Field(() => DateTime, { nullable: true, description: 'When the contract starts (or started).' })
  startDate!: Date | null;

  @Field(() => DateTime, {
    nullable: true,
    description: 'When the contract ends; null while it runs open-ended.',
  })
  endDate!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'End of the trial, for contracts with one.' })
  trialEndDate!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'The contract is billed up to this moment.' })
  billedUntil!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'Last billing run for this contract.' })
  lastBillingDate!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'Next scheduled billing run.' })
  nextBillingDate!: Date | null;

  @Field(() => Money, { nullable: true, description: 'Account balance of the contract.' })
  balance!: Money | null;

  @Field(() => String, { nullable: true, description: 'Free-text notes.' })
  notes!: string | null;

  @Field(() => JSONObject, { description: 'Custom fields as configured in billwerk (open-ended).' })
  customFields!: Record<string, unknown>;

  @Field(() => ContractPhase, { nullable: true, description: 'The phase in force now.' })
  currentPhase!: ContractPhase | null;

  @Field(() => [ContractPhase], { description: 'All phases in order, including future ones.' })
  phases!: ContractPhase[];

  @Field(() => Boolean, { description: 'Whether billing is suspended.' })
  billingSuspended!: boolean;

  customerId!: string;
  planVariantId!: string | null;
  planId!: string | null;

  static from(dto: ContractDto): Contract {
    return Object.assign(new Contract(), {
      id: toGlobalId('Contract', dto.Id),
      billwerkId: answeredId(dto.Id, 'Contract.Id'),
      referenceCode: dto.ReferenceCode ?? null,
      externalId: dto.ExternalId ?? null,
      status: openEnum(ContractStatus, dto.LifecycleStatus, ContractStatus.UNKNOWN),
      billwerkStatus: dto.LifecycleStatus,
      currency: dto.Currency,
      startDate: toDate(dto.StartDate),
      endDate: toDate(dto.EndDate),
      trialEndDate: toDate(dto.TrialEndDate),
      billedUntil: toDate(dto.BilledUntil),
      lastBillingDate: toDate(dto.LastBillingDate),
      nextBillingDate: toDate(dto.NextBillingDate),
      balance: dto.Balance === undefined ? null : Money.of(dto.Balance, dto.Currency),
      notes: dto.Notes ?? null,
      customFields: dto.CustomFields ?? {},
      currentPhase: dto.CurrentPhase ? ContractPhase.from(dto.CurrentPhase) : null,
      phases: (dto.Phases ?? []).map((phase) => ContractPhase.from(phase)),
      billingSuspended: dto.BillingSuspended ?? false,
      customerId: dto.CustomerId,
      planVariantId: dto.PlanVariantId ?? dto.CurrentPhase?.PlanVariantId ?? null,
      planId: dto.PlanId ?? dto.CurrentPhase?.PlanId ?? null,
    });
  }
}

@ObjectType({ description: 'A page of contracts.' })
export class ContractConnection extends ConnectionOf(Contract, 'Contract') {}
