// The changes the reconciliation sweep dropped (admin only): billwerk listed them, but replaced or deleted
// them before they took effect, so no notice went out for them (docs/operations.md "Reconciliation").
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { type SupersededReason, type SupersededRecord } from '../../events/reconcile-state.js';
import { DateTime } from './scalars.js';

export enum SupersededChangeReason {
  DELETED = 'deleted',
  REPLACED = 'replaced',
  CONTRACT_DELETED = 'contractDeleted',
}
registerEnumType(SupersededChangeReason, {
  name: 'SupersededChangeReason',
  description:
    'DELETED: billwerk no longer lists the change (an end replaced by another end); REPLACED: the contract ' +
    'does not show its effect (a plan change replaced by another, a change an end dropped, a cancellation ' +
    'request replaced by another); CONTRACT_DELETED: the contract no longer exists.',
});

const REASONS: Record<SupersededReason, SupersededChangeReason> = {
  deleted: SupersededChangeReason.DELETED,
  replaced: SupersededChangeReason.REPLACED,
  contractDeleted: SupersededChangeReason.CONTRACT_DELETED,
};

@ObjectType({
  description:
    'A contract change the reconciliation sweep found but did not publish: billwerk replaced or deleted it ' +
    'before it took effect (operators only).',
})
export class SupersededChange {
  @Field(() => String, { description: 'The notice it would have been: ContractChanged, ContractCreated, …' })
  event!: string;

  @Field(() => ID, { description: 'billwerk id of the contract change (ContractChangeId).' })
  changeId!: string;

  @Field(() => String, { description: 'The change type exactly as billwerk listed it.' })
  changeType!: string;

  @Field(() => ID, { description: 'billwerk id of the contract concerned.' })
  contractId!: string;

  @Field(() => ID, { nullable: true, description: 'billwerk id of the customer concerned.' })
  customerId!: string | null;

  @Field(() => SupersededChangeReason, { description: 'Why it was dropped.' })
  reason!: SupersededChangeReason;

  @Field(() => DateTime, { description: "When billwerk would have sent the notice (billwerk's clock)." })
  dueAt!: Date;

  @Field(() => DateTime, { description: 'When the sweep dropped it.' })
  droppedAt!: Date;

  static from(record: SupersededRecord): SupersededChange {
    return Object.assign(new SupersededChange(), {
      event: record.event,
      changeId: record.changeId,
      changeType: record.changeType,
      contractId: record.contractId,
      customerId: record.customerId ?? null,
      reason: REASONS[record.reason],
      dueAt: new Date(record.due),
      droppedAt: new Date(record.droppedAt),
    });
  }
}
