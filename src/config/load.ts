/**
 * Reading a config file from disk: the one place the config loader touches
 * the file system.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import { formatOf } from "./formats.ts";
import { parseConfig } from "./parse.ts";
import type { MuxFileConfig, ParseOptions } from "./types.ts";

/**
 * Read and parse the config file at `path` (see {@link parseConfig}).
 * Throws {@link ConfigError}; when the file does not exist its `cause` is a
 * `Deno.errors.NotFound`, so a caller trying a default location can tell
 * "absent" from "broken".
 *
 * @example
 * ```ts ignore
 * import { loadConfig } from "./load.ts";
 *
 * const config = await loadConfig("/home/ada/.config/rmcp-mux/config.yaml");
 * for (const warning of config.warnings) console.error(warning);
 * console.log(config.services.map((s) => s.name));
 * ```
 */
export async function loadConfig(path: string, options?: ParseOptions): Promise<MuxFileConfig> {
  formatOf(path); // an unsupported extension fails before the file is read
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : (error as Error).message;
    throw new ConfigError([{ file: path, message: `cannot read the config file: ${why}` }], {
      cause: error,
    });
  }
  return parseConfig(text, path, options);
}
