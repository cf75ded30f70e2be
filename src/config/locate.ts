/**
 * Key paths → line:column, from the `yaml` package's document nodes (YAML
 * and JSON files both parse into one).
 *
 * @module
 */

import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type LineCounter } from "yaml";

/** A 1-based position in a file. */
export interface Position {
  line: number;
  column: number;
}

/**
 * Where a key path is in the file: `"key"` points at the last key's name,
 * `"value"` at its value. A path that is not in the file (a missing key)
 * gives the position of the deepest key that is; `undefined` when positions
 * are unknown (TOML) or not even the first key is there.
 */
export type Locate = (path: readonly PropertyKey[], at: "key" | "value") => Position | undefined;

/** A locator that knows no positions (formats without a position-aware parser). */
export const noPositions: Locate = () => undefined;

/** A {@link Locate} over a parsed `yaml` document. */
export function documentLocator(doc: Document, lines: LineCounter): Locate {
  const position = (offset: number | undefined): Position | undefined => {
    if (offset === undefined) return undefined;
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  return (path, at) => {
    let node: unknown = doc.contents;
    let key: Position | undefined;
    let value: Position | undefined;
    for (const part of path) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((p) =>
          isPair(p) && isScalar(p.key) && String(p.key.value) === String(part)
        );
        if (pair === undefined) return key;
        key = position(isScalar(pair.key) ? pair.key.range?.[0] : undefined);
        node = pair.value;
      } else if (isSeq(node) && typeof part === "number" && node.items[part] !== undefined) {
        node = node.items[part];
        key = position(rangeOf(node)) ?? key;
      } else return key;
      value = position(rangeOf(node)) ?? key;
    }
    return at === "key" ? key : value;
  };
}

function rangeOf(node: unknown): number | undefined {
  return (node as { range?: readonly number[] } | null)?.range?.[0];
}
