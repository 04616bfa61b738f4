// Input checks mutations make before any billwerk write: id shapes, dates, quantities, texts, and the
// catalogue references they name. Every refusal is BAD_USER_INPUT naming the field (`extensions.field`).
import { OutOfScopeError } from '../../auth/errors.js';
import type { Component, Contract, PlanVariant } from '../../billwerk/dto.js';
import { type BillwerkId } from '../../billwerk/id.js';
import { type GraphQLContext } from '../context.js';
import { ErrorCode, GatewayError } from '../errors.js';
import { readIdArgument, type NodeType } from '../relay/node.js';

/** billwerk ids are 24-hex MongoDB ObjectIds. */

/**
 * A start a little in the past is "now" sent over a slow network, not a back-dated contract: billwerk's
 * own clock decides within this margin.
 */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

export function invalid(
  field: string,
  message: string,
  extensions: Record<string, unknown> = {},
): GatewayError {
  return new GatewayError(ErrorCode.BAD_USER_INPUT, message, { ...extensions, field });
}

/** A mutation input's id: a global id of `type` or a plain billwerk id, parsed before any REST call. */
export function idOf(type: NodeType | 'ComponentSubscription', value: string, field: string): BillwerkId {
  const id = readIdArgument(type, value);
  if (typeof id === 'string') return id;
  throw invalid(
    field,
    id
      ? `${field} names a ${id.names}, not a ${type}.`
      : `${field} is not a valid ${type} id (24 hex digits).`,
  );
}

export function positive(value: number, field: string): number {
  if (!Number.isFinite(value) || value <= 0) throw invalid(field, `${field} must be a positive number.`);
  return value;
}

/** A date that must not lie in the past (beyond the clock-skew margin). */
export function notPast(ctx: GraphQLContext, date: Date, field: string): Date {
  if (date.getTime() < ctx.now().getTime() - CLOCK_SKEW_MS) {
    throw invalid(field, `${field} ${date.toISOString()} is in the past.`);
  }
  return date;
}

/** A trimmed text of bounded length, or undefined when empty. */
export function text(value: string | null | undefined, field: string, max = 200): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (trimmed.length > max) throw invalid(field, `${field} is longer than ${max} characters.`);
  return trimmed;
}

/** Coupon codes are matched as upper-case alphanumerics (resources.md "Coupon"); the rest is billwerk's call. */
export function couponCode(value: string | null | undefined, field = 'couponCode'): string | undefined {
  const code = text(value, field, 100);
  if (code !== undefined && !/[A-Za-z0-9]/.test(code)) {
    throw invalid(field, `${field} must contain letters or digits.`);
  }
  return code;
}

/** billwerk payment methods are `Provider:Role` or one name, e.g. InvoicePayment, OnAccount:PayOne. */
export function paymentMethod(value: string | null | undefined): string | undefined {
  const method = text(value, 'paymentMethod', 100);
  if (method !== undefined && !/^[A-Za-z][\w.-]*(:[A-Za-z][\w.-]*)?$/.test(method)) {
    throw invalid('paymentMethod', 'paymentMethod must look like "InvoicePayment" or "Provider:Role".');
  }
  return method;
}

/** Distinct values only: the same item twice in one list is a mistake billwerk would not explain well. */
export function distinct(values: readonly string[], field: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) throw invalid(field, `${field} names ${value} twice.`);
    seen.add(value);
  }
}

export async function existingContract(
  ctx: GraphQLContext,
  id: string,
  field = 'contractId',
): Promise<Contract> {
  const contract = await ctx.loaders.contract.load(id);
  // A scoped caller gets NOT_FOUND alike for a foreign contract and a missing one, so nothing leaks.
  if (ctx.access.scoped && !(contract && (await ctx.access.customerVisible(contract.CustomerId)))) {
    throw new OutOfScopeError('Contract', id);
  }
  if (!contract) throw invalid(field, `No contract ${id} exists.`);
  return contract;
}

/** A contract that has not ended: billwerk changes nothing on an ended contract. */
export async function runningContract(
  ctx: GraphQLContext,
  id: string,
  field = 'contractId',
): Promise<Contract> {
  const contract = await existingContract(ctx, id, field);
  if (contract.LifecycleStatus === 'Ended') throw invalid(field, `Contract ${id} has ended.`);
  return contract;
}

export async function existingVariant(
  ctx: GraphQLContext,
  id: string,
  field = 'planVariantId',
): Promise<PlanVariant> {
  const variant = await ctx.loaders.planVariant.load(id);
  if (!variant) throw invalid(field, `No plan variant ${id} exists.`);
  return variant;
}

/**
 * A component of `planGroupId`; subscriptions need a non-metered one (quantity or on/off), usage a
 * metered one (resources.md "Component").
 */
export async function componentOf(
  ctx: GraphQLContext,
  id: string,
  planGroupId: string | undefined,
  kind: 'subscription' | 'usage',
  field: string,
): Promise<Component> {
  const component = await ctx.loaders.component.load(id);
  if (!component) throw invalid(field, `No component ${id} exists.`);
  if (planGroupId !== undefined && component.PlanGroupId !== planGroupId) {
    throw invalid(field, `Component ${id} belongs to another plan group.`);
  }
  const metered = component.ComponentType.toLowerCase() === 'metered';
  if (kind === 'subscription' && metered) {
    throw invalid(field, `Component ${id} is metered: report usage for it instead of subscribing to it.`);
  }
  if (kind === 'usage' && !metered) {
    throw invalid(
      field,
      `Component ${id} is not metered: usage can be reported only for metered components.`,
    );
  }
  return component;
}
