// The gate's calls to Slack after a button click: open the reject dialog, look a reviewer's
// e-mail up, and rewrite the channel message through the interaction's response_url.
import { WebClient } from '@slack/web-api';
import { postJson } from '../notifications/post-json';

export interface SlackWeb {
  /**
   * The e-mail in the user's Slack profile, when a bot token is configured and Slack vouches for it:
   * a confirmed address of a live member of the app's own workspace (ADR 055).
   */
  confirmedEmailOf(slackUserId: string): Promise<string | undefined>;
  openDialog(triggerId: string, view: object): Promise<void>;
  /** Posts to a response_url, which must be Slack's (hooks.slack.com) or the configured API's origin. */
  respond(responseUrl: string, body: object): Promise<void>;
}

export function createSlackWeb(options: { botToken?: string; apiUrl: string }): SlackWeb {
  const web = new WebClient(options.botToken, {
    slackApiUrl: options.apiUrl,
    retryConfig: { retries: 2 },
    timeout: 5_000,
    allowAbsoluteUrls: false,
  });
  const standIn = new URL(options.apiUrl).origin;
  return {
    async confirmedEmailOf(slackUserId) {
      if (!options.botToken) return undefined;
      const user = (await web.users.info({ user: slackUserId }).catch(() => undefined))?.user;
      // A member of another organization in a shared channel (Slack Connect) is a stranger: their
      // workspace, not ours, says what their address is. So is an address Slack never confirmed.
      if (!user || user.is_stranger || user.deleted || user.is_bot || user.is_email_confirmed !== true)
        return undefined;
      return user.profile?.email;
    },
    async openDialog(triggerId, view) {
      if (!options.botToken) throw new Error('SLACK_BOT_TOKEN is not set: the reject dialog cannot open');
      await web.views.open({ trigger_id: triggerId, view: view as never });
    },
    async respond(responseUrl, body) {
      const url = new URL(responseUrl);
      const slack = url.protocol === 'https:' && url.hostname === 'hooks.slack.com';
      // The stand-in for Slack (SLACK_API_URL, in tests) may live on this machine.
      if (!slack && url.origin !== standIn) throw new Error(`response_url ${url.origin} is not Slack's`);
      await postJson(responseUrl, body, { allowSpecialAddresses: !slack });
    },
  };
}
