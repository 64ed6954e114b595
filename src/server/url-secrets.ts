/**
 * `url` fit for logs and errors: its password (and with `hideUser` its user name) replaced by
 * `***`. A value that does not parse as a URL is never echoed: `unparsable` stands in for it.
 */
export function hideUrlSecrets(url: string, opts: { hideUser: boolean; unparsable: string }): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    if (opts.hideUser && u.username) u.username = "***";
    return u.toString();
  } catch {
    return opts.unparsable;
  }
}
