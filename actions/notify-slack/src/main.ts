import { notImplemented } from '@ferry/actions-runner';

await notImplemented('notify-slack', 'tracked in ferry issue #7');
