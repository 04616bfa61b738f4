// The payloads mutations return, each built from the billwerk DTOs an attempt stored (so a replay
// rebuilds the same answer) plus `replayed`. Relations of the entities inside resolve live, as in queries.
import { Field, ObjectType } from 'type-graphql';
import type {
  CancellationPreview as CancellationPreviewDto,
  Contract as ContractDto,
  Customer as CustomerDto,
  MeteredUsage,
  Order as OrderDto,
} from '../../billwerk/dto.js';
import { InvoicePreview } from './cancellation-preview.type.js';
import { Contract } from './contract.type.js';
import { Customer } from './customer.type.js';
import { CouponResult, Order } from './order.type.js';
import { DateTime, toDate } from './scalars.js';
import { UsageRecord } from './usage-record.type.js';

const REPLAYED = 'True when this is the stored result of an earlier request with the same idempotency key.';

/** What an order-based mutation stores: the order as billwerk last answered it, and the contract after. */
export interface OrderOutcome {
  order: OrderDto;
  contract: ContractDto;
}

@ObjectType({ description: 'A new contract from signup.' })
export class SignupPayload {
  @Field(() => Contract, { description: 'The new contract.' })
  contract!: Contract;

  @Field(() => Customer, { description: 'Its customer: the new one, or the existing one named.' })
  customer!: Customer;

  @Field(() => Order, { description: 'The committed signup order with its prices.' })
  order!: Order;

  @Field(() => Boolean, { description: REPLAYED })
  replayed!: boolean;

  static from(stored: OrderOutcome & { customer: CustomerDto }, replayed: boolean): SignupPayload {
    return Object.assign(new SignupPayload(), {
      contract: Contract.from(stored.contract),
      customer: Customer.from(stored.customer),
      order: Order.from(stored.order),
      replayed,
    });
  }
}

/** The shape shared by the payloads of change orders (a base class: not in the schema itself). */
@ObjectType({ description: 'A committed change order and the contract after it.' })
abstract class ContractOrderPayload {
  @Field(() => Contract, {
    description: 'The contract after the commit (future changes show as later phases).',
  })
  contract!: Contract;

  @Field(() => Order, { description: 'The committed change order with its prices.' })
  order!: Order;

  @Field(() => Boolean, { description: REPLAYED })
  replayed!: boolean;

  protected static fill<T extends ContractOrderPayload>(
    target: T,
    stored: OrderOutcome,
    replayed: boolean,
  ): T {
    return Object.assign(target, {
      contract: Contract.from(stored.contract),
      order: Order.from(stored.order),
      replayed,
    });
  }
}

@ObjectType({ description: 'A contract moved to another plan variant, now or at its change date.' })
export class ChangePlanPayload extends ContractOrderPayload {
  static from(stored: OrderOutcome, replayed: boolean): ChangePlanPayload {
    return ContractOrderPayload.fill(new ChangePlanPayload(), stored, replayed);
  }
}

@ObjectType({ description: 'Components added, re-quantified or ended on a contract.' })
export class ChangeComponentSubscriptionsPayload extends ContractOrderPayload {
  static from(stored: OrderOutcome, replayed: boolean): ChangeComponentSubscriptionsPayload {
    return ContractOrderPayload.fill(new ChangeComponentSubscriptionsPayload(), stored, replayed);
  }
}

@ObjectType({ description: 'A coupon redeemed on a contract.' })
export class ApplyCouponPayload extends ContractOrderPayload {
  @Field(() => CouponResult, { description: 'The coupon and the discount it granted.' })
  coupon!: CouponResult;

  static from(stored: OrderOutcome, replayed: boolean): ApplyCouponPayload {
    const payload = ContractOrderPayload.fill(new ApplyCouponPayload(), stored, replayed);
    payload.coupon = CouponResult.from(stored.order.Coupon ?? { CouponCode: '' });
    return payload;
  }
}

@ObjectType({ description: 'A contract set to end: with notice, or (admins) on any date.' })
export class TerminationPayload {
  @Field(() => Contract, {
    description: 'The contract as it is now: end date set, an Inactive phase from then.',
  })
  contract!: Contract;

  @Field(() => DateTime, { description: 'When the contract ends.' })
  endDate!: Date;

  @Field(() => DateTime, {
    nullable: true,
    description: 'The next possible cancellation date under the notice period, as billwerk computed it.',
  })
  nextPossibleCancellationDate!: Date | null;

  @Field(() => InvoicePreview, { nullable: true, description: 'The final settlement, if any.' })
  finalInvoice!: InvoicePreview | null;

  @Field(() => Boolean, { description: REPLAYED })
  replayed!: boolean;

  static from(stored: CancellationPreviewDto, replayed: boolean): TerminationPayload {
    return Object.assign(new TerminationPayload(), {
      contract: Contract.from(stored.ContractAfter),
      endDate: toDate(stored.EndDate) ?? new Date(0),
      nextPossibleCancellationDate: toDate(stored.NextPossibleCancellationDate),
      finalInvoice: stored.Invoice ? InvoicePreview.from(stored.Invoice) : null,
      replayed,
    });
  }
}

@ObjectType({ description: 'An annulled contract: ended at its own start, as if it never ran.' })
export class AnnulContractPayload {
  @Field(() => Contract, { description: 'The contract, ended at its start date.' })
  contract!: Contract;

  @Field(() => Boolean, { description: REPLAYED })
  replayed!: boolean;

  static from(stored: ContractDto, replayed: boolean): AnnulContractPayload {
    return Object.assign(new AnnulContractPayload(), { contract: Contract.from(stored), replayed });
  }
}

@ObjectType({ description: 'Metered usage recorded for a contract.' })
export class ReportUsagePayload {
  @Field(() => [UsageRecord], { description: 'The records billwerk stored, in input order.' })
  usageRecords!: UsageRecord[];

  @Field(() => Boolean, { description: REPLAYED })
  replayed!: boolean;

  static from(stored: MeteredUsage[], replayed: boolean): ReportUsagePayload {
    return Object.assign(new ReportUsagePayload(), {
      usageRecords: stored.map((dto) => UsageRecord.from(dto)),
      replayed,
    });
  }
}
