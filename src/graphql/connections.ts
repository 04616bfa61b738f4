// The Relay connection types of the schema, one per paged list.
import { ObjectType } from 'type-graphql';
import { ConnectionOf } from './connection.js';
import { Contract } from './types/contract.type.js';
import { Customer } from './types/customer.type.js';
import { Invoice } from './types/invoice.type.js';

@ObjectType({ description: 'A page of customers.' })
export class CustomerConnection extends ConnectionOf(Customer, 'Customer') {}

@ObjectType({ description: 'A page of contracts.' })
export class ContractConnection extends ConnectionOf(Contract, 'Contract') {}

@ObjectType({ description: 'A page of invoices.' })
export class InvoiceConnection extends ConnectionOf(Invoice, 'Invoice') {}
