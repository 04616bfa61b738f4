// The event destinations panel (admin keys): each destination with its state, backlog and last error, read
// again shortly after live events (when backlogs move) and every few seconds (retries happen on their own).
import { EventDestinationsDocument, type EventDestinationsQuery } from '../../sdk/generated/graphql.js';
import { byId, el, stamp } from './dom.js';
import { GatewayError, type Gateway } from './gateway.js';

type Destination = EventDestinationsQuery['eventDestinations']['edges'][number]['node'];

/** A live event is followed by a read this much later, once its deliveries were attempted. */
const AFTER_EVENT_MS = 500;
const EVERY_MS = 5000;

export interface DestinationsPanel {
  /** Shows the panel unless the key may not manage destinations (FORBIDDEN). */
  start(): void;
  /** A live event arrived: backlogs change soon. */
  refresh(): void;
}

function stateOf(destination: Destination): string {
  if (destination.disabledReason) return 'disabled';
  return destination.paused ? 'paused' : 'enabled';
}

function row(destination: Destination): HTMLElement {
  const state = stateOf(destination);
  return el(
    'tr',
    { 'data-id': destination.id, 'data-state': state },
    el(
      'td',
      { class: 'url' },
      destination.url,
      destination.description && el('div', { class: 'hint' }, destination.description),
    ),
    el('td', { class: 'state', title: destination.disabledReason ?? '' }, state),
    el('td', { class: 'backlog', 'data-field': 'backlog' }, String(destination.backlog)),
    el(
      'td',
      { class: 'last-error', 'data-field': 'last-error' },
      destination.lastError && destination.lastErrorAt
        ? `${destination.lastError} (${stamp(destination.lastErrorAt)})`
        : '—',
    ),
  );
}

export function createDestinationsPanel(gateway: Gateway): DestinationsPanel {
  const panel = byId('destinations');
  const rows = byId('destination-rows');
  let active = false;
  let loading = false;
  let soon: ReturnType<typeof setTimeout> | undefined;

  async function load(): Promise<void> {
    if (loading) return;
    loading = true;
    try {
      const { eventDestinations } = await gateway.request(EventDestinationsDocument, { first: 100 });
      const destinations = eventDestinations.edges.map((e) => e.node);
      rows.replaceChildren(
        ...(destinations.length > 0
          ? destinations.map(row)
          : [el('tr', {}, el('td', { class: 'empty', colspan: '4' }, 'No destinations.'))]),
      );
      panel.hidden = false;
    } catch (error) {
      // Not a key that manages destinations: the page works without the panel.
      if (error instanceof GatewayError && error.code === 'FORBIDDEN') {
        active = false;
        panel.hidden = true;
        return;
      }
      console.error('event destinations could not be read', error);
    } finally {
      loading = false;
    }
  }

  return {
    start() {
      active = true;
      void load();
      setInterval(() => {
        if (active) void load();
      }, EVERY_MS);
    },
    refresh() {
      if (!active || soon !== undefined) return;
      soon = setTimeout(() => {
        soon = undefined;
        void load();
      }, AFTER_EVENT_MS);
    },
  };
}
