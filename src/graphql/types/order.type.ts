// GraphQL types Order, OrderPreview and CouponResult: what billwerk's order endpoints answer (resources.md
// "Orders"): prices and line items of a signup or change, and the coupon's verdict. Coupon relations: coupon.resolver.ts.
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { type Order as OrderDto, type OrderCoupon } from '../../billwerk/dto.js';
import { Contract } from './contract.type.js';
import { DiscountSubscription } from './discount.type.js';
import { LineItem } from './invoice.type.js';
import { DateTime, Money, openEnum, toDate } from './scalars.js';

export enum OrderType {
  SIGNUP = 'Signup',
  UPGRADE = 'Upgrade',
  UNKNOWN = 'Unknown',
}
registerEnumType(OrderType, {
  name: 'OrderType',
  description: 'Kind of order: a signup, or a change of a contract (billwerk calls every change an Upgrade).',
});

export enum OrderStatus {
  IN_PROGRESS = 'InProgress',
  PAYMENT_PENDING = 'PaymentPending',
  APPROVAL_PENDING = 'ApprovalPending',
  APPROVED = 'Approved',
  DECLINED = 'Declined',
  COMPLETED = 'Completed',
  FAILED = 'Failed',
  ABORTED = 'Aborted',
  EXPIRED = 'Expired',
  INCOMPLETE = 'Incomplete',
  UNKNOWN = 'Unknown',
}
registerEnumType(OrderStatus, {
  name: 'OrderStatus',
  description: "billwerk's order status; UNKNOWN for a status billwerk added after this schema.",
});

@ObjectType({ description: "billwerk's verdict on a coupon code in an order." })
export class CouponResult {
  @Field(() => String, { description: 'The code as billwerk normalised it (upper-case letters and digits).' })
  code!: string;

  @Field(() => Boolean, { description: 'Whether the code is valid for this order.' })
  valid!: boolean;

  @Field(() => String, {
    nullable: true,
    description: "billwerk's error code when invalid, e.g. InvalidCouponCode.",
  })
  errorCode!: string | null;

  @Field(() => String, { nullable: true, description: "billwerk's explanation when invalid." })
  errorMessage!: string | null;

  couponId!: string | null;
  discountId!: string | null;

  static from(dto: OrderCoupon): CouponResult {
    return Object.assign(new CouponResult(), {
      code: dto.CouponCode,
      valid: !dto.ErrorCode,
      errorCode: dto.ErrorCode ?? null,
      errorMessage: dto.ErrorMessage ?? null,
      couponId: dto.CouponId ?? null,
      discountId: dto.DiscountId ?? null,
    });
  }
}

/** The prices both a preview and a placed order show (a base class: not in the schema itself). */
@ObjectType({ description: 'Prices of an order.' })
abstract class OrderPrices {
  @Field(() => OrderType, { description: 'Signup, or a change of an existing contract.' })
  orderType!: OrderType;

  @Field(() => String, { description: 'ISO 4217 currency of the order.' })
  currency!: string;

  @Field(() => Money, { description: 'What the order bills now (or at its change date), before VAT.' })
  totalNet!: Money;

  @Field(() => Money, { description: 'VAT on it.' })
  totalVat!: Money;

  @Field(() => Money, { description: 'Total including VAT.' })
  totalGross!: Money;

  @Field(() => [LineItem], {
    description: 'The lines billed: credits for what is replaced, charges for what is new.',
  })
  lineItems!: LineItem[];

  @Field(() => Money, {
    nullable: true,
    description: 'The next regular invoice after this one, including VAT.',
  })
  nextTotalGross!: Money | null;

  @Field(() => DateTime, { nullable: true, description: 'When that next invoice is due.' })
  nextTotalGrossDate!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'Start of a new contract (signups).' })
  startDate!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When a change takes effect (changes).' })
  changeDate!: Date | null;

  @Field(() => Boolean, { description: 'Whether the contract starts with a trial.' })
  isTrial!: boolean;

  @Field(() => CouponResult, {
    nullable: true,
    description: 'The coupon code of the order and whether it is valid.',
  })
  coupon!: CouponResult | null;

  @Field(() => [DiscountSubscription], { description: 'Discounts the order adds to the contract.' })
  discountSubscriptions!: DiscountSubscription[];

  protected static fill<T extends OrderPrices>(target: T, dto: OrderDto): T {
    const money = (amount: number | null | undefined) =>
      amount === null || amount === undefined ? null : Money.of(amount, dto.Currency);
    return Object.assign(target, {
      orderType: openEnum(OrderType, dto.OrderType, OrderType.UNKNOWN),
      currency: dto.Currency,
      totalNet: Money.of(dto.Total, dto.Currency),
      totalVat: Money.of(dto.TotalVat, dto.Currency),
      totalGross: Money.of(dto.TotalGross, dto.Currency),
      lineItems: (dto.LineItems ?? []).map((item) => LineItem.from(item, dto.Currency)),
      nextTotalGross: money(dto.NextTotalGross),
      nextTotalGrossDate: toDate(dto.NextTotalGrossDate),
      startDate: toDate(dto.StartDate),
      changeDate: toDate(dto.ChangeDate),
      isTrial: dto.IsTrial ?? false,
      coupon: dto.Coupon ? CouponResult.from(dto.Coupon) : null,
      discountSubscriptions: (dto.DiscountSubscriptions ?? []).map((item) => DiscountSubscription.from(item)),
    });
  }
}

@ObjectType({ description: 'What an order would cost and do; billwerk stored nothing.' })
export class OrderPreview extends OrderPrices {
  @Field(() => Contract, {
    nullable: true,
    description: 'The contract as it would be after the order, when billwerk includes it.',
  })
  contractAfter!: Contract | null;

  static from(dto: OrderDto): OrderPreview {
    const preview = OrderPrices.fill(new OrderPreview(), dto);
    preview.contractAfter = dto.Contract ? Contract.from(dto.Contract) : null;
    return preview;
  }
}

@ObjectType({ description: 'An order billwerk placed and committed.' })
export class Order extends OrderPrices {
  @Field(() => ID, { description: 'The id billwerk uses.' })
  billwerkId!: string;

  @Field(() => OrderStatus, { description: 'Status of the order.' })
  status!: OrderStatus;

  @Field(() => DateTime, { nullable: true, description: 'When the order was created.' })
  createdAt!: Date | null;

  static from(dto: OrderDto): Order {
    const order = OrderPrices.fill(new Order(), dto);
    return Object.assign(order, {
      billwerkId: dto.Id,
      status: openEnum(OrderStatus, dto.Status, OrderStatus.UNKNOWN),
      createdAt: toDate(dto.CreatedAt),
    });
  }
}
