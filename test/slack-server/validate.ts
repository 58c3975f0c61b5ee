/**
 * Slack's documented argument rules for a message (chat.postMessage /
 * chat.update / incoming webhook payloads) and the Block Kit limits of the
 * blocks ferry sends (header, section, context, actions with buttons,
 * divider): what Slack would refuse, with the error code it answers.
 * Sources: docs.slack.dev reference pages for chat.postMessage ("text or
 * blocks required", 40,000 characters), Block Kit blocks (≤ 50 per message,
 * header ≤ 150 plain_text, section text ≤ 3,000, fields ≤ 10 × 2,000,
 * context ≤ 10 elements, actions ≤ 25 elements, block_id ≤ 255) and block
 * elements (button text ≤ 75 plain_text, action_id ≤ 255, url ≤ 3,000,
 * value ≤ 2,000, style primary|danger).
 */
export interface Invalid {
  error: string;
  detail: string;
}

const bad = (error: string, detail: string): Invalid => ({ error, detail });
const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function textObject(v: unknown, where: string, max: number, only?: 'plain_text'): string | undefined {
  if (!isObj(v)) return `${where}: a text object is required`;
  if (v.type !== 'plain_text' && v.type !== 'mrkdwn') return `${where}.type must be plain_text or mrkdwn`;
  if (only && v.type !== only) return `${where} must be ${only}`;
  if (typeof v.text !== 'string' || v.text.length < 1) return `${where}.text must be a non-empty string`;
  if (v.text.length > max) return `${where}.text is ${v.text.length} characters, more than ${max}`;
  for (const k of Object.keys(v)) if (!['type', 'text', v.type === 'plain_text' ? 'emoji' : 'verbatim'].includes(k)) return `${where}: unknown field ${k}`;
  return undefined;
}

function block(b: unknown, i: number, actionIds: Set<string>): string | undefined {
  const at = `blocks[${i}]`;
  if (!isObj(b)) return `${at} is not an object`;
  if (b.block_id !== undefined && (typeof b.block_id !== 'string' || b.block_id.length > 255)) return `${at}.block_id must be a string of at most 255 characters`;
  const allowed = (keys: string[]) => Object.keys(b).find((k) => !['type', 'block_id', ...keys].includes(k));
  switch (b.type) {
    case 'divider':
      return allowed([]) && `${at}: unknown field ${allowed([])}`;
    case 'header':
      return (allowed(['text']) && `${at}: unknown field ${allowed(['text'])}`) || textObject(b.text, `${at}.text`, 150, 'plain_text');
    case 'section': {
      const extra = allowed(['text', 'fields', 'accessory']);
      if (extra) return `${at}: unknown field ${extra}`;
      if (b.text === undefined && b.fields === undefined) return `${at}: text or fields is required`;
      if (b.text !== undefined) {
        const e = textObject(b.text, `${at}.text`, 3000);
        if (e) return e;
      }
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields) || b.fields.length < 1 || b.fields.length > 10) return `${at}.fields must hold 1 to 10 text objects`;
        for (const [j, f] of b.fields.entries()) {
          const e = textObject(f, `${at}.fields[${j}]`, 2000);
          if (e) return e;
        }
      }
      return undefined;
    }
    case 'context': {
      if (allowed(['elements'])) return `${at}: unknown field ${allowed(['elements'])}`;
      if (!Array.isArray(b.elements) || b.elements.length < 1 || b.elements.length > 10) return `${at}.elements must hold 1 to 10 elements`;
      for (const [j, el] of b.elements.entries()) {
        const e = textObject(el, `${at}.elements[${j}]`, 3000);
        if (e) return e;
      }
      return undefined;
    }
    case 'actions': {
      if (allowed(['elements'])) return `${at}: unknown field ${allowed(['elements'])}`;
      if (!Array.isArray(b.elements) || b.elements.length < 1 || b.elements.length > 25) return `${at}.elements must hold 1 to 25 elements`;
      for (const [j, el] of b.elements.entries()) {
        const w = `${at}.elements[${j}]`;
        if (!isObj(el) || el.type !== 'button') return `${w}: only buttons are checked here`;
        const extra = Object.keys(el).find((k) => !['type', 'text', 'action_id', 'url', 'value', 'style', 'confirm', 'accessibility_label'].includes(k));
        if (extra) return `${w}: unknown field ${extra}`;
        const e = textObject(el.text, `${w}.text`, 75, 'plain_text');
        if (e) return e;
        if (el.action_id !== undefined) {
          if (typeof el.action_id !== 'string' || el.action_id.length > 255) return `${w}.action_id must be a string of at most 255 characters`;
          if (actionIds.has(el.action_id)) return `${w}.action_id ${el.action_id} is not unique in the message`;
          actionIds.add(el.action_id);
        }
        if (el.url !== undefined && (typeof el.url !== 'string' || el.url.length > 3000 || !/^https?:\/\//.test(el.url))) return `${w}.url must be an http(s) URL of at most 3000 characters`;
        if (el.value !== undefined && (typeof el.value !== 'string' || el.value.length > 2000)) return `${w}.value must be at most 2000 characters`;
        if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') return `${w}.style must be primary or danger`;
      }
      return undefined;
    }
    default:
      return `${at}.type ${JSON.stringify(b.type)} is not a block this receiver checks`;
  }
}

/** The first rule `args` breaks, as Slack's error code and a detail; undefined when Slack would take it. */
export function validateMessage(args: Record<string, unknown>, endpoint: string): Invalid | undefined {
  const { text, blocks } = args;
  if (text !== undefined && typeof text !== 'string') return bad(endpoint === 'webhook' ? 'invalid_payload' : 'invalid_arguments', 'text must be a string');
  if ((text === undefined || text === '') && (blocks === undefined || (Array.isArray(blocks) && blocks.length === 0))) return bad('no_text', 'text or blocks is required');
  if (typeof text === 'string' && text.length > 40_000) return bad('msg_too_long', `text is ${text.length} characters, more than 40000`);
  if (blocks !== undefined) {
    if (!Array.isArray(blocks)) return bad('invalid_blocks_format', 'blocks must be an array');
    if (blocks.length > 50) return bad('invalid_blocks', `${blocks.length} blocks, more than 50`);
    const ids = new Set<string>();
    for (const [i, b] of blocks.entries()) {
      const e = block(b, i, ids);
      if (e) return bad('invalid_blocks', e);
    }
  }
  for (const k of ['unfurl_links', 'unfurl_media', 'mrkdwn']) if (args[k] !== undefined && typeof args[k] !== 'boolean' && args[k] !== 'true' && args[k] !== 'false') return bad('invalid_arguments', `${k} must be a boolean`);
  return undefined;
}
