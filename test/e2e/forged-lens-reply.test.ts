import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RTCPeerConnection, useOPUS, useVP8 } from "werift";
import { CustomerConnection } from "../../src/customer/connection.js";
import { LENS_CHANNEL, LensCommand } from "../../src/protocol/index.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { startTestServer, type Account, type TestServer } from "../helpers/server.js";

/** What a hostile page answers to a camera request: a retitle (OSC 0), a screen clear and a CSI in C1 form. */
const ESCAPES = "\u001b]0;pwned\u0007\u001b[2J\u009b31mfake prompt";

/**
 * The attack: a customer page of its own making (a werift peer that speaks the page's protocol)
 * answers the lead's zoom request with terminal escape sequences as its "reason". The reason
 * reaches the technician's terminal (rescue lens zoom prints it, the console shows the daemon's
 * events): it must arrive in caret notation, never as raw escapes.
 */
describe("a customer page that answers a camera request with terminal escapes", () => {
  let server: TestServer;
  let tech: Account;
  let home = "";
  let pc: RTCPeerConnection | undefined;
  let conn: CustomerConnection | undefined;

  beforeAll(async () => {
    server = await startTestServer();
    tech = await server.technician(["lens", "private", "pin", "chat"]);
    home = makeHome();
    await cliLogin(home, server.url, tech.email, tech.password);
  });
  afterAll(async () => {
    conn?.leave();
    await pc?.close();
    if (home) await dropHome(home);
    await server.close();
  });

  it("shows the reason in caret notation on stderr and in --json, and never writes ESC or C1 to the terminal", async () => {
    const created = await rescue(home, ["session", "new", "--lens", "--pin", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const { id, pin } = created.json<{ id: string; pin: string }>();

    const customer = await CustomerConnection.join(server.url, pin, "Mallory");
    conn = customer;
    customer.grantDevices(true, false);
    customer.answerEula(true);
    expect(await customer.waitForStatus(["waiting"], 10_000)).toBe("waiting");

    const peer = new RTCPeerConnection({
      iceServers: customer.iceServers,
      iceAdditionalHostAddresses: ["127.0.0.1"],
      bundlePolicy: "max-bundle",
      codecs: { video: [useVP8()], audio: [useOPUS()] },
    });
    pc = peer;
    peer.addTransceiver("video", { direction: "sendonly" });
    const channel = peer.createDataChannel(LENS_CHANNEL, { ordered: true });
    let asked = 0;
    channel.onMessage.subscribe((data) => {
      const command = LensCommand.safeParse(JSON.parse(String(data)));
      if (!command.success || command.data.op !== "zoom") return;
      asked++;
      channel.send(JSON.stringify({ op: "reply", id: command.data.id, applied: false, reason: ESCAPES }));
    });
    peer.onIceCandidate.subscribe((c) => {
      if (!c) return;
      const json = c.toJSON();
      customer.sendSignal({ kind: "candidate", candidate: { candidate: json.candidate, sdpMid: json.sdpMid ?? null, sdpMLineIndex: json.sdpMLineIndex ?? null } });
    });
    customer.on("signal", (signal) => {
      if (signal.kind === "answer") void peer.setRemoteDescription({ type: "answer", sdp: signal.sdp });
      else if (signal.kind === "candidate")
        void peer.addIceCandidate({ candidate: signal.candidate.candidate, sdpMid: signal.candidate.sdpMid ?? undefined, sdpMLineIndex: signal.candidate.sdpMLineIndex ?? undefined });
    });
    await peer.setLocalDescription(await peer.createOffer());
    customer.sendSignal({ kind: "offer", sdp: peer.localDescription!.sdp });

    const started = await rescue(home, ["session", "start", id, "--no-record", "--json"]);
    expect(started.code, started.stderr).toBe(0);

    // The data channel opens with the media connection: the first request may come before it.
    let zoom = await rescue(home, ["lens", "zoom", id, "2"]);
    for (let i = 0; i < 100 && asked === 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
      zoom = await rescue(home, ["lens", "zoom", id, "2"]);
    }
    expect(asked, zoom.stderr).toBeGreaterThan(0);
    expect(zoom.code, zoom.stderr).toBe(1);
    // One line saying why, and nothing after it (the exit code is the rest).
    expect(zoom.stderr).toBe("rescue: the customer's camera did not do it: ^[]0;pwned^G^[[2J\\x9b31mfake prompt\n");

    const json = await rescue(home, ["lens", "zoom", id, "2", "--json"]);
    expect(json.code).toBe(1);
    expect(json.stderr).toBe("");
    expect(json.json()).toMatchObject({ action: "zoom", applied: false, reason: "^[]0;pwned^G^[[2J\\x9b31mfake prompt" });

  }, 120_000);
});
