/**
 * `deno task schema`: write `docs/config.schema.json` from the zod schema.
 *
 * @module
 */

import { configSchemaText } from "./schema.ts";

if (import.meta.main) {
  const target = new URL("../../docs/config.schema.json", import.meta.url);
  await Deno.writeTextFile(target, configSchemaText());
  console.log(`wrote ${target.pathname}`);
}
