/** Processes, as tests and the benchmark see them (Linux /proc). */

/** True while a process with this pid exists and is not a zombie (Linux /proc). */
export function processAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // A zombie ("Z") has exited; it only waits to be reaped.
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}
