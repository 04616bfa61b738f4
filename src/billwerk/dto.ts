// billwerk REST API v1 data transfer objects, PascalCase as billwerk sends them.
// Shared by the client (billwerk/) and the emulator; source: ../shared/billwerk/resources.md.
// Every enum is an open set (billwerk adds values), so string unions end in `(string & {})`.

/** An open string enum: the known values for autocompletion, any other string accepted. */
export type Open<T extends string> = T | (string & {});

/** ISO-8601 UTC timestamp, any fraction precision (billwerk writes 7 digits). */
export type IsoDate = string;

/** 24-hex MongoDB ObjectId. */
export type Id = string;

/** Text keyed by culture; `_c` is the default culture. */
export interface LocalizedText {
  _c?: string;
  [culture: string]: string | undefined;
}

export type PeriodUnit = Open<'Minute' | 'Hour' | 'Day' | 'Week' | 'Month' | 'Year'>;

export interface Period {
  Unit: PeriodUnit;
  Quantity: number;
}

export type CustomFields = Record<string, unknown>;

export interface Address {
  Street?: string;
  HouseNumber?: string;
  PostalCode?: string;
  City?: string;
  Country?: string;
}

export interface Customer {
  Id: Id;
  CreatedAt: IsoDate;
  DeletedAt?: IsoDate | null;
  ExternalCustomerId?: string | null;
  DebitorAccount?: string;
  CustomerName?: string;
  CompanyName?: string;
  FirstName?: string;
  LastName?: string;
  EmailAddress?: string;
  PhoneNumber?: string;
  VatId?: string;
  Language?: string;
  CustomerType?: Open<'Consumer' | 'Business'>;
  DefaultBearerMedium?: Open<'Email' | 'Mail'>;
  Address?: Address;
  CustomFields?: CustomFields;
  IsLocked?: boolean;
  IsDeletable?: boolean;
}

/** Fields a caller sends to create a customer (POST /customers, or `Customer` in an order). */
export type CustomerInput = Partial<Omit<Customer, 'Id' | 'CreatedAt' | 'DeletedAt' | 'IsDeletable'>>;

export type LifecycleStatus = Open<
  | 'Undefined'
  | 'Draft'
  | 'InOrderProcess'
  | 'InTrial'
  | 'TrialExpired'
  | 'Active'
  | 'Ended'
  | 'TemporarilyInactive'
>;

export type PhaseType = Open<'Normal' | 'Trial' | 'Inactive'>;

export interface ContractPhase {
  Type: PhaseType;
  StartDate: IsoDate;
  PlanVariantId?: Id | null;
  PlanId?: Id | null;
  Quantity?: number | null;
  InheritStartDate?: boolean;
}

export interface PaymentBearer {
  Type: Open<'CreditCard' | 'BankAccount'>;
  Holder?: string;
  Last4?: string;
  Account?: string;
  [key: string]: unknown;
}

export interface Contract {
  Id: Id;
  CustomerId: Id;
  CustomerName?: string;
  PlanGroupId?: Id;
  PlanId?: Id;
  PlanVariantId?: Id;
  ReferenceCode?: string;
  ExternalId?: string | null;
  Currency: string;
  Notes?: string | null;
  PaymentProvider?: string | null;
  PaymentProviderRole?: string | null;
  LifecycleStatus: LifecycleStatus;
  StartDate: IsoDate;
  EndDate?: IsoDate | null;
  BilledUntil?: IsoDate | null;
  LastBillingDate?: IsoDate | null;
  NextBillingDate?: IsoDate | null;
  TrialEndDate?: IsoDate | null;
  Phases: ContractPhase[];
  CurrentPhase?: ContractPhase | null;
  Balance?: number;
  PaymentBearer?: PaymentBearer | null;
  CustomFields?: CustomFields;
  BillingSuspended?: boolean;
  RecurringPaymentsPaused?: boolean;
  IsDeletable?: boolean;
}

