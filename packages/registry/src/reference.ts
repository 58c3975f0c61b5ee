import { FerryError, problem, type Location } from '@ferry/core';

/**
 * An image reference, parsed the way Docker parses one
 * (github.com/distribution/reference, ParseNormalizedNamed):
 *
 *   [registry/]path[:tag][@digest]
 *
 * The first path segment is a registry host when it contains "." or ":", or
 * is "localhost" (or is an IPv6 literal in brackets); otherwise the image is
 * on Docker Hub (docker.io), and a one-segment name gets "library/" in front.
 */
export interface ImageRef {
  /** Registry as written, normalised: "docker.io", "ghcr.io", "localhost:5000". */
  registry: string;
  /** Repository inside the registry: "library/alpine", "acme/etl". */
  repository: string;
  tag?: string;
  /** "sha256:<64 hex>" (or another algorithm the registry speaks). */
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's registry API actually answers. */
const DOCKER_HUB_API = 'registry-1.docker.io';

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
const SHA512 = /^sha512:[a-f0-9]{128}$/;
const MAX_NAME = 255;

/** Thrown as FERRY_IMAGE_REF with the location the caller gives. */
function bad(input: string, why: string, where?: Location): never {
  throw new FerryError(problem('FERRY_IMAGE_REF', `"${input}" is not an image reference: ${why}`, where ? { location: where } : {}));
}

/** Whether `digest` is one ferry can verify (sha256 or sha512, lowercase hex). */
export function isDigest(digest: string): boolean {
  return SHA256.test(digest) || SHA512.test(digest);
}

export function isTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Splits off the registry host the way Docker does. */
function splitDomain(name: string): { registry: string; remainder: string } {
  const i = name.indexOf('/');
  const first = i < 0 ? '' : name.slice(0, i);
  if (i < 0 || (!/[.:]/.test(first) && first !== 'localhost' && !first.startsWith('[') && first.toLowerCase() === first)) {
    return { registry: DOCKER_HUB, remainder: name };
  }
  let registry = first;
  const remainder = name.slice(i + 1);
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  return { registry, remainder };
}

/** Parses a full reference; with `requireTagOrDigest: false` a bare name gets the tag "latest", as Docker does. */
export function parseImageRef(input: string, where?: Location): ImageRef {
  const s = input.trim();
  if (!s) bad(input, 'it is empty', where);
  if (/\s/.test(s)) bad(input, 'it contains white space', where);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) bad(input, 'leave out the scheme (https://)', where);
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) bad(input, `"${digest}" is not a digest (sha256:<64 hex digits>)`, where);
    if (!isDigest(digest)) bad(input, `ferry verifies sha256 and sha512 digests only, got "${digest}"`, where);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) bad(input, `"${tag}" is not a valid tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`, where);
  }
  const { registry, repository } = parseName(rest, input, where);
  if (!tag && !digest) tag = 'latest';
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** A repository without tag or digest (promotion targets: "ghcr.io/acme/etl"). */
export function parseRepository(input: string, where?: Location): { registry: string; repository: string } {
  const s = input.trim();
  if (s.includes('@')) bad(input, 'a repository takes no digest', where);
  const lastSlash = s.lastIndexOf('/');
  if (s.lastIndexOf(':') > lastSlash) bad(input, 'a repository takes no tag (the environment\'s `tag` sets it)', where);
  return parseName(s, input, where);
}

function parseName(name: string, input: string, where?: Location): { registry: string; repository: string } {
  if (!name) bad(input, 'the repository name is missing', where);
  const { registry, remainder } = splitDomain(name);
  if (!DOMAIN.test(registry)) bad(input, `"${registry}" is not a registry host`, where);
  let repository = remainder;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (!repository) bad(input, 'the repository name is missing', where);
  if (repository.toLowerCase() !== repository) bad(input, 'repository names must be lowercase', where);
  for (const part of repository.split('/')) {
    if (!PATH_COMPONENT.test(part)) bad(input, `"${part}" is not a valid repository path component (lowercase letters, digits, and ".", "_", "__" or "-" between them)`, where);
  }
  if (registry.length + 1 + repository.length > MAX_NAME) bad(input, `the name is longer than ${MAX_NAME} characters`, where);
  return { registry, repository };
}

/** `registry/repository[:tag][@digest]`, fully qualified. */
export function formatRef(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** `registry/repository@digest`: what a release pins. */
export function pinnedRef(ref: Pick<ImageRef, 'registry' | 'repository'>, digest: string): string {
  return `${ref.registry}/${ref.repository}@${digest}`;
}

/** The host (and port) whose /v2/ API serves `registry`. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/** The host part of `registry` without its port: "localhost", "127.0.0.1", "::1". */
export function hostName(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(1, registry.indexOf(']'));
  const i = registry.lastIndexOf(':');
  return i >= 0 ? registry.slice(0, i) : registry;
}

/** localhost, 127.0.0.0/8 and ::1: the only hosts ferry ever speaks plain HTTP to. */
export function isLoopback(registry: string): boolean {
  const h = hostName(registry).toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h);
}
