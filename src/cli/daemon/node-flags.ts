/**
 * Node flags rescued runs with (startDaemon passes them; the media benches' receivers use them too).
 *
 * --max-semi-space-size=1 (MB): V8's young generation otherwise grows to 16 MB per semi-space
 * while modules load and packets flow, about 20 MB of RSS for garbage that dies young anyway. With
 * 1 MB the receiver's peak RSS fell from about 111 to 89 MB and CPU per stream-second did not rise
 * (bench/media.mjs, same run). Scavenges come more often but each copies only the few live objects.
 * Larger young generations were measured again against it (interleaved runs, 0% and 5% loss): with
 * 2, 4 and 8 MB the CPU per stream-second was at best a few percent lower, within the runs' spread
 * (scavenges are about two a second at about a millisecond each, so there is little to save), while
 * peak RSS rose to 79-80, 82 and 91 MB.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=1"];
