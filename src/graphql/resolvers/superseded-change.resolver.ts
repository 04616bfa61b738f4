// What reconciliation dropped as superseded (admin only): contract changes billwerk replaced or deleted
// before they took effect.
import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { MAX_SUPERSEDED_KEPT, readSuperseded } from '../../events/reconcile-state.js';
import { type GraphQLContext } from '../context.js';
import { pageSize, MAX_PAGE_SIZE } from '../relay/connection.js';
import { optionalBillwerkIdOf } from '../relay/node.js';
import { SupersededChange } from '../types/superseded-change.type.js';

@Resolver(() => SupersededChange)
export class SupersededChangeResolver {
  @Authorized('admin')
  @Query(() => [SupersededChange], {
    description:
      'Contract changes the reconciliation sweep found but dropped, newest first (admin only): billwerk replaced ' +
      `or deleted them before they took effect, so no notice was published for them. Keeps the newest ${MAX_SUPERSEDED_KEPT}.`,
  })
  async supersededChanges(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 20, description: `How many (1 to ${MAX_PAGE_SIZE}).` })
    first: number,
    @Arg('contractId', () => ID, { nullable: true, description: 'Only this contract.' })
    contractId?: string | null,
  ): Promise<SupersededChange[]> {
    pageSize(first);
    const contract = optionalBillwerkIdOf('Contract', contractId, 'contractId');
    const records = await readSuperseded(ctx.eventLog);
    return records
      .filter((record) => contract === undefined || record.contractId === contract)
      .slice(0, first)
      .map((record) => SupersededChange.from(record));
  }
}
