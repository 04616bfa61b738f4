// The operator event log panel (admin keys only): the newest notices the gateway received or reconciled,
// with their delivery state, and a Replay button that sends a published one to live subscribers again.
// webhookEvents lists the log oldest first, so the newest events are found by time window: widened until
// it holds enough events, narrowed while it holds more than a page. "Older events" takes the window
// before; a live event fetches only what came after the newest settled row.
import {
  DashboardEventLogDocument,
  DashboardReplayEventDocument,
  type DashboardEventLogQuery,
  type DashboardEventLogQueryVariables,
} from '../../sdk/generated/graphql.js';
import { byId, el, stamp } from './dom.js';
import { GatewayError, type Gateway } from './gateway.js';

type LogEdge = DashboardEventLogQuery['webhookEvents']['edges'][number];
type LogEvent = LogEdge['node'];

/** The most webhookEvents returns at once. */
const PAGE = 100;
/** A window is wide enough once it holds this many events. */
const ENOUGH = 20;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Window lengths tried, back from the window's end; Infinity reaches the start of the log. */
const SPANS = [10 * MINUTE, 2 * 60 * MINUTE, DAY, 30 * DAY, Infinity];
/** A refresh reads at most this many pages; a longer gap is loaded afresh. */
const REFRESH_PAGES = 10;
/** Rows kept in the panel; older ones are dropped (and come back with "Older events"). */
const MAX_ROWS = 1000;

interface Window {
  edges: LogEdge[];
  /** Where the window starts (received at or after); undefined: the start of the log. */
  from: Date | undefined;
}

export interface EventLogPanel {
  /** Loads the newest events; hides the panel for a key that may not read the log (FORBIDDEN). */
  start(): void;
  /** A live event arrived: fetch new events and those whose state may have changed. */
  refresh(): void;
  /** The selected contract changed. */
  selectionChanged(): void;
  /** Contract names changed (labels only). */
  render(): void;
}

export interface EventLogOptions {
  selected(): string | undefined;
  /** The customer's name for a contract the page lists. */
  contractLabel(contractId: string): string | undefined;
}

