// Ending contracts: previewTermination (GET cancellationPreview), terminateContract (with notice: POST /end
// at the earliest allowed date or later), and, admin only, terminateContractWithoutNotice and annulContract.
import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type {
  CancellationPreview as CancellationPreviewDto,
  Contract as ContractDto,
} from '../../billwerk/dto.js';
import { CancellationPreview } from '../types/cancellation-preview.type.js';
import { type GraphQLContext } from '../context.js';
import { type Steps } from '../../idempotency/idempotent.js';
import { type Flow, runFlow } from './flow.js';
import { AnnulContractPayload, TerminationPayload } from '../types/mutation.payload.js';
import { forgetTouched } from './order.flow.js';
import {
  AnnulContractInput,
  PreviewTerminationInput,
  TerminateContractInput,
  TerminateContractWithoutNoticeInput,
} from '../inputs/termination.input.js';
import { idOf, invalid, runningContract } from './validate.js';
import { answeredId, type BillwerkId } from '../../billwerk/id.js';

const isoOf = (date: string) => new Date(date).toISOString();

/** Where and when a contract ends, checked against it (and billwerk's notice period). */
interface Ending {
  contractId: BillwerkId;
  customerId: string;
  endDate: string;
}

/** The contract and the end date asked for, if any: what a termination's idempotency key stands for. */
function requestedEnding(input: { contractId: string; endDate?: Date | null }): {
  contractId: BillwerkId;
  endDate?: string;
} {
  return {
    contractId: idOf('Contract', input.contractId, 'contractId'),
    endDate: input.endDate?.toISOString(),
  };
}

/** POST /contracts/{id}/end as a recorded step, the caches of contract and customer dropped after it. */
async function endAt(ctx: GraphQLContext, steps: Steps, plan: Ending): Promise<CancellationPreviewDto> {
  try {
    return await steps.step('end', () => ctx.billwerk.contracts.end(plan.contractId, plan.endDate));
  } finally {
    forgetTouched(ctx, plan);
  }
}

/** With notice: at the earliest end the notice period allows, or a later endDate. */
const termination: Flow<
  TerminateContractInput,
  { contractId: BillwerkId; endDate?: string },
  Ending,
  CancellationPreviewDto
> = {
  operation: 'terminateContract',
  read: requestedEnding,
  async plan(ctx, { contractId, endDate: requested }) {
    const contract = await runningContract(ctx, contractId);
    // Fresh, not from a loader: the notice deadline moves with the clock.
    const preview = await ctx.billwerk.contracts.cancellationPreview(contractId);
    const earliest = isoOf(preview.EndDate);
    if (requested !== undefined && Date.parse(requested) < Date.parse(earliest)) {
      const nextPossible = isoOf(preview.NextPossibleCancellationDate);
      throw invalid(
        'endDate',
        `endDate ${requested} is before the earliest end with notice, ${earliest} (for a cancellation by the next possible cancellation date, ${nextPossible}). Choose ${earliest} or later, or leave endDate out.`,
        { earliestEndDate: earliest, nextPossibleCancellationDate: nextPossible },
      );
    }
    return { contractId, customerId: contract.CustomerId, endDate: requested ?? earliest };
  },
  write: endAt,
};

/** Without notice (admin): any date after the contract's start; none is "now" as of the first request. */
const terminationWithoutNotice: Flow<
  TerminateContractWithoutNoticeInput,
  { contractId: BillwerkId; endDate?: string },
  Ending,
  CancellationPreviewDto
> = {
  operation: 'terminateContractWithoutNotice',
  // Without endDate the key stands for "now" as of the first request (its plan), not of each repeat.
  read: requestedEnding,
  async plan(ctx, { contractId, endDate: requested }) {
    const endDate = requested ?? ctx.now().toISOString();
    const contract = await runningContract(ctx, contractId);
    if (Date.parse(endDate) <= Date.parse(contract.StartDate)) {
      throw invalid(
        'endDate',
        `endDate ${endDate} is not after the contract's start, ${isoOf(contract.StartDate)}; annul the contract to end it at its start.`,
      );
    }
    return { contractId, customerId: contract.CustomerId, endDate };
  },
  write: endAt,
};

/** Annulment (admin): the contract ends at its own start. */
const annulment: Flow<
  AnnulContractInput,
  { contractId: BillwerkId },
  Omit<Ending, 'endDate'>,
  ContractDto
> = {
  operation: 'annulContract',
  read: (input) => ({ contractId: idOf('Contract', input.contractId, 'contractId') }),
  async plan(ctx, { contractId }) {
    const contract = await runningContract(ctx, contractId);
    return { contractId, customerId: contract.CustomerId };
  },
  async write(ctx, steps, plan) {
    try {
      return await steps.step('annul', async (): Promise<ContractDto> => {
        // An earlier attempt's annulation may have gone through with its answer lost.
        if (steps.resumed) {
          const current = await ctx.billwerk.contracts.get(plan.contractId);
          if (current.LifecycleStatus === 'Ended') return current;
        }
        return ctx.billwerk.contracts.annulate(plan.contractId);
      });
    } finally {
      forgetTouched(ctx, plan);
    }
  },
};

@Resolver()
export class TerminationMutation {
  @Query(() => CancellationPreview, {
    description:
      'What terminateContract would do now: the earliest end under the notice period, the next possible cancellation date, the final invoice and the contract after. Changes nothing.',
  })
  async previewTermination(
    @Arg('input', () => PreviewTerminationInput, { description: 'The contract.' })
    input: PreviewTerminationInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<CancellationPreview> {
    const contract = await runningContract(ctx, idOf('Contract', input.contractId, 'contractId'));
    return CancellationPreview.from(
      await ctx.billwerk.contracts.cancellationPreview(answeredId(contract.Id, 'Contract.Id')),
    );
  }

  @Mutation(() => TerminationPayload, {
    description:
      'Terminates a contract with notice: it ends at endDate, by default the earliest end the notice period allows; an earlier endDate is refused with BAD_USER_INPUT.',
  })
  async terminateContract(
    @Arg('input', () => TerminateContractInput, { description: 'The termination.' })
    input: TerminateContractInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TerminationPayload> {
    const { value, replayed } = await runFlow(ctx, termination, input);
    return TerminationPayload.from(value, replayed);
  }

  @Authorized('admin')
  @Mutation(() => TerminationPayload, {
    description:
      'Admin only. Ends a contract on any date after its start without regard to notice (billwerk POST /contracts/{id}/end); a past date ends it at once.',
  })
  async terminateContractWithoutNotice(
    @Arg('input', () => TerminateContractWithoutNoticeInput, { description: 'The termination.' })
    input: TerminateContractWithoutNoticeInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TerminationPayload> {
    const { value, replayed } = await runFlow(ctx, terminationWithoutNotice, input);
    return TerminationPayload.from(value, replayed);
  }

  @Authorized('admin')
  @Mutation(() => AnnulContractPayload, {
    description:
      'Admin only. Annuls a contract: it ends at its own start, as if it never ran, and what was billed is credited (billwerk POST /contracts/{id}/annulate).',
  })
  async annulContract(
    @Arg('input', () => AnnulContractInput, { description: 'The annulation.' }) input: AnnulContractInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<AnnulContractPayload> {
    const { value, replayed } = await runFlow(ctx, annulment, input);
    return AnnulContractPayload.from(value, replayed);
  }
}
