// The live dashboard: contracts from the gateway's GraphQL API, the selected one in full, and every billwerk
// event the gateway publishes over graphql-ws as it arrives. With the embedded emulator, buttons run
// billwerk flows through the gateway's own mutations, so webhook → subscription can be watched end to end.
import './style.css';
import {
  ChangePlanDocument,
  ContractDocument,
  ContractsDocument,
  DashboardEventsDocument,
  PlanVariantsDocument,
  SignupDocument,
  TerminateContractDocument,
  type ContractQuery,
  type ContractsQuery,
  type DashboardEventsSubscription,
} from '../../sdk/generated/graphql.js';
import { blockedReason, contractLabel } from './contract-text.js';
import { byId, day, el, money, statusBadge, time } from './dom.js';
import { KEY_STORAGE, newIdempotencyKey, takeKey } from './key.js';
import { createDestinationsPanel } from './destinations.js';
import { createEventLog } from './event-log.js';
import { connectGateway, GatewayError, type Gateway } from './gateway.js';

type ContractRow = ContractsQuery['contracts']['edges'][number]['node'];

type ContractDetail = NonNullable<ContractQuery['contract']>;
type LiveEvent = DashboardEventsSubscription['billwerkEvents'];

function askForKey(message = ''): void {
  byId('app').hidden = true;
  byId('key-form').hidden = false;
  byId('key-error').textContent = message;
}

const state = {
  contracts: [] as ContractRow[],
  selected: undefined as string | undefined,
  detail: undefined as ContractDetail | undefined,
  busy: false,
  emulator: false,
};

function renderContracts(): void {
  const filter = byId<HTMLInputElement>('filter').value.trim().toLowerCase();
  const list = byId('contracts');
  const rows = state.contracts.filter((c) =>
    `${c.customer?.displayName ?? ''} ${c.planVariant?.name ?? ''} ${c.status}`
      .toLowerCase()
      .includes(filter),
  );
  list.replaceChildren(
    ...rows.map((contract) => {
      const button = el(
        'button',
        {
          type: 'button',
          'data-contract-id': contract.billwerkId,
          'aria-current': String(contract.billwerkId === state.selected),
        },
        el('div', { class: 'name' }, contract.customer?.displayName ?? 'unknown customer'),
        el(
          'div',
          { class: 'meta' },
          `${contract.planVariant?.name ?? 'no plan'} · since ${day(contract.startDate)} `,
          statusBadge(contract.status),
        ),
      );
      button.addEventListener('click', () => void select(contract.billwerkId));
      return el('li', {}, button);
    }),
  );
  if (rows.length === 0) list.append(el('li', { class: 'empty' }, 'No contracts.'));
}

/** The list shows what the latest event says about a contract's status and plan variant. */
function updateRow(contract: NonNullable<LiveEvent['contract']>): void {
  const row = state.contracts.find((c) => c.billwerkId === contract.billwerkId);
  if (!row) return;
  row.status = contract.status;
  if (contract.planVariant) row.planVariant = contract.planVariant;
}

function renderDetail(contract: ContractDetail): void {
  const invoices = contract.invoices.edges.map((e) => e.node);
  byId('detail').replaceChildren(
    el('h2', {}, contract.customer?.displayName ?? 'Contract'),
    el(
      'dl',
      { class: 'facts' },
      el('dt', {}, 'Status'),
      el('dd', { id: 'contract-status' }, statusBadge(contract.status)),
      el('dt', {}, 'Plan'),
      el(
        'dd',
        { id: 'contract-plan' },
        `${contract.plan?.name ?? '—'} · ${contract.planVariant?.name ?? '—'}`,
      ),
      el('dt', {}, 'Contract'),
      el('dd', {}, contract.billwerkId),
      el('dt', {}, 'Started'),
      el('dd', {}, day(contract.startDate)),
      el('dt', {}, 'Ends'),
      el('dd', {}, day(contract.endDate)),
      el('dt', {}, 'Next billing'),
      el('dd', {}, day(contract.nextBillingDate)),
    ),
    el('h3', {}, 'Phases'),
    el(
      'table',
      { id: 'phases' },
      el('thead', {}, el('tr', {}, el('th', {}, 'From'), el('th', {}, 'Type'), el('th', {}, 'Plan variant'))),
      el(
        'tbody',
        {},
        ...contract.phases.map((phase) =>
          el(
            'tr',
            {},
            el('td', {}, day(phase.startDate)),
            el('td', {}, phase.type),
            el('td', {}, phase.planVariant?.name ?? '—'),
          ),
        ),
      ),
    ),
    el('h3', {}, 'Invoices'),
    invoices.length === 0
      ? el('p', { class: 'empty' }, 'None yet.')
      : el(
          'table',
          { id: 'invoices' },
          el('thead', {}, el('tr', {}, el('th', {}, 'Number'), el('th', {}, 'Total (gross)'))),
          el(
            'tbody',
            {},
            ...invoices.map((i) =>
              el('tr', {}, el('td', {}, i.invoiceNumber), el('td', {}, money(i.totalGross))),
            ),
          ),
        ),
  );
  state.detail = contract;
  updateButtons();
}

