/** The self-contained page every Ratchet report shares: head, inline stylesheet, main column. */
import { html, raw, type SafeHtml } from './html';
import { REPORT_CSS } from './style';

export function reportPage(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ratchet">
<title>${title}</title>
<style>${raw(REPORT_CSS)}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`.value;
}
