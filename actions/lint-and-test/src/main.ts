import { notImplemented } from '@ferry/actions-runner';

await notImplemented('lint-and-test', 'tracked in ferry issue #3');
