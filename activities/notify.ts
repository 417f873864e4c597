/**
 * Notifications (approval requested, gate failed, promotion paused, rollback, drift alert): a JSON
 * POST to RATCHET_WEBHOOK_URL whose `text` field Slack-compatible receivers display as is. A
 * failed delivery is logged and never fails the workflow step that sent it.
 */
export interface Notification {
  model: string;
  event: string;
  text: string;
  at: string;
  details?: Record<string, unknown>;
}

export async function postNotification(notification: Notification, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const url = env.RATCHET_WEBHOOK_URL;
  if (!url) return false;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...notification, text: `[ratchet] ${notification.text}` }),
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) process.stderr.write(`notification ${notification.event} to the webhook failed: HTTP ${response.status}\n`);
    return response.ok;
  } catch (err) {
    process.stderr.write(`notification ${notification.event} to the webhook failed: ${(err as Error).message}\n`);
    return false;
  }
}
