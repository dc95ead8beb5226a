// The API key, when the API asks for one. It is typed into the page once (see main.js) or
// arrives in the URL fragment (`/#key=…`), which browsers never send to a server; it is kept for
// this tab only, and a key from the fragment leaves the address bar at once.

const storageKey = 'circular.apiKey'

/** Moves a key from the fragment into session storage; returns the key to use, if any. */
export function takeApiKey() {
  const fragment = new URLSearchParams(location.hash.slice(1))
  const key = fragment.get('key')
  if (key) {
    sessionStorage.setItem(storageKey, key)
    fragment.delete('key')
    const rest = fragment.toString()
    history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`)
  }
  return sessionStorage.getItem(storageKey) ?? undefined
}

/** Keeps a key typed into the page for this tab. */
export function rememberApiKey(key) {
  sessionStorage.setItem(storageKey, key.trim())
}
