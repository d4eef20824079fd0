export type Listener<T> = (payload: T) => void;

/**
 * A small typed event registry that runs in browsers and Node alike
 * (`node:events` does not bundle for browsers, and `EventTarget` cannot
 * type its payloads).
 */
export class ListenerRegistry<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Adds a listener; the function returned removes it. */
  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener);
    return () => this.off(name, listener);
  }

  off<K extends keyof Events>(name: K, listener: Listener<Events[K]>): void {
    const set = this.listeners.get(name);
    set?.delete(listener);
    if (set?.size === 0) {
      this.listeners.delete(name);
    }
  }

  /** Listeners of `name`, or of every event. */
  count(name?: keyof Events): number {
    if (name !== undefined) {
      return this.listeners.get(name)?.size ?? 0;
    }
    let total = 0;
    for (const set of this.listeners.values()) {
      total += set.size;
    }
    return total;
  }

  /**
   * Calls each listener in the order it was added. One that throws does
   * not stop the others nor the client's own work: its error is thrown
   * again from a fresh task, where the host reports it as uncaught, as a
   * browser does for a throwing `EventTarget` listener.
   */
  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    const set = this.listeners.get(name);
    if (!set) {
      return;
    }

    for (const listener of [...set] as Listener<Events[K]>[]) {
      // One removed by an earlier listener of this same emit is not called.
      if (!set.has(listener)) {
        continue;
      }
      try {
        listener(payload);
      } catch (error) {
        setTimeout(() => {
          throw error;
        }, 0);
      }
    }
  }
}
