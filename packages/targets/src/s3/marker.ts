/**
 * `<prefix>.ferry/release.json`: what ferry knows about the objects under a
 * prefix. Written twice per deploy that changes anything:
 *
 *   1. before the first upload or delete, `status: "in-progress"`, naming the
 *      release being deployed (`releaseId`) and the one that was complete
 *      before (`previousReleaseId`); `files`/`etags` are the objects as they
 *      were before the deploy started;
 *   2. after the last delete, `status: "complete"`; `files` is exactly the
 *      release (path -> sha256) and `etags` the ETag of each object.
 *
 * A marker left `in-progress` means the deploy stopped part-way: the prefix
 * holds a mix of both releases. The ETags are opaque: ferry never derives a
 * hash from them (multipart and SSE-KMS ETags are not MD5s). They only say
 * "this object is still the one ferry wrote or read, so its sha256 is the one
 * recorded here"; any object whose listed ETag differs is asked for its
 * `x-amz-meta-ferry-sha256` metadata instead.
 */
export interface S3Marker {
  format: 'ferry.s3-target/v1';
  status: 'in-progress' | 'complete';
  releaseId: string;
  previousReleaseId?: string;
  /** When this marker was written (ISO 8601). */
  at: string;
  files: Record<string, string>;
  etags: Record<string, string>;
}

export const MARKER_FORMAT = 'ferry.s3-target/v1';

/** The marker from its JSON, or undefined when it is not one ferry wrote (then the prefix counts as unmanaged). */
export function parseMarker(text: string): S3Marker | undefined {
  try {
    const m = JSON.parse(text) as Partial<S3Marker>;
    if (m.format !== MARKER_FORMAT || typeof m.releaseId !== 'string' || (m.status !== 'in-progress' && m.status !== 'complete')) return undefined;
    if (typeof m.files !== 'object' || m.files === null || typeof m.etags !== 'object' || m.etags === null) return undefined;
    return m as S3Marker;
  } catch {
    return undefined;
  }
}
