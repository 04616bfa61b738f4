// Inputs of the event destination mutations.
import { Field, ID, InputType } from 'type-graphql';
import { JSONObject } from '../types/scalars.js';

@InputType({ description: 'A new event destination.' })
export class CreateEventDestinationInput {
  @Field(() => String, {
    description: 'Where events are posted: https (http only in development); private addresses are refused.',
  })
  url!: string;

  @Field(() => String, {
    description:
      'A subscription document over contractChanged or billwerkEvents (with their filters, without `after`): each event is delivered as the JSON of executing it.',
  })
  query!: string;

  @Field(() => JSONObject, { nullable: true, description: "The document's variables." })
  variables?: Record<string, unknown> | null;

  @Field(() => String, { nullable: true, description: 'A note for whoever manages it.' })
  description?: string | null;
}

@InputType({ description: 'Changes to an event destination; fields left out stay as they are.' })
export class UpdateEventDestinationInput {
  @Field(() => ID, { description: 'The destination.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'A new URL (checked as at creation).' })
  url?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'A new subscription document (used for events taken in from now).',
  })
  query?: string | null;

  @Field(() => JSONObject, { nullable: true, description: 'New variables for the document.' })
  variables?: Record<string, unknown> | null;

  @Field(() => String, { nullable: true, description: 'A new note; an empty one removes it.' })
  description?: string | null;
}
