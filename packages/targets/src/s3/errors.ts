import { FerryError, problem, type ErrorCode } from '@ferry/core';

interface AwsLikeError {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

const ACCESS = new Set(['AccessDenied', 'Forbidden', 'AllAccessDisabled', 'AccountProblem']);
const CREDENTIALS = new Set(['CredentialsProviderError', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'TokenRefreshRequired', 'InvalidToken', 'ExpiredTokenException']);
const REGION = new Set(['PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException']);

/** The AWS error code of a thrown SDK error ("AccessDenied", "NoSuchBucket", …), or a network error code. */
export function awsCode(e: unknown): string {
  const err = (e ?? {}) as AwsLikeError;
  if (err.Code) return err.Code;
  const status = err.$metadata?.httpStatusCode;
  // HEAD responses have no body: the SDK names the error after the status.
  if (err.name === 'NotFound' || (status === 404 && err.name === 'UnknownError')) return 'NotFound';
  if (status === 403 && (!err.name || err.name === 'UnknownError' || err.name === '403')) return 'Forbidden';
  return err.code ?? err.name ?? 'Error';
}

/**
 * A FerryError for a failed S3 call: names the target, the operation, the AWS
 * error code and HTTP status, and says what usually fixes it.
 */
export function s3Error(e: unknown, where: { bucket: string; prefix: string; description: string }, operation: string): FerryError {
  if (e instanceof FerryError) return e;
  const err = (e ?? {}) as AwsLikeError;
  const code = awsCode(e);
  const status = err.$metadata?.httpStatusCode;
  const raw = (err.message ?? String(e)).split('\n')[0]!;
  const what = `${where.description}: ${operation} failed: ${code}${status ? ` (HTTP ${status})` : ''}${raw && raw !== code ? `: ${raw}` : ''}${err.$metadata?.requestId ? ` [request id ${err.$metadata.requestId}]` : ''}`;
  let c: ErrorCode = 'FERRY_S3';
  let hint: string | undefined;
  if (ACCESS.has(code) || (status === 403 && !CREDENTIALS.has(code))) {
    c = 'FERRY_S3_ACCESS_DENIED';
    const arn = `arn:aws:s3:::${where.bucket}`;
    hint = `The credentials in use may not do this. Allow s3:ListBucket on ${arn}${where.prefix ? ` (condition s3:prefix "${where.prefix}*")` : ''}, and s3:GetObject, s3:PutObject, s3:DeleteObject on ${arn}/${where.prefix}*; check bucket policies, KMS key policies and S3 Block Public Access/Object Ownership too.`;
  } else if (code === 'NoSuchBucket') {
    c = 'FERRY_S3_NO_SUCH_BUCKET';
    hint = `Bucket "${where.bucket}" does not exist at this endpoint/region: create it, or fix \`bucket\`, \`region\` and \`endpoint\` of the S3 target in ferry.yml.`;
  } else if (CREDENTIALS.has(code) || /could not load credentials|credential/i.test(raw)) {
    c = 'FERRY_S3_CREDENTIALS';
    hint =
      code === 'CredentialsProviderError'
        ? 'No AWS credentials were found (environment, shared config/credentials files, web identity token, container or instance metadata). In GitHub Actions add aws-actions/configure-aws-credentials (role-to-assume, with `permissions: id-token: write`) before this step; locally set AWS_PROFILE or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.'
        : 'The AWS credentials were refused (wrong, expired or for another partition): re-run aws-actions/configure-aws-credentials or refresh the profile, and check the secret key and session token belong together.';
  } else if (REGION.has(code) || /region is missing/i.test(raw)) {
    hint = 'Set `region` of the S3 target in ferry.yml (or AWS_REGION) to the bucket\'s region.';
  } else if (/^(ECONNREFUSED|ENOTFOUND|ECONNRESET|ETIMEDOUT|EAI_AGAIN|EPIPE)$/.test(code) || /ECONNREFUSED|ENOTFOUND|socket hang up/.test(raw)) {
    hint = 'The S3 endpoint could not be reached: check `endpoint` in ferry.yml, proxies (HTTPS_PROXY) and the network. The SDK already retried.';
  }
  return new FerryError(problem(c, what, hint ? { hint } : {}));
}
