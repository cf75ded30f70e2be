/**
 * The page's files, imported as text so they travel with the module graph —
 * from source, in a `deno compile` binary and from JSR alike — and are served
 * as they are: no bundler, no build step, nothing fetched from elsewhere.
 *
 * @module
 */

import appJs from "./page/app.js" with { type: "text" };
import domJs from "./page/dom.js" with { type: "text" };
import formatJs from "./page/format.js" with { type: "text" };
import indexHtml from "./page/index.html" with { type: "text" };
import styleCss from "./page/style.css" with { type: "text" };
import viewJs from "./page/view.js" with { type: "text" };

/** A file of the page. */
export interface Asset {
  /** Its bytes. */
  body: string;
  /** Its media type. */
  type: string;
}

const JS = "text/javascript; charset=utf-8";

/** The page itself. */
export const INDEX_HTML: Asset = { body: indexHtml, type: "text/html; charset=utf-8" };

/** Files served under `/assets/`, by name. */
export const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ["app.js", { body: appJs, type: JS }],
  ["dom.js", { body: domJs, type: JS }],
  ["format.js", { body: formatJs, type: JS }],
  ["view.js", { body: viewJs, type: JS }],
  ["style.css", { body: styleCss, type: "text/css; charset=utf-8" }],
]);
