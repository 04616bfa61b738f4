// The API key a page of the gateway (the dashboard, GraphiQL) sends. It lives in this tab's sessionStorage,
// shared by both pages; it arrives in the URL fragment, which browsers never send, or from a form.
export const KEY_STORAGE = 'billwerk-gateway-key';

/** The key from `#key=…` (then removed from the address bar) or from earlier in this tab. */
export function takeKey(): string | undefined {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromUrl = fragment.get('key');
  if (fromUrl) {
    sessionStorage.setItem(KEY_STORAGE, fromUrl);
    history.replaceState(null, '', `${location.pathname}${location.search}`);
  }
  return sessionStorage.getItem(KEY_STORAGE) ?? undefined;
}

/** An idempotency key naming the page it came from; crypto.randomUUID exists only in secure contexts. */
export function newIdempotencyKey(origin: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `${origin}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
