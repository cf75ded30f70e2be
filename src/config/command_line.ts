/**
 * Splitting a command line the way a POSIX shell would — quotes and
 * backslashes honoured — without ever running a shell. Nothing is expanded
 * except a leading `~`.
 *
 * @module
 */

/** Split `npx -y "my server"` into `["npx", "-y", "my server"]`. Throws on an open quote. */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) {
        word += line[++i];
      } else word += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\") {
      if (i + 1 < line.length) word += line[++i];
      inWord = true;
    } else if (ch === " " || ch === "\t" || ch === "\n") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== null) {
    throw new SyntaxError(`unterminated ${quote === "'" ? "single" : "double"} quote in: ${line}`);
  }
  if (inWord) words.push(word);
  return words;
}

/** Expand a leading `~` (alone or followed by `/`) to the home directory. */
export function expandHome(path: string, home: string | undefined): string {
  if (home === undefined || home === "") return path;
  if (path === "~") return home;
  if (path.startsWith("~/")) return home.replace(/\/$/, "") + path.slice(1);
  return path;
}
