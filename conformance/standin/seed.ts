import { readFileSync } from 'node:fs';
import { isObject } from '../objects.js';
import { StandinError } from './errors.js';

/** The seed file: test users, their passwords and how many tokens each starts with. */
export interface SeedUser {
  name: string;
  password: string;
  tokens: number;
}

export function readSeed(file: string): SeedUser[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new StandinError('S_SEED', `cannot read the seed file ${file}: ${(e as Error).message}`);
  }
  const users = (parsed as { users?: unknown }).users;
  if (!Array.isArray(users) || users.length === 0)
    throw new StandinError('S_SEED', `${file}: "users" must be a non-empty array`);
  return users.map((u, i) => validSeedUser(u, `${file}: users[${i}]`));
}

function validSeedUser(u: unknown, where: string): SeedUser {
  const o = isObject(u) ? u : {};
  const { name, password, tokens = 0 } = o;
  if (typeof name !== 'string' || name === '' || name.includes(':'))
    throw new StandinError('S_SEED', `${where}: "name" must be a non-empty string without ':'`);
  // Basic splits at the FIRST ':' (OZ basic_auth binary:split/2), so real passwords may contain more of them.
  // Prism's mock splits at every ':', so the committed seed.json avoids them.
  if (typeof password !== 'string' || password === '')
    throw new StandinError('S_SEED', `${where}: "password" must be a non-empty string`);
  if (typeof tokens !== 'number' || !Number.isInteger(tokens) || tokens < 0)
    throw new StandinError('S_SEED', `${where}: "tokens" must be a non-negative integer`);
  return { name, password, tokens };
}
