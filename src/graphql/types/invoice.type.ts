// GraphQL types Invoice and LineItem: billed documents (invoices and credit notes) and their lines.
import { Field, Float, ID, ObjectType } from 'type-graphql';
import { type Invoice as InvoiceDto, type InvoiceItem as InvoiceItemDto } from '../../billwerk/dto.js';
import { ConnectionOf } from '../relay/connection.js';
import { Node, toGlobalId } from '../relay/node.js';
import { DateTime, Money, toDate } from './scalars.js';

@ObjectType({ description: 'One line of an invoice or of a price preview.' })
export class LineItem {
  @Field(() => String, { description: 'What the line charges or credits.' })
  description!: string;

  @Field(() => Float, { description: 'Quantity charged.' })
  quantity!: number;

  @Field(() => Money, { description: 'Price per unit (net).' })
  unitPrice!: Money;

  @Field(() => Money, { description: 'Line total, net.' })
  totalNet!: Money;

  @Field(() => Money, { nullable: true, description: 'Line total including VAT, when billwerk states it.' })
  totalGross!: Money | null;

  @Field(() => DateTime, { nullable: true, description: 'Start of the period this line covers.' })
  periodStart!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'End of the period this line covers.' })
  periodEnd!: Date | null;

  static from(dto: InvoiceItemDto, currency: string): LineItem {
    return Object.assign(new LineItem(), {
      description: dto.Description,
      quantity: dto.Quantity,
      unitPrice: Money.of(dto.PricePerUnit, currency),
      totalNet: Money.of(dto.TotalNet, currency),
      totalGross: dto.TotalGross === undefined ? null : Money.of(dto.TotalGross, currency),
      periodStart: toDate(dto.PeriodStart),
      periodEnd: toDate(dto.PeriodEnd),
    });
  }
}

@ObjectType({ implements: Node, description: 'An invoice or credit note billwerk issued.' })
export class Invoice implements Node {
  @Field(() => ID, { description: 'Global id: `gid://billwerk/Invoice/<billwerk id>`.' })
  id!: string;

  @Field(() => ID, { description: 'The id billwerk uses.' })
  billwerkId!: string;

  @Field(() => String, { description: 'Invoice number as printed.' })
  invoiceNumber!: string;

  @Field(() => Boolean, { description: 'Whether this is a credit note rather than an invoice.' })
  isCreditNote!: boolean;

  @Field(() => DateTime, { nullable: true, description: 'Document date.' })
  documentDate!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When payment is due.' })
  dueDate!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When billwerk created it.' })
  createdAt!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When it was sent to the customer.' })
  sentAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Name of the recipient as printed.' })
  recipientName!: string | null;

  @Field(() => Money, { description: 'Total before VAT.' })
  totalNet!: Money;

  @Field(() => Money, { description: 'VAT.' })
  totalVat!: Money;

  @Field(() => Money, { description: 'Total including VAT.' })
  totalGross!: Money;

  @Field(() => [LineItem], { description: 'The lines, when billwerk includes them.' })
  lineItems!: LineItem[];

  customerId!: string;
  contractId!: string | null;

  static from(dto: InvoiceDto): Invoice {
    // IsInvoice sometimes arrives as a string; false marks a credit note [inferred].
    const isInvoice =
      typeof dto.IsInvoice === 'string' ? dto.IsInvoice.toLowerCase() !== 'false' : dto.IsInvoice;
    return Object.assign(new Invoice(), {
      id: toGlobalId('Invoice', dto.Id),
      billwerkId: dto.Id,
      invoiceNumber: dto.InvoiceNumber,
      isCreditNote: !isInvoice,
      documentDate: toDate(dto.DocumentDate),
      dueDate: toDate(dto.DueDate),
      createdAt: toDate(dto.Created),
      sentAt: toDate(dto.SentAt),
      recipientName: dto.RecipientName ?? null,
      totalNet: Money.of(dto.TotalNet, dto.Currency),
      totalVat: Money.of(dto.TotalVat, dto.Currency),
      totalGross: Money.of(dto.TotalGross, dto.Currency),
      lineItems: (dto.ItemList ?? []).map((item) => LineItem.from(item, dto.Currency)),
      customerId: dto.CustomerId,
      contractId: dto.ContractId ?? null,
    });
  }
}

@ObjectType({ description: 'A page of invoices.' })
export class InvoiceConnection extends ConnectionOf(Invoice, 'Invoice') {}
