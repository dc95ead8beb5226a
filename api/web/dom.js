// Builds DOM and SVG nodes from data. Text always goes in as text nodes, never as markup, so
// device ids and alert reasons from the API cannot inject anything into the page.

const svgNamespace = 'http://www.w3.org/2000/svg'

/** An HTML element with attributes and children (nodes, strings or nothing). */
export function h(tag, attributes = {}, ...children) {
  return fill(document.createElement(tag), attributes, children)
}

/** An SVG element; sizes and colours go in as presentation attributes, which the CSP allows. */
export function s(tag, attributes = {}, ...children) {
  return fill(document.createElementNS(svgNamespace, tag), attributes, children)
}

function fill(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue
    element.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue
    element.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child)
  }
  return element
}

/** Replaces everything inside `element` with `children`. */
export function replace(element, ...children) {
  element.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null && c !== false))
}

/**
 * Runs `update`, which redraws part of `within`; if an element there had the focus, its
 * counterpart in the new content (same tag, class and data-device) gets it back, so a refresh
 * never throws a keyboard user out of the page.
 */
export function keepingFocus(within, update) {
  const focused = document.activeElement
  const key = focused && focused !== document.body && within.contains(focused) && focused.dataset?.device !== undefined ? { tag: focused.tagName, className: focused.getAttribute('class')?.split(' ')[0], device: focused.dataset.device } : undefined
  update()
  if (!key || within.contains(focused)) return
  const counterpart = [...within.querySelectorAll('[data-device]')].find((e) => e.tagName === key.tag && e.dataset.device === key.device && e.getAttribute('class')?.split(' ')[0] === key.className)
  counterpart?.focus({ preventScroll: true })
}
