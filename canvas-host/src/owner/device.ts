/** This browser's device id for canvas chat sessions (so the sessions page tells devices apart), kept in localStorage. */
const DEVICE_KEY = 'parley.deviceId';

export function browserDeviceId(storage: Pick<Storage, 'getItem' | 'setItem'> | null = safeLocalStorage()): string | undefined {
  try {
    const kept = storage?.getItem(DEVICE_KEY);
    if (kept) return kept;
    const fresh = `web-${crypto.randomUUID().slice(0, 8)}`;
    storage?.setItem(DEVICE_KEY, fresh);
    return storage ? fresh : undefined;
  } catch {
    return undefined;
  }
}

/** A readable name for a browser from its user agent: "Chrome on macOS", "Firefox on Windows", … */
export function describeUserAgent(userAgent: string): string | null {
  const browser =
    /Edg\//.test(userAgent) ? 'Edge'
    : /OPR\/|Opera/.test(userAgent) ? 'Opera'
    : /Firefox\//.test(userAgent) ? 'Firefox'
    : /Chrome\/|Chromium\/|CriOS\//.test(userAgent) ? 'Chrome'
    : /Safari\//.test(userAgent) ? 'Safari'
    : null;
  const os =
    /iPhone|iPad|iPod/.test(userAgent) ? 'iOS'
    : /Android/.test(userAgent) ? 'Android'
    : /Windows/.test(userAgent) ? 'Windows'
    : /Mac OS X|Macintosh/.test(userAgent) ? 'macOS'
    : /CrOS/.test(userAgent) ? 'ChromeOS'
    : /Linux/.test(userAgent) ? 'Linux'
    : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os;
}

/** The device column of the sessions page: the browser it runs in, else the device id; the CLI's own names as given. */
export function deviceLabel(session: { deviceId: string; metadata?: Record<string, unknown> | null }, thisDevice?: string): string {
  const userAgent = session.metadata?.userAgent;
  const described = typeof userAgent === 'string' ? describeUserAgent(userAgent) : null;
  const here = thisDevice !== undefined && session.deviceId === thisDevice;
  if (described) return here ? `${described} (this browser)` : described;
  if (here) return 'This browser';
  if (session.deviceId === 'default') return 'Unnamed device';
  return session.deviceId;
}

function safeLocalStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
