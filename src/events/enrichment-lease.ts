// The enrichment lease: with several instances on one Redis, one of them at a time enriches and publishes
// events, so each contract's events go out in billwerk's order. A write by an instance whose lease ran
// out is refused with LostLeaseError (the new holder does that work again).
export class LostLeaseError extends Error {
  constructor() {
    super('this instance no longer holds the enrichment lease');
    this.name = 'LostLeaseError';
  }
}
