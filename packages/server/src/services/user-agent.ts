/** What a user agent says about the device, in words a person recognises. */

/**
 * "Firefox on Linux" from a user agent: the browser and the system, what a person recognises their own device
 * by (a trusted device's name, the "From" of the security history). A few patterns, no dependency: the order
 * matters (Edge and Opera also say Chrome, Chrome also says Safari, Android also says Linux).
 */
export function deviceNameOf(userAgent: string | null): string {
  if (!userAgent) return 'unknown device';
  const ua = userAgent;
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /OPR\//.test(ua)
      ? 'Opera'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /Chrome\/|Chromium\/|HeadlessChrome/.test(ua)
          ? 'Chrome'
          : /Safari\//.test(ua)
            ? 'Safari'
            : /curl\//i.test(ua)
              ? 'curl'
              : 'a browser';
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X|Macintosh/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : undefined;
  return os === undefined ? browser : `${browser} on ${os}`;
}
