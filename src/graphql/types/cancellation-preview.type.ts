// GraphQL types CancellationPreview and InvoicePreview: what terminating with notice would do, from
// billwerk's cancellationPreview (resources.md; flows.md §5). Nothing is changed by reading it.
import { Field, ObjectType } from 'type-graphql';
import {
  type CancellationPreview as CancellationPreviewDto,
  type InvoicePreview as InvoicePreviewDto,
} from '../../billwerk/dto.js';
import { Contract } from './contract.type.js';
import { LineItem } from './invoice.type.js';
import { DateTime, Money, toDate } from './scalars.js';

@ObjectType({ description: 'Prices of something that has not been billed yet.' })
export class InvoicePreview {
  @Field(() => Money, { description: 'Total before VAT.' })
  totalNet!: Money;

  @Field(() => Money, { description: 'VAT.' })
  totalVat!: Money;

  @Field(() => Money, { description: 'Total including VAT.' })
  totalGross!: Money;

  @Field(() => [LineItem], { description: 'The lines.' })
  lineItems!: LineItem[];

  static from(dto: InvoicePreviewDto): InvoicePreview {
    return Object.assign(new InvoicePreview(), {
      totalNet: Money.of(dto.TotalNet, dto.Currency),
      totalVat: Money.of(dto.TotalVat, dto.Currency),
      totalGross: Money.of(dto.TotalGross, dto.Currency),
      lineItems: (dto.ItemList ?? []).map((item) => LineItem.from(item, dto.Currency)),
    });
  }
}

@ObjectType({ description: 'What a termination with notice would do if requested at the given time.' })
export class CancellationPreview {
  @Field(() => DateTime, {
    description: 'When the contract would end: the earliest end under its term and notice period.',
  })
  endDate!: Date;

  @Field(() => DateTime, {
    description:
      'Cancel before this moment to keep `endDate`; a later cancellation moves the end to the next possible date.',
  })
  nextPossibleCancellationDate!: Date;

  @Field(() => InvoicePreview, { nullable: true, description: 'The final settlement, if any.' })
  finalInvoice!: InvoicePreview | null;

  @Field(() => Contract, { description: 'The contract as it would be after the termination.' })
  contractAfter!: Contract;

  static from(dto: CancellationPreviewDto): CancellationPreview {
    return Object.assign(new CancellationPreview(), {
      endDate: toDate(dto.EndDate) ?? new Date(0),
      nextPossibleCancellationDate: toDate(dto.NextPossibleCancellationDate) ?? new Date(0),
      finalInvoice: dto.Invoice ? InvoicePreview.from(dto.Invoice) : null,
      contractAfter: Contract.from(dto.ContractAfter),
    });
  }
}
