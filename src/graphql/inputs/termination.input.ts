// Inputs of contract termination: with notice (previewTermination, terminateContract), and without notice
// (terminateContractWithoutNotice, annulContract; admin only) (flows.md §5, §6).
import { Field, ID, InputType } from 'type-graphql';
import { DateTime } from '../types/scalars.js';

const KEY_DESCRIPTION = 'Idempotency key (≤ 255 characters); or send the Idempotency-Key header.';

@InputType({ description: 'A termination with notice to preview.' })
export class PreviewTerminationInput {
  @Field(() => ID, { description: 'The contract (global id or billwerk id).' })
  contractId!: string;
}

@InputType({ description: 'A termination with notice.' })
export class TerminateContractInput {
  @Field(() => ID, { description: 'The contract (global id or billwerk id).' })
  contractId!: string;

  @Field(() => DateTime, {
    nullable: true,
    description:
      'When the contract should end; default: the earliest end the notice period allows (previewTermination.endDate). An earlier date is refused.',
  })
  endDate?: Date | null;

  @Field(() => String, { nullable: true, description: KEY_DESCRIPTION })
  idempotencyKey?: string | null;
}

@InputType({ description: 'A termination without notice (admin only).' })
export class TerminateContractWithoutNoticeInput {
  @Field(() => ID, { description: 'The contract (global id or billwerk id).' })
  contractId!: string;

  @Field(() => DateTime, {
    nullable: true,
    description:
      'When the contract ends: any date after its start, past dates included (then it ends at once); default: now.',
  })
  endDate?: Date | null;

  @Field(() => String, { nullable: true, description: KEY_DESCRIPTION })
  idempotencyKey?: string | null;
}

@InputType({ description: 'An annulation (admin only).' })
export class AnnulContractInput {
  @Field(() => ID, { description: 'The contract (global id or billwerk id).' })
  contractId!: string;

  @Field(() => String, { nullable: true, description: KEY_DESCRIPTION })
  idempotencyKey?: string | null;
}