/** Flows run one at a time; a plan change or termination needs a contract that has not ended. */
function updateButtons(): void {
  const blocked = blockedReason(state.detail);
  const upgrade = byId<HTMLButtonElement>('upgrade');
  const terminate = byId<HTMLButtonElement>('terminate');
  byId<HTMLButtonElement>('signup').disabled = state.busy;
  upgrade.disabled = state.busy || blocked.upgrade !== undefined;
  terminate.disabled = state.busy || blocked.terminate !== undefined;
  upgrade.title = blocked.upgrade ?? '';
  terminate.title = blocked.terminate ?? '';
  // Beside the buttons, not only in a tooltip: a disabled button shows no tooltip to keyboards or touch.
  const reason = byId('flow-reason');
  reason.textContent = [...new Set([blocked.upgrade, blocked.terminate])].filter(Boolean).join(' ');
  reason.hidden = reason.textContent === '';
}

function addToFeed(event: LiveEvent): void {
  const feed = byId('feed');
  const what = [
    event.customer?.displayName,
    event.contract?.planVariant?.name,
    event.contract?.status,
    event.invoice ? `invoice ${event.invoice.invoiceNumber}` : undefined,
  ].filter(Boolean);
  const item = el(
    'li',
    {
      class: 'fresh',
      'data-event': event.event,
      'data-contract-id': event.contractId ?? '',
      'data-selected': String(event.contractId !== null && event.contractId === state.selected),
      'data-source': event.source,
      'data-replayed': String(event.replayed),
    },
    el('span', { class: 'when' }, time(event.receivedAt)),
    el(
      'div',
      { class: 'event' },
      event.changeType ? `${event.event} · ${event.changeType}` : event.event,
      // An operator sent it again (replayWebhookEvents), or reconciliation found it after its webhook was lost.
      event.replayed && el('span', { class: 'mark', 'data-mark': 'replayed' }, 'replayed'),
      event.source === 'RECONCILED' && el('span', { class: 'mark', 'data-mark': 'reconciled' }, 'reconciled'),
    ),
    el(
      'div',
      { class: 'what' },
      what.join(' · ') || (event.delivery === 'FAILED' ? 'details could not be fetched' : ''),
    ),
  );
  feed.prepend(item);
  byId('feed-empty').hidden = true;
  while (feed.children.length > 200) feed.lastElementChild?.remove();
}

function markSelectedInFeed(): void {
  for (const item of byId('feed').querySelectorAll<HTMLElement>('li')) {
    item.dataset.selected = String(
      item.dataset.contractId !== '' && item.dataset.contractId === state.selected,
    );
  }
}

function setFlowStatus(text: string, kind: 'info' | 'error' = 'info'): void {
  const status = byId('flow-status');
  status.textContent = text;
  status.dataset.kind = kind;
}

async function main(): Promise<void> {
  const form = byId<HTMLFormElement>('key-form');
  form.addEventListener('submit', (submit) => {
    submit.preventDefault();
    sessionStorage.setItem(KEY_STORAGE, byId<HTMLInputElement>('key-input').value.trim());
    location.reload();
  });
  const key = takeKey();
  if (!key) return askForKey();

  const info = (await (await fetch('/dashboard.json')).json()) as { emulator: boolean };
  state.emulator = info.emulator;
  byId('mode').textContent = info.emulator ? 'embedded emulator' : 'billwerk';

  const socketPill = byId('socket');
  const gateway = connectGateway({
    key,
    onSocketState: (socketState) => {
      socketPill.dataset.state = socketState;
      socketPill.textContent = socketState === 'connected' ? 'live' : socketState;
    },
  });

  const eventLog = createEventLog(gateway, {
    selected: () => state.selected,
    contractLabel: (id) => contractLabel(state.contracts.find((c) => c.billwerkId === id)),
  });
  const destinations = createDestinationsPanel(gateway);
  const loadContracts = async () => {
    const { contracts } = await gateway.request(ContractsDocument, { first: 100 });
    state.contracts = contracts.edges.map((e) => e.node);
    renderContracts();
    eventLog.render();
  };
  try {
    await loadContracts();
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'UNAUTHENTICATED') {
      sessionStorage.removeItem(KEY_STORAGE);
      await gateway.socket.dispose();
      return askForKey('The gateway did not accept that key.');
    }
    throw error;
  }
  byId('app').hidden = false;
  byId('filter').addEventListener('input', renderContracts);
  const feed = byId('feed');
  byId<HTMLInputElement>('only-selected').addEventListener('change', (change) => {
    feed.dataset.onlySelected = String((change.target as HTMLInputElement).checked);
  });

  select = async (contractId: string) => {
    const changed = state.selected !== contractId;
    state.selected = contractId;
    renderContracts();
    markSelectedInFeed();
    if (changed) eventLog.selectionChanged();
    const { contract } = await gateway.request(ContractDocument, { id: contractId });
    if (contract && state.selected === contractId) renderDetail(contract);
  };

  gateway.subscribe(DashboardEventsDocument, {}, (data) => {
    const event = data.billwerkEvents;
    addToFeed(event);
    // A replayed event is an old one sent again: the contracts and the log already show what it says.
    if (event.replayed) return;
    eventLog.refresh();
    destinations.refresh();
    if (event.contractId && !state.contracts.some((c) => c.billwerkId === event.contractId))
      void loadContracts();
    else if (event.contract) {
      updateRow(event.contract);
      renderContracts();
    }
    if (event.contractId && event.contractId === state.selected) void select(event.contractId);
  });

  if (state.contracts[0]) await select(state.contracts[0].billwerkId);
  // Admin keys only: for any other key the gateway answers FORBIDDEN and the panel stays hidden.
  eventLog.start();
  destinations.start();
  if (info.emulator) await setUpFlows(gateway, loadContracts);
}

