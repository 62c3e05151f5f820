import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { parseToken } from '../token/index.js';
import type { RunningStandin } from './server.js';

/** Small undici helpers for the stand-in's own tests (conformance/test/standin-*.test.ts). */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface CallOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Readable;
  dispatcher?: Agent;
}

export const LIST = '/user/client_tokens';

export async function call(s: RunningStandin, o: CallOptions = {}): Promise<Answer> {
  const res = await request(s.url + (o.path ?? LIST), {
    method: (o.method ?? 'GET') as 'GET',
    headers: o.headers ?? {},
    ...(o.body !== undefined && { body: o.body }),
    ...(o.dispatcher && { dispatcher: o.dispatcher }),
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

export const basic = (name: string, password: string): Record<string, string> => ({
  authorization: 'Basic ' + Buffer.from(`${name}:${password}`).toString('base64'),
});

export function userOf(s: RunningStandin, i: number): { name: string; password: string } {
  const u = s.users[i];
  if (u === undefined) throw new Error(`the stand-in has no user #${i}`);
  return u;
}

export const asUser = (s: RunningStandin, i = 0): Record<string, string> => {
  const u = userOf(s, i);
  return basic(u.name, u.password);
};

export function tokensIn(a: Answer): string[] {
  const parsed = JSON.parse(a.text) as { tokens: string[] };
  return parsed.tokens;
}

export async function listOf(s: RunningStandin, i = 0): Promise<string[]> {
  const a = await call(s, { headers: asUser(s, i) });
  if (a.status !== 200) throw new Error(`listing failed: ${a.status} ${a.text}`);
  return tokensIn(a);
}

export async function firstToken(s: RunningStandin, i = 0): Promise<string> {
  const t = (await listOf(s, i))[0];
  if (t === undefined) throw new Error('the user has no tokens');
  return t;
}

export async function createToken(s: RunningStandin, i = 0): Promise<string> {
  const a = await call(s, {
    method: 'POST',
    headers: { ...asUser(s, i), 'content-type': 'application/json' },
    body: '{}',
  });
  if (a.status !== 200 && a.status !== 201) throw new Error(`create failed: ${a.status} ${a.text}`);
  return (JSON.parse(a.text) as { token: string }).token;
}

export const identifierOf = (token: string): string => parseToken(token).identifier;

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
