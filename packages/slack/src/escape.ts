/**
 * Slack's text rules for mrkdwn (https://docs.slack.dev/messaging/formatting-message-text):
 * `&`, `<` and `>` are control characters and must be sent as `&amp;`, `&lt;`, `&gt;`.
 * Escaping them is what neutralises `<!channel>`, `<!here>`, `<@U…>` and
 * `<!subteam^…>` in user text. Slack does not turn a literal `@channel` into a
 * mention unless `link_names` is set (ferry never sets it), but clients and
 * other integrations that re-post the text might; so a word joiner (U+2060,
 * invisible, not a space) goes after the `@` of `@channel`, `@here` and `@everyone`.
 */
const WORD_JOINER = '\u2060';

export function escapeText(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(channel|here|everyone)\b/gi, `@${WORD_JOINER}$1`);
}

/**
 * Cuts already-escaped text to at most `max` characters (UTF-16 code units, as
 * Slack counts), ending with "…" when cut, never inside an `&amp;`-style entity
 * or a surrogate pair.
 */
export function truncateEscaped(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = max - 1;
  const amp = s.lastIndexOf('&', cut - 1);
  if (amp >= 0 && amp > cut - 5 && !s.slice(amp, cut).includes(';')) {
    // `cut` falls inside an entity such as `&amp;`: cut before it.
    const end = s.indexOf(';', amp);
    if (end === -1 || end >= cut) cut = amp;
  }
  const code = s.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return s.slice(0, cut) + '…';
}

/** Escapes user text and fits it into `max` characters. */
export function safeText(s: string, max: number): string {
  return truncateEscaped(escapeText(s), max);
}

/**
 * Plain-text objects (header, button labels) show `&`, `<`, `>` as typed and
 * are not parsed for mentions, so they are not entity-escaped (that would show
 * `&amp;`). Belt and braces all the same: a word joiner after every `<` and
 * after the `@` of @channel/@here/@everyone, so no mention syntax survives
 * even where a client did parse it. One line, cut to `max`.
 */
export function plainText(s: string, max: number): string {
  const clean = s
    .replace(/[\r\n]+/g, ' ')
    .replace(/</g, `<${WORD_JOINER}`)
    .replace(/@(channel|here|everyone)\b/gi, `@${WORD_JOINER}$1`);
  if (clean.length <= max) return clean;
  let cut = max - 1;
  const code = clean.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return clean.slice(0, cut) + '…';
}
