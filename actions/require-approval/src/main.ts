import { notImplemented } from '@ferry/actions-runner';

await notImplemented('require-approval', 'tracked in ferry issue #6');
