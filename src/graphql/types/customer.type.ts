// GraphQL type Customer: a billwerk customer (a person or company that owns contracts and invoices).
// Relations (contracts, invoices) are resolved lazily in customer.resolver.ts.
import { Field, ID, ObjectType } from 'type-graphql';
import { type Customer as CustomerDto } from '../../billwerk/dto.js';
import { ConnectionOf } from '../relay/connection.js';
import { Node, toGlobalId } from '../relay/node.js';
import { DateTime, JSONObject, toDate } from './scalars.js';
import { answeredId, type BillwerkId } from '../../billwerk/id.js';

@ObjectType({ description: 'A postal address.' })
export class Address {
  @Field(() => String, { nullable: true, description: 'Street name.' })
  street!: string | null;

  @Field(() => String, { nullable: true, description: 'House number.' })
  houseNumber!: string | null;

  @Field(() => String, { nullable: true, description: 'Postal code.' })
  postalCode!: string | null;

  @Field(() => String, { nullable: true, description: 'City.' })
  city!: string | null;

  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2 country code.' })
  country!: string | null;
}

@ObjectType({ implements: Node, description: 'A billwerk customer: owns contracts and receives invoices.' })
export class Customer implements Node {
  @Field(() => ID, { description: 'Global id: `gid://billwerk/Customer/<billwerk id>`.' })
  id!: string;

  @Field(() => ID, { description: 'The id billwerk uses (24 hex digits).' })
  billwerkId!: BillwerkId;

  @Field(() => String, { nullable: true, description: "The id of this customer in the caller's own system." })
  externalId!: string | null;

  @Field(() => String, {
    description: 'Name to show: company, or first and last name, or the email address.',
  })
  displayName!: string;

  @Field(() => String, { nullable: true, description: 'Company name, for business customers.' })
  companyName!: string | null;

  @Field(() => String, { nullable: true, description: 'First name.' })
  firstName!: string | null;

  @Field(() => String, { nullable: true, description: 'Last name.' })
  lastName!: string | null;

  @Field(() => String, { nullable: true, description: 'Email address.' })
  emailAddress!: string | null;

  @Field(() => String, { nullable: true, description: 'Phone number.' })
  phoneNumber!: string | null;

  @Field(() => String, { nullable: true, description: 'VAT id, for business customers.' })
  vatId!: string | null;

  @Field(() => String, { nullable: true, description: 'Preferred language, e.g. de-DE.' })
  language!: string | null;

  @Field(() => String, { nullable: true, description: 'billwerk customer type, e.g. Consumer or Business.' })
  customerType!: string | null;

  @Field(() => String, { nullable: true, description: 'Debitor account number used in accounting exports.' })
  debitorAccount!: string | null;

  @Field(() => Address, { nullable: true, description: 'Postal address.' })
  address!: Address | null;

  @Field(() => JSONObject, { description: 'Custom fields as configured in billwerk (open-ended).' })
  customFields!: Record<string, unknown>;

  @Field(() => Boolean, { description: 'Whether billwerk has locked the customer.' })
  isLocked!: boolean;

  @Field(() => DateTime, { nullable: true, description: 'When the customer was created.' })
  createdAt!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When the customer was deleted, if it was.' })
  deletedAt!: Date | null;

  static from(dto: CustomerDto): Customer {
    const personal = [dto.FirstName, dto.LastName].filter(Boolean).join(' ');
    const displayName = dto.CompanyName || dto.CustomerName || personal || dto.EmailAddress || dto.Id;
    const a = dto.Address;
    return Object.assign(new Customer(), {
      id: toGlobalId('Customer', dto.Id),
      billwerkId: answeredId(dto.Id, 'Customer.Id'),
      externalId: dto.ExternalCustomerId ?? null,
      displayName,
      companyName: dto.CompanyName || null,
      firstName: dto.FirstName ?? null,
      lastName: dto.LastName ?? null,
      emailAddress: dto.EmailAddress ?? null,
      phoneNumber: dto.PhoneNumber ?? null,
      vatId: dto.VatId ?? null,
      language: dto.Language ?? null,
      customerType: dto.CustomerType ?? null,
      debitorAccount: dto.DebitorAccount ?? null,
      address: a
        ? Object.assign(new Address(), {
            street: a.Street ?? null,
            houseNumber: a.HouseNumber ?? null,
            postalCode: a.PostalCode ?? null,
            city: a.City ?? null,
            country: a.Country ?? null,
          })
        : null,
      customFields: dto.CustomFields ?? {},
      isLocked: dto.IsLocked ?? false,
      createdAt: toDate(dto.CreatedAt),
      deletedAt: toDate(dto.DeletedAt),
    });
  }
}

@ObjectType({ description: 'A page of customers.' })
export class CustomerConnection extends ConnectionOf(Customer, 'Customer') {}
