import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export interface Clipboard {
  tool: string;
  copy(text: string): Promise<void>;
}

/** The desktop's clipboard tools, each usable only where its display is. */
const TOOLS: { name: string; args: string[]; usable(env: Record<string, string | undefined>): boolean }[] = [
  { name: "wl-copy", args: [], usable: (env) => Boolean(env.WAYLAND_DISPLAY) },
  { name: "xclip", args: ["-selection", "clipboard"], usable: (env) => Boolean(env.DISPLAY) },
  { name: "pbcopy", args: [], usable: () => process.platform === "darwin" },
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

export const NO_CLIPBOARD = "--copy: no clipboard here (wl-copy on Wayland, xclip on X11, pbcopy on macOS): copy the link from the output instead";
