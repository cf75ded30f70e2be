/**
 * How `rmcp-mux proxy` gets the mux back once it lost it: attempts with a
 * backoff ({@link BACKOFF_MS}) until a deadline set when the mux was lost;
 * each new connection counts only once the mux has answered on it (the bridge
 * says so: {@link Reconnector.back}), and one the mux accepted and closed
 * unanswered (a dying daemon's socket) is tried again within the same time.
 * Plus the lines a person reads about it. Free of `Deno.*`: the bridge
 * connects, attaches and closes; time is `setTimeout` and `Date.now`.
 *
 * @module
 */

/** Default of `ProxyOptions.reconnectMs`: 30 s. */
export const DEFAULT_RECONNECT_MS = 30_000;
/** First and largest delay between reconnect attempts, ms. */
export const BACKOFF_MS = [25, 1_000] as const;

/** The delay after one of `wait` ms: twice as long, up to the largest of {@link BACKOFF_MS}. */
export function nextBackoff(wait: number): number {
  return Math.min(wait * 2, BACKOFF_MS[1]);
}

/** What the bridge does for the loop. */
export interface ReconnectHooks<C> {
  /** Open a new connection to the mux (throws if it cannot). */
  connect(): Promise<C>;
  /**
   * What the bridge waits for: a connection (none attached), the mux's
   * answer on the one attached, or nothing (the mux is back, or the bridge ended).
   */
  waitingFor(): "connection" | "answer" | null;
  /** Use a new connection: the bridge asks the mux to answer on it, and now waits for that. */
  attach(conn: C): void;
  /** Close a connection not used. */
  close(conn: C): void;
  /** One line for a person. */
  notice(line: string): void;
  /** The mux did not come back in time (`why`): end the bridge. */
  giveUp(why: string): void;
}

/** Gets the mux back for a bridge; see the module doc. */
export class Reconnector<C> {
  readonly #ms: number;
  readonly #hooks: ReconnectHooks<C>;
  /** When reconnecting gives up (set when the mux is lost). */
  #deadline = 0;
  /** Why the last attempt failed: for the give-up line. */
  #lastError = "";
  #wake: (() => void) | undefined;

  /**
   * @param ms how long to keep trying after the mux was lost
   * @param hooks what the bridge does for the loop
   */
  constructor(ms: number, hooks: ReconnectHooks<C>) {
    this.#ms = ms;
    this.#hooks = hooks;
  }

  /**
   * The connection was lost (`reason`); the bridge now waits for a
   * connection. `unconfirmed`: one the mux never answered on — not the mux
   * back: the running attempts go on, within the same time. Otherwise the
   * time starts now and the attempts begin.
   */
  lost(reason: string, unconfirmed: boolean): void {
    if (unconfirmed) {
      this.#lastError = `the mux accepted a connection and closed it (${reason})`;
      this.wake(); // the loop goes on
      return;
    }
    this.#deadline = Date.now() + this.#ms;
    this.#hooks.notice(`lost the mux (${reason}); reconnecting for up to ${this.#ms / 1000} s`);
    void this.#run();
  }

  /** The mux answered on the connection attached last: it is back. */
  back(): void {
    this.#hooks.notice("reconnected to the mux");
    this.wake(); // the loop is done
  }

  /** Cut the loop's wait short: what the bridge waits for changed (or it ended). */
  wake(): void {
    this.#wake?.();
  }

  async #run(): Promise<void> {
    const hooks = this.#hooks;
    let wait: number = BACKOFF_MS[0];
    while (hooks.waitingFor() === "connection") {
      try {
        const conn = await hooks.connect();
        if (hooks.waitingFor() !== "connection") return hooks.close(conn);
        hooks.attach(conn);
        // Until the mux answers on it (done), it closes it (try again), or time runs out.
        await this.#sleep(Math.max(this.#deadline - Date.now(), 0));
        const now = hooks.waitingFor();
        if (now === "answer") {
          this.#lastError = "the mux accepted a connection but never answered on it";
          break;
        }
        if (now !== "connection") return;
      } catch (error) {
        this.#lastError = error instanceof Error ? error.message : String(error);
      }
      const left = this.#deadline - Date.now();
      if (left <= 0) break;
      await this.#sleep(Math.min(wait, left));
      wait = nextBackoff(wait);
    }
    if (hooks.waitingFor() === null) return;
    const why = `the mux did not come back within ${this.#ms / 1000} s (${this.#lastError})`;
    hooks.notice(`gave up: ${why}`);
    hooks.giveUp(why);
  }

  /** Sleep, cut short by {@link wake}. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}