export function createEventLog(gateway: Gateway, options: EventLogOptions): EventLogPanel {
  const panel = byId('event-log');
  const body = byId('log-rows');
  const olderButton = byId<HTMLButtonElement>('log-older');
  const onlySelected = byId<HTMLInputElement>('log-only-selected');
  const status = byId('log-status');

  /** By id; the panel shows them newest first. */
  const rows = new Map<string, LogEdge>();
  /** The start of what is loaded (received at or after); undefined: the start of the log. */
  let loadedFrom: Date | undefined;
  /** Only this contract's events (billwerk id), when the panel is filtered. */
  let contractId: string | undefined;
  /** Until start() and after a FORBIDDEN, live events and selections change nothing here. */
  let active = false;
  const replaying = new Set<string>();

  // Loads, refreshes and older pages run one after another, so none overwrites a newer one's rows.
  let queue = Promise.resolve();
  let refreshQueued = false;
  const enqueue = (task: () => Promise<void>) => {
    queue = queue.then(task).catch((error: unknown) => {
      if (error instanceof GatewayError && error.code === 'FORBIDDEN') {
        // Not an admin key: the page works without the panel.
        active = false;
        panel.hidden = true;
        return;
      }
      panel.hidden = false;
      setStatus(error instanceof Error ? error.message : String(error), 'error');
    });
  };

  const setStatus = (text: string, kind: 'info' | 'error' = 'info') => {
    status.textContent = text;
    status.dataset.kind = kind;
  };

  const fetchLog = async (variables: Omit<DashboardEventLogQueryVariables, 'first' | 'contractId'>) =>
    (await gateway.request(DashboardEventLogDocument, { first: PAGE, contractId, ...variables }))
      .webhookEvents;

  /** The newest events received before `to` (all when undefined), at most a page. */
  async function newestBefore(to: Date | undefined): Promise<Window> {
    const end = to?.getTime() ?? Date.now();
    const toArg = to?.toISOString();
    let best: Window | undefined;
    for (const span of SPANS) {
      const from = Number.isFinite(span) ? new Date(end - span) : undefined;
      const page = await fetchLog({ from: from?.toISOString(), to: toArg });
      if (page.pageInfo.hasNextPage) {
        if (best && best.edges.length > 0) return best;
        // More than a page since `from`: a narrower window holds the newest ones.
        return from ? narrow(end, span, toArg) : (best ?? { edges: page.edges, from });
      }
      best = { edges: page.edges, from };
      if (page.edges.length >= ENOUGH) return best;
    }
    return best ?? { edges: [], from: undefined };
  }

  /**
   * Shrinks a window that holds more than a page until it holds at most one. Down by tenths first, then back
   * up by halves while the window holds fewer than ENOUGH: one tenth can step from over a page to nothing at
   * all (every event a few seconds old), which would open the panel empty on a busy log.
   */
  async function narrow(end: number, wide: number, to: string | undefined): Promise<Window> {
    let tooWide = wide;
    let span = wide;
    let fit: Window | undefined;
    while (!fit) {
      span = Math.max(1, Math.floor(span / 10));
      const from = new Date(end - span);
      const page = await fetchLog({ from: from.toISOString(), to });
      if (!page.pageInfo.hasNextPage || span === 1) fit = { edges: page.edges, from };
      else tooWide = span;
    }
    while (fit.edges.length < ENOUGH && tooWide - span > 1) {
      const mid = Math.floor((span + tooWide) / 2);
      const from = new Date(end - mid);
      const page = await fetchLog({ from: from.toISOString(), to });
      if (page.pageInfo.hasNextPage) tooWide = mid;
      else [fit, span] = [{ edges: page.edges, from }, mid];
    }
    return fit;
  }

  function keep(edges: LogEdge[]): void {
    for (const edge of edges) rows.set(edge.node.id, edge);
    if (rows.size <= MAX_ROWS) return;
    const oldestFirst = [...rows.values()].sort((a, b) => a.node.sequence - b.node.sequence);
    for (const edge of oldestFirst.slice(0, rows.size - MAX_ROWS)) rows.delete(edge.node.id);
    // Events of the same millisecond as the oldest kept one may have gone: "Older events" includes it.
    const oldest = oldestFirst[oldestFirst.length - MAX_ROWS]!;
    loadedFrom = new Date(new Date(oldest.node.receivedAt).getTime() + 1);
  }

  async function loadNewest(): Promise<void> {
    contractId = onlySelected.checked ? options.selected() : undefined;
    const window = await newestBefore(undefined);
    rows.clear();
    loadedFrom = window.from;
    keep(window.edges);
    panel.hidden = false;
    render();
  }

  async function loadOlder(): Promise<void> {
    if (!loadedFrom) return;
    const window = await newestBefore(loadedFrom);
    loadedFrom = window.from;
    keep(window.edges);
    render();
    if (window.edges.length === 0) setStatus('No older events in the log.');
  }

  /** Reads on from the newest row with no still-pending row before it: new events and changed states. */
  async function refreshRows(): Promise<void> {
    const ascending = [...rows.values()].sort((a, b) => a.node.sequence - b.node.sequence);
    const pending = ascending.findIndex((edge) => edge.node.state === 'RECEIVED');
    const settled = pending === -1 ? ascending.at(-1) : ascending[pending - 1];
    let after = settled?.cursor;
    const from = settled ? undefined : loadedFrom?.toISOString();
    for (let pages = 0; pages < REFRESH_PAGES; pages += 1) {
      const page = await fetchLog({ after, from });
      keep(page.edges);
      if (!page.pageInfo.hasNextPage) return render();
      after = page.pageInfo.endCursor ?? undefined;
    }
    await loadNewest();
  }

  function replay(event: LogEvent): void {
    replaying.add(event.id);
    render();
    gateway
      .request(DashboardReplayEventDocument, { id: event.id })
      .then(({ replayWebhookEvents }) =>
        setStatus(
          `Replayed ${replayWebhookEvents.events[0]?.event ?? event.event}: the live feed shows it marked "replayed".`,
        ),
      )
      .catch((error: unknown) => setStatus(error instanceof Error ? error.message : String(error), 'error'))
      .finally(() => {
        replaying.delete(event.id);
        render();
      });
  }

  function rowOf(event: LogEvent): HTMLTableRowElement {
    let action: HTMLButtonElement | undefined;
    // Only published events (with or without details) can be sent again.
    if (event.publishedAt !== null) {
      action = el(
        'button',
        { type: 'button', class: 'replay', title: 'Send this event to live subscribers again' },
        'Replay',
      );
      action.disabled = replaying.has(event.id);
      action.addEventListener('click', () => replay(event));
    }
    const label = event.contractId ? options.contractLabel(event.contractId) : undefined;
    return el(
      'tr',
      {
        'data-id': event.id,
        'data-event': event.event,
        'data-state': event.state,
        'data-source': event.source,
        'data-contract-id': event.contractId ?? '',
        'data-selected': String(event.contractId !== null && event.contractId === options.selected()),
      },
      el('td', { class: 'when', title: event.receivedAt }, stamp(event.receivedAt)),
      el('td', { class: 'event' }, event.changeType ? `${event.event} · ${event.changeType}` : event.event),
      el('td', { class: 'contract', title: event.contractId ?? '' }, label ?? event.contractId ?? '—'),
      el(
        'td',
        {},
        el('span', { class: 'status source', 'data-source': event.source }, event.source.toLowerCase()),
      ),
      el(
        'td',
        {},
        el('span', { class: 'status state', 'data-state': event.state }, event.state.toLowerCase()),
      ),
      el('td', { class: 'attempts' }, String(event.attempts)),
      el('td', { class: 'last-error' }, event.lastError ?? ''),
      el('td', { class: 'action' }, action),
    );
  }

  function render(): void {
    const newestFirst = [...rows.values()].sort((a, b) => b.node.sequence - a.node.sequence);
    body.replaceChildren(...newestFirst.map((edge) => rowOf(edge.node)));
    if (newestFirst.length === 0) {
      body.append(
        el(
          'tr',
          {},
          el(
            'td',
            { colspan: '8', class: 'empty' },
            contractId ? 'No events of this contract.' : 'No events yet.',
          ),
        ),
      );
    }
    olderButton.hidden = loadedFrom === undefined;
  }

  onlySelected.addEventListener('change', () => enqueue(loadNewest));
  olderButton.addEventListener('click', () => {
    olderButton.disabled = true;
    enqueue(() => loadOlder().finally(() => (olderButton.disabled = false)));
  });

  return {
    start: () => {
      active = true;
      enqueue(loadNewest);
    },
    refresh: () => {
      if (!active || refreshQueued) return;
      refreshQueued = true;
      enqueue(() => {
        refreshQueued = false;
        return refreshRows();
      });
    },
    selectionChanged: () => {
      if (!active) return;
      if (onlySelected.checked) enqueue(loadNewest);
      else render();
    },
    render: () => {
      if (active) render();
    },
  };
}
