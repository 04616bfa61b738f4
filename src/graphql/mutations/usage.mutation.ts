// Mutation reportUsage: POST /contracts/{id}/usage per record (flows.md §8), each a recorded step with
// billwerk's own dedupe Key set, so neither a retry nor a lost answer records usage twice.
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { MeteredUsage, MeteredUsageInput } from '../../billwerk/dto.js';
import { type GraphQLContext } from '../context.js';
import { idempotent } from '../../idempotency/idempotent.js';
import { ReportUsagePayload } from '../types/mutation.payload.js';
import { forgetTouched } from './order.flow.js';
import { ReportUsageInput } from '../inputs/usage.input.js';
import { componentOf, existingContract, idOf, invalid, positive, text } from './validate.js';

export const MAX_USAGE_RECORDS = 100;

@Resolver()
export class UsageMutation {
  @Mutation(() => ReportUsagePayload, {
    description:
      "Records metered usage for a contract; it is billed with the contract's next billing run. billwerk has no preview for usage.",
  })
  async reportUsage(
    @Arg('input', () => ReportUsageInput, { description: 'The usage.' }) input: ReportUsageInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ReportUsagePayload> {
    const contractId = idOf('Contract', input.contractId, 'contractId');
    if (input.records.length === 0 || input.records.length > MAX_USAGE_RECORDS) {
      throw invalid('records', `records must hold 1 to ${MAX_USAGE_RECORDS} entries.`);
    }
    const records = input.records.map((record, index) => ({
      componentId: idOf('Component', record.componentId, `records[${index}].componentId`),
      quantity: positive(record.quantity, `records[${index}].quantity`),
      dueDate: record.dueDate?.toISOString(),
      memo: text(record.memo, `records[${index}].memo`, 500),
      key: text(record.key, `records[${index}].key`, 100),
    }));
    const { value, replayed } = await idempotent(ctx, {
      operation: 'reportUsage',
      input: { contractId, records },
      key: input.idempotencyKey,
      run: async (steps) => {
        const plan = await steps.step('plan', async () => {
          const contract = await existingContract(ctx, contractId);
          await Promise.all(
            records.map((record, index) =>
              componentOf(
                ctx,
                record.componentId,
                contract.PlanGroupId,
                'usage',
                `records[${index}].componentId`,
              ),
            ),
          );
          // Without a dueDate the usage is due at the first request, not at each retry.
          const dueDate = ctx.now().toISOString();
          return { contractId, dueDate };
        });
        const stored: MeteredUsage[] = [];
        try {
          for (const [index, record] of records.entries()) {
            const body: MeteredUsageInput = {
              ComponentId: record.componentId,
              Quantity: record.quantity,
              DueDate: record.dueDate ?? plan.dueDate,
              Key: record.key ?? `gw-${steps.keyHash}-${index}`,
              ...(record.memo !== undefined ? { Memo: record.memo } : {}),
            };
            stored.push(
              await steps.step(`usage${index}`, () => ctx.billwerk.contracts.reportUsage(contractId, body)),
            );
          }
        } finally {
          forgetTouched(ctx, { contractId });
        }
        return stored;
      },
    });
    return ReportUsagePayload.from(value, replayed);
  }
}