/** Data fields a caller may change with PUT/PATCH /contracts/{id} (fires ContractDataChanged). */
export interface ContractPatch {
  Notes?: string | null;
  CustomFields?: CustomFields;
  ExternalId?: string | null;
  EndDate?: IsoDate | null;
}

/** GET /contracts/{id}/subscriptions: the active parts of a contract; exact shape [inferred]. */
export interface ContractSubscriptions {
  /** The current phase's plan variant; null once the contract has ended. */
  PlanVariant?: ContractPhase | null;
  ComponentSubscriptions?: ComponentSubscription[];
  DiscountSubscriptions?: DiscountSubscription[];
  [key: string]: unknown;
}

export interface InvoiceItem {
  Description: string;
  Quantity: number;
  PricePerUnit: number;
  TotalNet: number;
  TotalVat?: number;
  TotalGross?: number;
  PeriodStart?: IsoDate | null;
  PeriodEnd?: IsoDate | null;
  ProductId?: Id | null;
}

export interface InvoicePreview {
  Currency: string;
  TotalNet: number;
  TotalVat: number;
  TotalGross: number;
  ItemList: InvoiceItem[];
}

export interface CancellationPreview {
  EndDate: IsoDate;
  NextPossibleCancellationDate: IsoDate;
  CancellationDate?: IsoDate | null;
  Invoice?: InvoicePreview | null;
  ContractAfter: Contract;
}

/** Known change types; billwerk adds new ones (webhooks.md "Change types"). */
export type ContractChangeType = Open<
  | 'Signup'
  | 'Upgrade'
  | 'TrialEndChange'
  | 'ComponentSubscriptionChange'
  | 'DiscountSubscriptionChange'
  | 'Timebased'
  | 'EndContract'
  | 'Annulation'
  | 'Pause'
  | 'Resume'
  | 'ExternalSubscriptionSync'
>;

export interface ContractChange {
  Id: Id;
  Type: ContractChangeType;
  Timestamp: IsoDate;
  OrderId?: Id | null;
  ContractId: Id;
  ChangeDate: IsoDate;
  NewPlanVariantId?: Id | null;
  NewPlanId?: Id | null;
  /** Details of component, discount or pause changes; shape [inferred]. */
  Details?: Record<string, unknown>;
  Contract?: Contract;
}

export interface ComponentSubscription {
  Id: Id;
  ContractId: Id;
  CustomerId: Id;
  ComponentId: Id;
  Quantity: number;
  StartDate: IsoDate;
  EndDate?: IsoDate | null;
  BilledUntil?: IsoDate | null;
  Memo?: string | null;
}

export interface DiscountSubscription {
  Id: Id;
  ContractId?: Id;
  DiscountId: Id;
  CouponId?: Id | null;
  CouponCode?: string | null;
  StartDate: IsoDate;
  EndDate?: IsoDate | null;
}

export interface MeteredUsage {
  Id: Id;
  ContractId: Id;
  ComponentId: Id;
  Quantity: number;
  DueDate: IsoDate;
  Memo?: string | null;
  Key?: string | null;
  TransferredAt: IsoDate;
  BilledOn?: IsoDate | null;
  BilledInvoiceId?: Id | null;
}

export interface MeteredUsageInput {
  ComponentId: Id;
  Quantity: number;
  DueDate?: IsoDate;
  Memo?: string;
  Key?: string;
}

export interface ComponentSubscriptionInput {
  ComponentId: Id;
  Quantity?: number;
  StartDate?: IsoDate;
  BilledUntil?: IsoDate;
  EndDate?: IsoDate;
  Memo?: string;
}

export interface Cart {
  PlanVariantId?: Id;
  PlanId?: Id;
  Quantity?: number;
  InheritStartDate?: boolean;
  CouponCode?: string;
  ComponentSubscriptions?: { ComponentId: Id; Quantity: number; StartDate?: IsoDate }[];
  /** Component subscription ids, or component ids (which end every subscription of that component). */
  EndComponentSubscriptions?: Id[];
  MeteredUsages?: MeteredUsageInput[];
  DiscountSubscriptions?: { DiscountId: Id; StartDate?: IsoDate }[];
}

