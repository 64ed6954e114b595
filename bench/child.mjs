// What the benchmarks that fork measured processes share.

/**
 * The next IPC message of `type` (and passing `test`) from a forked `child`; rejects when the child
 * exits first, naming what was awaited.
 */
export function next(child, type, test = () => true) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message.type !== type || !test(message)) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(message);
    };
    const onExit = (code) => reject(new Error(`child process exited (${code}) waiting for ${type}`));
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}
