/**
 * Hiding secrets wherever a command line is shown (logs, `config check`).
 *
 * @module
 */

/** `text` with every string of `secrets` replaced by `***`. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.replaceAll(secret, "***");
  return out;
}
