/**
 * Element trees from view.js into the document. Text becomes text nodes and
 * attributes go through setAttribute — never innerHTML — so a server's stderr
 * line reading `<script>` is shown, not run. A part is rebuilt only when its
 * tree changed, so buttons under the pointer stay put between updates.
 *
 * @module
 */

const SVG = "http://www.w3.org/2000/svg";
const SVG_TAGS = new Set(["svg", "polyline", "line", "path", "g", "title"]);
/** Attributes the view may set; anything else (an `on…` handler, say) is dropped. */
const SAFE_ATTRIBUTE =
  /^(class|role|title|open|disabled|viewBox|width|height|points|d|aria-[a-z]+|data-[a-z-]+)$/;

/**
 * Build the element (or text) for a tree.
 * @param {unknown} tree
 * @param {boolean} [inSvg]
 * @returns {Node | null}
 */
export function build(tree, inSvg = false) {
  if (tree === null || tree === undefined || tree === false) return null;
  if (typeof tree === "string") return document.createTextNode(tree);
  if (!Array.isArray(tree)) return null;
  if (typeof tree[0] !== "string") {
    const fragment = document.createDocumentFragment();
    for (const child of tree) {
      const node = build(child, inSvg);
      if (node) fragment.append(node);
    }
    return fragment;
  }
  const [tag, attributes, ...children] = tree;
  const svg = inSvg || tag === "svg";
  const element = svg && SVG_TAGS.has(tag)
    ? document.createElementNS(SVG, tag)
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (SAFE_ATTRIBUTE.test(name)) element.setAttribute(name, String(value));
  }
  for (const child of children) {
    const node = build(child, svg);
    if (node) element.append(node);
  }
  return element;
}

/** The last tree drawn into each part. */
const drawn = new WeakMap();

/**
 * Make `part` show `tree`, rebuilding it only when the tree changed.
 * @param {Element} part
 * @param {unknown} tree
 */
export function patch(part, tree) {
  const key = JSON.stringify(tree ?? null);
  if (drawn.get(part) === key) return;
  drawn.set(part, key);
  const node = build(tree);
  part.replaceChildren(...(node ? [node] : []));
}