/** An order names exactly one target: Customer (new), CustomerId (existing) or ContractId (change). */
export interface OrderInput {
  Customer?: CustomerInput;
  CustomerId?: Id;
  ContractId?: Id;
  StartDate?: IsoDate;
  EndDate?: IsoDate;
  BilledUntil?: IsoDate;
  ChangeDate?: IsoDate;
  TriggerInterimBilling?: boolean;
  PreviewAfterTrial?: boolean;
  ContractCustomFields?: CustomFields;
  CustomFields?: CustomFields;
  Cart: Cart;
}

export type OrderStatus = Open<
  | 'InProgress'
  | 'PaymentPending'
  | 'ApprovalPending'
  | 'Approved'
  | 'Declined'
  | 'Completed'
  | 'Failed'
  | 'Aborted'
  | 'Expired'
  | 'Incomplete'
>;

export interface OrderCoupon {
  CouponCode: string;
  CouponId?: Id;
  DiscountId?: Id;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface Order {
  Id: Id;
  Status: OrderStatus;
  OrderType: Open<'Signup' | 'Upgrade'>;
  CustomerId: Id;
  ContractId: Id;
  PlanVariantId?: Id | null;
  PlanId?: Id | null;
  PlanName?: string | null;
  PlanVariantName?: string | null;
  Currency: string;
  IsTrial?: boolean;
  TrialEndPolicy?: string | null;
  AllowWithoutPaymentData?: boolean;
  Total: number;
  TotalVat: number;
  TotalGross: number;
  NextTotalGross?: number | null;
  NextTotalGrossDate?: IsoDate | null;
  CreatedAt: IsoDate;
  ChangeDate?: IsoDate | null;
  StartDate?: IsoDate | null;
  LineItems: InvoiceItem[];
  ComponentSubscriptions?: ComponentSubscriptionInput[];
  DiscountSubscriptions?: DiscountSubscription[];
  MeteredUsages?: MeteredUsageInput[];
  Contract?: Contract;
  Customer?: Customer | CustomerInput;
  Coupon?: OrderCoupon | null;
}

/** Body of POST /orders/{id}/commit: `{}` reuses payment data on file; the field name is [inferred]. */
export interface OrderCommitInput {
  /** e.g. `None:None`, `InvoicePayment`, `OnAccount:PayOne`. */
  PaymentMethod?: string;
  [key: string]: unknown;
}

export interface OrderPreview {
  Order: Order;
}

export interface PlanGroup {
  Id: Id;
  Name: LocalizedText;
  Currency: string;
  PriceTaxType?: Open<'Net' | 'Gross'>;
  TaxPolicyId?: Id;
  TimeGranularity?: string;
}

export interface Plan {
  Id: Id;
  PlanGroupId: Id;
  Name: LocalizedText;
  PlanDescription?: LocalizedText;
  TrialPeriod?: Period | null;
  TrialEndPolicy?: Open<'NoTrial' | 'DeactivateAccount' | 'RequestPayment'>;
  IsQuantityBased?: boolean;
  RequiresOrderApproval?: boolean;
  Hidden?: boolean;
}

export interface PlanVariant {
  Id: Id;
  PlanId: Id;
  PlanGroupId: Id;
  InternalName: string;
  ExternalId?: string | null;
  Hidden?: boolean;
  AllowWithoutPaymentData?: boolean;
  RecurringFee: number;
  SetupFee?: number;
  /** Minimum term. */
  ContractPeriod?: Period | null;
  /** Notice period. */
  CancellationPeriod?: Period | null;
  LaterContractPeriod?: Period | null;
  LaterCancellationPeriod?: Period | null;
  /** How often the contract is billed. */
  BillingPeriod: Period;
  /** The period the recurring fee refers to. */
  FeePeriod: Period;
  PaymentPeriodMode?: Open<'PrePaid' | 'PostPaid' | 'PrePaidBillingPeriod'>;
  Quota?: { ComponentId: Id; Quota: number }[];
}

export type ComponentType = Open<'QuantityBased' | 'OnOff' | 'Metered'>;

export interface PriceScaleItem {
  From: number;
  Value: number;
  IsBucketPrice?: boolean;
}

export interface Component {
  Id: Id;
  PlanGroupId: Id;
  ComponentType: ComponentType;
  Name: LocalizedText;
  ExternalId?: string | null;
  PricePerUnit: number;
  PriceScale?: { IsCumulative: boolean; Items: PriceScaleItem[] } | null;
  FeePeriod?: Period | null;
  Prorate?: boolean;
  TaxPolicyId?: Id;
  BillInTrial?: boolean;
  IncludeInInterimBilling?: boolean;
}

export interface Discount {
  Id: Id;
  PlanGroupId: Id;
  InternalName: string;
  Duration?: Period | null;
  Effect: {
    Type: Open<'ReductionPercent' | 'ReductionAbsolute'>;
    ReductionPercent?: number;
    Reduction?: number;
  };
  IncludeSetup?: boolean;
}

export interface Coupon {
  Id: Id;
  PlanGroupId: Id;
  DiscountId: Id;
  InternalName: string;
  Code?: string;
  Active: boolean;
  Enabled: boolean;
  IsSingleUse?: boolean;
  ValidFrom?: IsoDate | null;
  ValidUntil?: IsoDate | null;
}

export interface ProductInfo {
  PlanGroups: PlanGroup[];
  Plans: Plan[];
  PlanVariants: PlanVariant[];
  Components: Component[];
  Discounts: Discount[];
  Coupons: Coupon[];
}

export interface Invoice {
  Id: Id;
  InvoiceNumber: string;
  CustomerId: Id;
  ContractId?: Id | null;
  ExternalCustomerId?: string | null;
  Created: IsoDate;
  SentAt?: IsoDate | null;
  DocumentDate: IsoDate;
  DueDate?: IsoDate | null;
  RecipientName?: string;
  RecipientAddress?: Address;
  Currency: string;
  /** billwerk sometimes sends totals as strings; parse leniently. */
  TotalNet: number | string;
  TotalVat: number | string;
  TotalGross: number | string;
  /** false = credit note [inferred]; sometimes a string. */
  IsInvoice: boolean | string;
  ItemList?: InvoiceItem[];
}

export interface WebhookRegistration {
  Id: Id;
  Url: string;
  Events: string[];
}

/**
 * Outgoing auth for a webhook registration. billwerk sets this in its admin UI only (the API documents
 * no such field [inferred]); the emulator also accepts it as `Auth` in POST /webhooks.
 */
export interface WebhookAuth {
  Type: 'Basic';
  User: string;
  Password: string;
}

export interface WebhookRegistrationInput {
  Url: string;
  Events: string[];
  /** Emulator-only; ignored by billwerk's API. */
  Auth?: WebhookAuth;
}

/** The JSON body billwerk answers with on failure. */
export interface ErrorBody {
  Message?: string;
  errors?: unknown[];
  ErrorCode?: string;
  ErrorMessage?: string;
}

/** OAuth token endpoint answer; `expires_in` is undocumented and may be absent. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
}

/** A webhook notice billwerk POSTs: an event name plus ids, no business data (webhooks.md). */
export interface WebhookNotice {
  Event: string;
  EntityId?: Id;
  ContractId?: Id;
  CustomerId?: Id;
  ExternalCustomerId?: string | null;
  ContractChangeId?: Id;
  ContractChangeType?: ContractChangeType;
  OrderId?: Id;
  InvoiceId?: Id;
  PaymentTransactionId?: Id;
  [key: string]: unknown;
}
