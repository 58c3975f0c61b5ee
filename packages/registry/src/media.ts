import { createHash } from 'node:crypto';

/** Manifest media types ferry reads and copies. */
export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** Sent with every manifest request: indexes first, so multi-arch images resolve to their index. */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest].join(', ');

export const INDEX_TYPES: readonly string[] = [MEDIA.ociIndex, MEDIA.dockerList];
export const IMAGE_MANIFEST_TYPES: readonly string[] = [MEDIA.ociManifest, MEDIA.dockerManifest];
export const IMAGE_CONFIG_TYPES: readonly string[] = [MEDIA.ociConfig, MEDIA.dockerConfig];

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  platform?: { os: string; architecture: string; variant?: string; 'os.version'?: string };
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface ManifestJson {
  schemaVersion?: number;
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

/** A manifest exactly as the registry served it: the bytes are what the digest covers. */
export interface Manifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  json: ManifestJson;
}

export function digestOf(bytes: Buffer | Uint8Array, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** The algorithm part of a digest ("sha256"). */
export function algorithmOf(digest: string): string {
  return digest.slice(0, digest.indexOf(':'));
}

export function isIndex(m: Pick<Manifest, 'mediaType'>): boolean {
  return INDEX_TYPES.includes(m.mediaType);
}

/**
 * The media type of a manifest: the one the registry sent when it is a
 * manifest type, else the `mediaType` field, else guessed from its shape
 * (OCI lets `mediaType` be omitted).
 */
export function manifestMediaType(contentType: string | null, json: ManifestJson): string {
  const header = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const known = [...INDEX_TYPES, ...IMAGE_MANIFEST_TYPES, MEDIA.dockerSchema1, MEDIA.dockerSchema1Signed];
  if (known.includes(header)) return header;
  if (typeof json.mediaType === 'string') return json.mediaType;
  if (json.schemaVersion === 1) return MEDIA.dockerSchema1;
  if (Array.isArray(json.manifests)) return MEDIA.ociIndex;
  if (json.config && Array.isArray(json.layers)) return MEDIA.ociManifest;
  return header || 'unknown';
}

/** "linux/arm64/v8" for a descriptor in an index; undefined for attestation entries (unknown/unknown). */
export function platformOf(d: Descriptor): string | undefined {
  const p = d.platform;
  if (!p || p.os === 'unknown' || p.architecture === 'unknown') return undefined;
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Why `m` is not a container image, or undefined when it is one. */
export function notAnImage(m: Manifest): string | undefined {
  if (m.mediaType === MEDIA.dockerSchema1 || m.mediaType === MEDIA.dockerSchema1Signed) return 'it is a Docker schema 1 manifest (deprecated, and not content-addressable); push it again with a current Docker';
  if (isIndex(m)) {
    if (!Array.isArray(m.json.manifests)) return `its ${m.mediaType} has no "manifests" list`;
    if (m.json.manifests.length === 0) return 'it is an empty index';
    return undefined;
  }
  if (!IMAGE_MANIFEST_TYPES.includes(m.mediaType)) return `its manifest has media type ${m.mediaType}`;
  const config = m.json.config?.mediaType;
  if (!config || !Array.isArray(m.json.layers)) return 'its manifest has no config and layers';
  if (m.json.artifactType && !IMAGE_CONFIG_TYPES.includes(m.json.artifactType)) return `it is an OCI artifact of type ${m.json.artifactType}`;
  if (!IMAGE_CONFIG_TYPES.includes(config)) return `it is an OCI artifact (config media type ${config})`;
  return undefined;
}

/** Blobs an image manifest references that a copy must carry (foreign, non-distributable layers stay where their URLs say). */
export function blobsOf(m: Manifest): Descriptor[] {
  const all = [...(m.json.config ? [m.json.config] : []), ...(m.json.layers ?? [])];
  const seen = new Set<string>();
  return all.filter((d) => {
    if (d.urls?.length || seen.has(d.digest)) return false;
    seen.add(d.digest);
    return true;
  });
}
