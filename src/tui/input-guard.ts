import { EventEmitter } from "node:events";

/**
 * Errors thrown while the console handled what the terminal sent. Ink reads keys in a `readable`
 * listener on stdin; an error thrown there (by Ink's key parser or by the console's own key
 * handling) is uncaught and ends the process, so the technician loses the screen over one key
 * while the daemon goes on with the sessions. The console shows these errors instead.
 */
export class InputErrors extends EventEmitter<{ failed: [error: unknown] }> {}

/** stdin listeners that read keys: these get the guard. */
const KEY_EVENTS = new Set<string | symbol>(["readable", "data"]);
const ADD = new Set<string | symbol>(["on", "addListener", "prependListener", "once", "prependOnceListener"]);
const REMOVE = new Set<string | symbol>(["off", "removeListener"]);

type Listener = (...args: unknown[]) => unknown;

/**
 * `stdin` as Ink sees it, whose `readable` and `data` listeners report what they throw to
 * `errors` (event `failed`) instead of letting it end the process. Everything else is the stream
 * itself: methods are called on it, properties read from it.
 */
export function guardStdin(stdin: NodeJS.ReadStream, errors: InputErrors): NodeJS.ReadStream {
  const guarded = new WeakMap<Listener, Listener>();
  const guard = (event: string | symbol, listener: Listener): Listener => {
    if (!KEY_EVENTS.has(event) || typeof listener !== "function") return listener;
    let wrapped = guarded.get(listener);
    if (!wrapped) {
      wrapped = function (this: unknown, ...args: unknown[]) {
        try {
          return listener.apply(this, args);
        } catch (err) {
          errors.emit("failed", err);
          return undefined;
        }
      };
      guarded.set(listener, wrapped);
    }
    return wrapped;
  };
  const proxy: NodeJS.ReadStream = new Proxy(stdin, {
    get(target, prop) {
      if (ADD.has(prop)) {
        return (event: string | symbol, listener: Listener) => {
          (target[prop as "on"] as (e: string | symbol, l: Listener) => unknown).call(target, event, guard(event, listener));
          return proxy;
        };
      }
      if (REMOVE.has(prop)) {
        return (event: string | symbol, listener: Listener) => {
          (target[prop as "off"] as (e: string | symbol, l: Listener) => unknown).call(target, event, guarded.get(listener) ?? listener);
          return proxy;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as Listener).bind(target) : value;
    },
    set(target, prop, value) {
      return Reflect.set(target, prop, value, target);
    },
  });
  return proxy;
}
