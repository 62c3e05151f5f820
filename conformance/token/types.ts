/** A first-party caveat has only `cid` (its predicate); a third-party one also has `vid` and `cl`. */
export interface Caveat {
  cid: string;
  vid?: Uint8Array;
  cl?: string;
}

export interface Macaroon {
  location: string;
  identifier: string;
  caveats: Caveat[];
  /** HMAC-SHA256 chain tail: 32 bytes. */
  signature: Uint8Array;
}
