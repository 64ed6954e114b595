/**
 * Ink renders only the final frame when CI or CONTINUOUS_INTEGRATION is set, and reads them once
 * when it loads. The console is interactive by definition (it refuses to run without a terminal),
 * so it hides them while Ink loads: import this module before Ink, then call restore().
 */
const KEYS = ["CI", "CONTINUOUS_INTEGRATION"] as const;
const saved = KEYS.map((k) => [k, process.env[k]] as const);
for (const k of KEYS) delete process.env[k];

export function restoreCiEnv(): void {
  for (const [k, v] of saved) if (v !== undefined) process.env[k] = v;
}
