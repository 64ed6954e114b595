// The customers of bench/server.mjs, in a process of their own as on a customer's own machine:
// joins with each PIN in turn on a fresh socket, sends the latencies (ms, from sending `join` to
// receiving `joined`) to the parent, and holds the sockets until the parent says "close".
import WebSocket from "ws";

process.once("message", async ({ url, pins }) => {
  const sockets = [];
  const latencies = [];
  for (const pin of pins) {
    const ws = new WebSocket(url);
    await new Promise((done, fail) => (ws.once("open", done), ws.once("error", fail)));
    // A reset after the answer (the server stopping) is not a failure of the join.
    ws.on("error", () => undefined);
    const t0 = performance.now();
    await new Promise((done, fail) => {
      ws.on("message", (d) => JSON.parse(String(d)).type === "joined" && done());
      ws.once("close", (code, reason) => fail(new Error(`customer closed ${code} ${reason}`)));
      ws.send(JSON.stringify({ type: "join", pin }));
    });
    latencies.push(performance.now() - t0);
    sockets.push(ws);
  }
  process.send(latencies);
  process.once("message", () => {
    for (const ws of sockets) ws.terminate();
    process.disconnect();
  });
});
