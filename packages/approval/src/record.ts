import { z } from 'zod';
import { fail, type ApprovalRecord } from '@ferry/core';

const ApprovalRecordSchema = z.strictObject({
  mode: z.enum(['environment', 'comment', 'cli']),
  environment: z.string().min(1),
  releaseId: z.string().regex(/^[0-9a-f]{12,64}$/, 'a release id (12 to 64 hex characters)'),
  approvers: z.array(z.strictObject({ login: z.string().min(1), at: z.string().min(1) })),
  override: z.strictObject({ window: z.string().min(1), reason: z.string() }).optional(),
  url: z.string().optional(),
  planDigest: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});

/** deploy-env's `approval` input: require-approval's `approval` output, checked before anything is planned. */
export function parseApprovalRecord(text: string, input = 'approval'): ApprovalRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return fail('FERRY_APPROVAL_INVALID', `input "${input}" is not JSON: ${(e as Error).message}`, { hint: 'Pass require-approval\'s output unchanged: approval: ${{ steps.<id>.outputs.approval }}.' });
  }
  const r = ApprovalRecordSchema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return fail('FERRY_APPROVAL_INVALID', `input "${input}" is not an approval record: ${issues}`);
  }
  return r.data as ApprovalRecord;
}
