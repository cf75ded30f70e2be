/** Helpers for the config tests. */

import { ConfigError, formatIssue } from "../../src/config/errors.ts";
import { parseConfig } from "../../src/config/parse.ts";
import type { MuxFileConfig, ParseOptions } from "../../src/config/types.ts";

/** The environment most tests expand against. */
export const ENV: Readonly<Record<string, string>> = { HOME: "/home/ada" };

/** Lines joined into a file's text. */
export function text(...lines: string[]): string {
  return lines.join("\n") + "\n";
}

/** Parse YAML lines with {@link ENV} (or `options`). */
export function parseYaml(lines: string[], options: ParseOptions = { env: ENV }): MuxFileConfig {
  return parseConfig(text(...lines), "config.yaml", options);
}

/** The ConfigError `fn` throws, or a failure. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError, but nothing was thrown");
}

/** Each issue of the ConfigError `fn` throws, formatted as one line. */
export function problems(fn: () => unknown): string[] {
  return configError(fn).issues.map(formatIssue);
}

/** The problems of parsing YAML lines with {@link ENV}. */
export function yamlProblems(lines: string[], env: Record<string, string> = ENV): string[] {
  return problems(() => parseYaml(lines, { env }));
}
