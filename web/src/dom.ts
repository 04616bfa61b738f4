// A few DOM helpers: elements are built with textContent only, so nothing billwerk returns is ever parsed
// as HTML.
type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

export const day = (iso: string | null | undefined): string => (iso ? iso.slice(0, 10) : '—');

export const time = (iso: string): string => new Date(iso).toLocaleTimeString([], { hour12: false });

/** The local time of day, with the date in front unless it is today. */
export const stamp = (iso: string): string => {
  const at = new Date(iso);
  if (at.toDateString() === new Date().toDateString()) return time(iso);
  return `${at.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time(iso)}`;
};

export const money = (value: { amount: number; currency: string } | null | undefined): string =>
  value
    ? new Intl.NumberFormat(undefined, { style: 'currency', currency: value.currency }).format(value.amount)
    : '—';

export const statusBadge = (status: string): HTMLElement =>
  el('span', { class: 'status', 'data-status': status }, status.replace(/_/g, ' '));
