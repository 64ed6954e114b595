import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export interface Clipboard {
  tool: string;
  copy(text: string): Promise<void>;
}

/** The desktop's clipboard tools, each usable only where its display is. */
const TOOLS: { name: string; args: string[]; usable(env: Record<string, string | undefined>): boolean; needs: string }[] = [
  { name: "wl-copy", args: [], usable: (env) => Boolean(env.WAYLAND_DISPLAY), needs: "WAYLAND_DISPLAY is unset" },
  { name: "xclip", args: ["-selection", "clipboard"], usable: (env) => Boolean(env.DISPLAY), needs: "DISPLAY is unset" },
  { name: "xsel", args: ["--clipboard", "--input"], usable: (env) => Boolean(env.DISPLAY), needs: "DISPLAY is unset" },
  { name: "pbcopy", args: [], usable: () => process.platform === "darwin", needs: "macOS only" },
];

function onPath(name: string, env: Record<string, string | undefined>): string | null {
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this folder
    }
  }
  return null;
}

/** The first clipboard tool present and usable here, or null (a server, a bare terminal). */
export function findClipboard(env: Record<string, string | undefined>): Clipboard | null {
  for (const t of TOOLS) {
    const file = t.usable(env) ? onPath(t.name, env) : null;
    if (!file) continue;
    return {
      tool: t.name,
      copy: (text) =>
        new Promise((resolve, reject) => {
          const child = spawn(file, t.args, { env, stdio: ["pipe", "ignore", "pipe"] });
          let err = "";
          child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
          child.on("error", reject);
          child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${t.name} failed (exit ${code}): ${err.trim()}`))));
          child.stdin.end(text);
        }),
    };
  }
  return null;
}

/** Why --copy cannot work here: each tool tried and why it was passed over, and the ways on. */
export function noClipboard(env: Record<string, string | undefined>): string {
  const tried = TOOLS.map((t) => `${t.name} (${!t.usable(env) ? t.needs : "not installed"})`).join(", ");
  return `--copy: no clipboard here; tried ${tried}. Install one (Debian/Ubuntu: apt install wl-clipboard or xclip), use --open to open the link in the browser, or copy it from the output`;
}

/** The desktop's "open this URL" tool: xdg-open (Linux, BSD), open (macOS); null without a display or the tool. */
export function findOpener(env: Record<string, string | undefined>): { tool: string; open(url: string): Promise<void> } | null {
  const mac = process.platform === "darwin";
  if (!mac && !env.DISPLAY && !env.WAYLAND_DISPLAY) return null;
  const name = mac ? "open" : "xdg-open";
  const file = onPath(name, env);
  if (!file) return null;
  return {
    tool: name,
    // The browser may keep the opener running: a failure shows within the first seconds, later it is the browser's business.
    open: (url) =>
      new Promise((resolve, reject) => {
        const child = spawn(file, [url], { env, stdio: ["ignore", "ignore", "pipe"], detached: true });
        let err = "";
        child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
        const timer = setTimeout(() => {
          child.stderr.destroy();
          child.unref();
          resolve();
        }, OPENER_GRACE_MS);
        child.on("error", (e) => (clearTimeout(timer), reject(e)));
        child.on("exit", (code) => {
          clearTimeout(timer);
          if (code === 0) resolve();
          else reject(new Error(`${name} failed (exit ${code})${err.trim() ? `: ${err.trim()}` : ""}`));
        });
      }),
  };
}

const OPENER_GRACE_MS = 3000;

export function noOpener(env: Record<string, string | undefined>): string {
  if (process.platform !== "darwin" && !env.DISPLAY && !env.WAYLAND_DISPLAY) return "--open: no desktop display here (DISPLAY and WAYLAND_DISPLAY are unset): copy the link from the output";
  return `--open: ${process.platform === "darwin" ? "open" : "xdg-open"} is not installed (Debian/Ubuntu: apt install xdg-utils): copy the link from the output`;
}
