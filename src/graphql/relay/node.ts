// Relay global object identification: every entity's `id` names its type and its billwerk id, so
// `node(id:)` can fetch anything; root fields also accept the plain 24-hex billwerk id.
import { Field, ID, InterfaceType } from 'type-graphql';
import { parseBillwerkId, type BillwerkId } from '../../billwerk/id.js';
import { CATALOGUE_ENTITIES } from '../../loaders/shared-cache.js';
import { ErrorCode, GatewayError } from '../errors.js';

/** Every entity with a global id: billwerk's entities and its catalogue (one list, loaders/shared-cache.ts). */
const NODE_TYPES = ['Customer', 'Contract', 'ContractChange', 'Invoice', ...CATALOGUE_ENTITIES] as const;
export type NodeType = (typeof NODE_TYPES)[number];

/** Readable rather than base64: `gid://billwerk/Contract/645b429bb73d36f442b223df` (as Shopify does). */
const PREFIX = 'gid://billwerk/';

export function toGlobalId(type: NodeType, id: string): string {
  return `${PREFIX}${type}/${id}`;
}

/** The type and billwerk id a global id names, or null for anything that is not exactly one. */
export function fromGlobalId(globalId: string): { type: NodeType; id: BillwerkId } | null {
  if (!globalId.startsWith(PREFIX)) return null;
  const [type, id, ...rest] = globalId.slice(PREFIX.length).split('/');
  const parsed = parseBillwerkId(id);
  if (rest.length > 0 || parsed === undefined || !(NODE_TYPES as readonly string[]).includes(type ?? '')) {
    return null;
  }
  return { type: type as NodeType, id: parsed };
}

/**
 * The billwerk id an argument names, given as a global id of `type` or as a plain billwerk id; otherwise the
 * type a global id of another type names, or undefined for anything that is no id. The one reading of id
 * arguments: queries (billwerkIdOf) and mutation inputs (validate.ts idOf) word the refusal each their way.
 */
export function readIdArgument(type: string, value: string): BillwerkId | { names: NodeType } | undefined {
  const global = fromGlobalId(value);
  if (!global) return parseBillwerkId(value);
  return global.type === type ? global.id : { names: global.type };
}

/**
 * The billwerk id behind an argument that is either a global id of `type` or a plain billwerk id. Anything
 * else is refused here, before a REST call: no dot segment, percent-encoding or slash reaches a path.
 */
export function billwerkIdOf(type: NodeType, value: string, argument = 'id'): BillwerkId {
  const id = readIdArgument(type, value);
  if (typeof id === 'string') return id;
  const message = id
    ? `${argument} names a ${id.names}, not a ${type}.`
    : `${argument} is not a valid ${type} id.`;
  throw new GatewayError(ErrorCode.BAD_USER_INPUT, message, { argument });
}

/** An optional id argument: absent (undefined or null) is no filter; anything given must parse. */
export function optionalBillwerkIdOf(
  type: NodeType,
  value: string | null | undefined,
  argument: string,
): BillwerkId | undefined {
  return value === undefined || value === null ? undefined : billwerkIdOf(type, value, argument);
}

@InterfaceType({ description: 'An object with a global id, fetchable with `node(id:)`.' })
export abstract class Node {
  @Field(() => ID, { description: 'Global id: `gid://billwerk/<Type>/<billwerk id>`.' })
  id!: string;
}