let select: (contractId: string) => Promise<void> = () => Promise.resolve();

async function setUpFlows(gateway: Gateway, loadContracts: () => Promise<void>): Promise<void> {
  const { planVariants } = await gateway.request(PlanVariantsDocument, {});
  const options = planVariants
    .filter((v) => !v.hidden)
    .map((v) => ({ id: v.billwerkId, label: `${v.name} (${money(v.recurringFee)})` }));
  for (const id of ['signup-variant', 'upgrade-variant']) {
    byId(id).replaceChildren(...options.map((o) => el('option', { value: o.id }, o.label)));
  }
  // A paid variant by default: billwerk invoices it at once, so the feed shows an invoice too.
  const paid = planVariants.filter((v) => !v.hidden).findIndex((v) => v.recurringFee.amount > 0);
  byId<HTMLSelectElement>('signup-variant').selectedIndex = Math.max(paid, 0);
  const upgradeSelect = byId<HTMLSelectElement>('upgrade-variant');
  if (options.length > 1) upgradeSelect.selectedIndex = options.length - 1;
  byId('flows').hidden = false;

  /** Runs one flow with its buttons disabled; errors are shown, never thrown. */
  const run = (button: string, flow: () => Promise<string>) => {
    byId(button).addEventListener('click', () => {
      state.busy = true;
      updateButtons();
      setFlowStatus('Running…');
      flow()
        .then((text) => setFlowStatus(`${text} Watch the live feed.`))
        .catch((error: unknown) =>
          setFlowStatus(error instanceof Error ? error.message : String(error), 'error'),
        )
        .finally(() => {
          state.busy = false;
          updateButtons();
        });
    });
  };

  let signups = 0;
  run('signup', async () => {
    signups += 1;
    const suffix = `${Date.now().toString(36).slice(-4)}${signups}`;
    const { signup } = await gateway.request(SignupDocument, {
      input: {
        customer: {
          firstName: 'New',
          lastName: `Customer ${suffix}`,
          emailAddress: `new-${suffix}@example.com`,
          address: { country: 'DE' },
        },
        planVariantId: byId<HTMLSelectElement>('signup-variant').value,
        idempotencyKey: newIdempotencyKey('dashboard'),
      },
    });
    await loadContracts();
    await select(signup.contract.billwerkId);
    return `Signed up ${signup.customer.displayName}.`;
  });
  run('upgrade', async () => {
    if (!state.selected) throw new Error('Pick a contract first.');
    const { changePlan } = await gateway.request(ChangePlanDocument, {
      input: {
        contractId: state.selected,
        planVariantId: upgradeSelect.value,
        idempotencyKey: newIdempotencyKey('dashboard'),
      },
    });
    return `Changed the plan to ${changePlan.contract.planVariant?.name ?? 'the new variant'}.`;
  });
  run('terminate', async () => {
    if (!state.selected) throw new Error('Pick a contract first.');
    const { terminateContract } = await gateway.request(TerminateContractDocument, {
      input: { contractId: state.selected, idempotencyKey: newIdempotencyKey('dashboard') },
    });
    return `Terminated: the contract ends ${day(terminateContract.endDate)}.`;
  });
}

main().catch((error: unknown) => {
  console.error(error);
  askForKey(error instanceof Error ? error.message : String(error));
});
