import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import { ApiError } from '../../../contract/api';

/**
 * The API's guards, as pure functions so they are testable without a server. A local HTTP API is
 * reachable from any web page the user opens: the token stops cross-site requests, and the Host
 * check stops DNS rebinding (a hostile name re-pointed at 127.0.0.1 would otherwise be same-origin).
 */

export interface BindOptions {
  readonly host: string;
  readonly port: number;
  readonly allowRemote: boolean;
}

export interface SecurityPolicy {
  /** Accepted Host header values, lower-case `host:port` (IPv6 in brackets). */
  readonly hosts: readonly string[];
  readonly token: string;
}

export interface RequestCredentials {
  readonly hostHeader?: string | undefined;
  readonly origin?: string | undefined;
  readonly authorization?: string | undefined;
  /** `?token=`: browsers cannot set headers on a WebSocket. */
  readonly queryToken?: string | undefined;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '::1'] as const;

/** 256 random bits, URL-safe so it can ride in `?token=`. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time; comparing digests makes the lengths equal, so the length leaks nothing either. */
export function tokenMatches(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function isLoopbackHost(host: string): boolean {
  const h = unbracket(host).toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** `host:port` values a legitimate client may send as Host (and, prefixed with http://, as Origin). */
export function allowedHosts(bind: BindOptions): string[] {
  const names = new Set<string>(LOOPBACK_NAMES);
  // A specific bind address (say 127.0.0.2) is reachable by its own name; the wildcard is not a name.
  if (!isUnspecified(bind.host)) names.add(unbracket(bind.host));
  if (bind.allowRemote) {
    names.add(hostname());
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) names.add(a.address.replace(/%.*$/, '')); // drop an IPv6 zone id
    }
  }
  return [...names].map((n) => `${n.includes(':') ? `[${n}]` : n}:${bind.port}`.toLowerCase());
}

/** null when the request may proceed; else the error to send. Order: Host, Origin, token. */
export function checkRequest(req: RequestCredentials, policy: SecurityPolicy, tokenRequired = true): ApiError | null {
  const host = req.hostHeader ?? '';
  if (!policy.hosts.includes(host.toLowerCase())) {
    return new ApiError('forbidden', `Host '${host}' is not allowed (DNS-rebinding protection)`);
  }
  if (req.origin !== undefined && !policy.hosts.some((h) => req.origin!.toLowerCase() === `http://${h}`)) {
    return new ApiError('forbidden', `Origin '${req.origin}' is not allowed`);
  }
  if (!tokenRequired) return null;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.authorization ?? '')?.[1];
  const token = bearer ?? req.queryToken;
  if (!token) return new ApiError('unauthorized', 'missing API token: send "Authorization: Bearer <token>" (printed by bgw serve)');
  if (!tokenMatches(token, policy.token)) return new ApiError('unauthorized', 'wrong API token');
  return null;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function isUnspecified(host: string): boolean {
  const h = unbracket(host);
  return h === '0.0.0.0' || h === '::' || h === '';
}
