import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DOCKER_HUB } from './reference.js';

/**
 * Credentials for one registry. Where they came from is kept for messages
 * ("user ci from FERRY_REGISTRY_GHCR_IO_USERNAME"); the password never is.
 */
export interface Credentials {
  username: string;
  password: string;
  source: string;
}

/** Credentials for a registry as written in image references ("ghcr.io", "docker.io", "localhost:5000"), or none. */
export type CredentialLookup = (registry: string) => Credentials | undefined;

/**
 * `FERRY_REGISTRY_<HOST>_USERNAME` / `_PASSWORD`: HOST is the registry as
 * written in the image reference, upper-cased, every character other than a
 * letter or digit replaced by "_":
 *
 *   ghcr.io                                      FERRY_REGISTRY_GHCR_IO_USERNAME
 *   docker.io (Docker Hub)                       FERRY_REGISTRY_DOCKER_IO_USERNAME
 *   123456789012.dkr.ecr.eu-west-1.amazonaws.com FERRY_REGISTRY_123456789012_DKR_ECR_EU_WEST_1_AMAZONAWS_COM_USERNAME
 *   localhost:5000                               FERRY_REGISTRY_LOCALHOST_5000_USERNAME
 */
export function credentialVariables(registry: string): { username: string; password: string } {
  const key = registry.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return { username: `FERRY_REGISTRY_${key}_USERNAME`, password: `FERRY_REGISTRY_${key}_PASSWORD` };
}

export interface DefaultCredentialOptions {
  /** Reads a username variable (default: process.env). Usernames are not masked: a short one would blank out every log line that contains it. */
  env?: (name: string) => string | undefined;
  /**
   * Reads a password variable; pass the kind context's `secret` so the value
   * is masked the moment it is read (default: `env`).
   */
  secret?: (name: string) => string | undefined;
  /** Folder holding config.json (default: $DOCKER_CONFIG, else ~/.docker). */
  dockerConfigDir?: string;
  /** Called with every secret read from the Docker config file. */
  mask?: (secret: string) => void;
}

/**
 * ferry's credential chain, first match wins:
 *   1. FERRY_REGISTRY_<HOST>_USERNAME and _PASSWORD (both must be set);
 *   2. the `auths` of Docker's config.json ($DOCKER_CONFIG/config.json or
 *      ~/.docker/config.json), as `docker login` and docker/login-action
 *      write it: an `auth` entry (base64 "user:password") or `username` and
 *      `password` fields, keyed by host, https://host, or
 *      https://index.docker.io/v1/ for Docker Hub.
 * Credential helpers (`credsStore`, `credHelpers`) and `identitytoken` are
 * not used: a workflow that relies on them should export the variables.
 */
export function defaultCredentials(opts: DefaultCredentialOptions = {}): CredentialLookup {
  const env = opts.env ?? ((n: string) => process.env[n]);
  const secret = opts.secret ?? env;
  const dir = opts.dockerConfigDir ?? process.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker');
  let docker: Record<string, DockerAuth> | undefined;
  const cache = new Map<string, Credentials | undefined>();
  return (registry) => {
    if (cache.has(registry)) return cache.get(registry);
    const vars = credentialVariables(registry);
    const username = env(vars.username);
    const password = username ? secret(vars.password) : undefined;
    let found: Credentials | undefined;
    if (username && password) found = { username, password, source: `${vars.username} / ${vars.password}` };
    else {
      docker ??= readDockerAuths(path.join(dir, 'config.json'));
      const entry = dockerEntry(docker, registry);
      if (entry) {
        const c = decodeDockerAuth(entry.value);
        if (c) {
          opts.mask?.(c.password);
          if (entry.value.auth) opts.mask?.(entry.value.auth);
          found = { ...c, source: `${path.join(dir, 'config.json')} (auths["${entry.key}"])` };
        }
      }
    }
    cache.set(registry, found);
    return found;
  };
}

/** Fixed credentials per registry (tests, embedding). */
export function staticCredentials(map: Record<string, { username: string; password: string }>): CredentialLookup {
  return (registry) => {
    const c = map[registry];
    return c ? { ...c, source: 'given' } : undefined;
  };
}

interface DockerAuth {
  auth?: string;
  username?: string;
  password?: string;
}

function readDockerAuths(file: string): Record<string, DockerAuth> {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { auths?: Record<string, DockerAuth> };
    return parsed && typeof parsed.auths === 'object' && parsed.auths ? parsed.auths : {};
  } catch {
    // A missing or unreadable config means "no credentials", as for Docker itself.
    return {};
  }
}

/** Docker keys auths by "host", "https://host", "https://host/v1/" and, for Docker Hub, "https://index.docker.io/v1/". */
function dockerEntry(auths: Record<string, DockerAuth>, registry: string): { key: string; value: DockerAuth } | undefined {
  const wanted = registry === DOCKER_HUB ? new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']) : new Set([registry.toLowerCase()]);
  for (const [key, value] of Object.entries(auths)) {
    const host = key
      .replace(/^[a-z]+:\/\//i, '')
      .replace(/\/.*$/, '')
      .toLowerCase();
    if (wanted.has(host) && value && typeof value === 'object') return { key, value };
  }
  return undefined;
}

function decodeDockerAuth(a: DockerAuth): { username: string; password: string } | undefined {
  if (typeof a.auth === 'string' && a.auth) {
    const text = Buffer.from(a.auth, 'base64').toString('utf8');
    const i = text.indexOf(':');
    if (i > 0) return { username: text.slice(0, i), password: text.slice(i + 1) };
  }
  if (a.username && a.password) return { username: a.username, password: a.password };
  return undefined;
}
