/**
 * An answer before it is written. `contentType: undefined` means NO content-type header: Onezone's
 * authentication errors and cowboy's own 404/405/406 carry none, and that absence is part of the contract.
 */
export interface Reply {
  status: number;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export const JSON_TYPE = 'application/json';

export const empty = (status: number, contentType?: string): Reply =>
  contentType === undefined ? { status, body: '' } : { status, body: '', contentType };

/** Compact JSON, as jiffy encodes it, with `content-type: application/json` (answers after negotiation). */
export const json = (status: number, value: unknown): Reply => ({
  status,
  body: JSON.stringify(value),
  contentType: JSON_TYPE,
});

/** Compact JSON with NO content-type: errors raised during authentication (is_authorized). */
export const bareJson = (status: number, value: unknown): Reply => ({ status, body: JSON.stringify(value) });
