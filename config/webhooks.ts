import { z } from 'zod';
import { ConfigurationError } from './env';
import { parseYamlText, readConfigFile } from './yaml-file';

const webhookSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'webhook names are 1-64 letters, digits, . _ or -'),
    // Slack webhook URLs are secrets: interpolate them from the environment, never log them.
    url: z.url({ protocol: /^https?$/, message: 'url must be an http(s) URL' }),
    format: z.enum(['json', 'slack']).default('json'),
    groups: z.array(z.string().min(1)).min(1, 'name the reviewer groups this webhook speaks for'),
    /** The URL's host may resolve to loopback, private or link-local addresses (an internal receiver). */
    allowPrivateNetwork: z.boolean().default(false),
    /** Slack only: add Approve / Reject buttons (the Slack app's interactivity URL is the API's /slack/interactions). */
    interactive: z.boolean().default(false),
    /**
     * JSON only: the receiver hands each reviewer their own one-click links and nobody else's (a
     * relay that sends each by direct message or e-mail). A link votes as its reviewer for whoever
     * holds it, so without this no body carries links (ADR 054).
     */
    personalLinks: z.boolean().default(false),
  })
  .strict()
  .refine((webhook) => !webhook.interactive || webhook.format === 'slack', {
    message: 'interactive buttons are for format: slack',
    path: ['interactive'],
  })
  .refine((webhook) => !webhook.personalLinks || webhook.format === 'json', {
    message:
      "a slack webhook posts to a channel, where everyone would read every reviewer's links and could vote as any of them: personalLinks is for format: json",
    path: ['personalLinks'],
  });

const notificationsFileSchema = z.object({ webhooks: z.array(webhookSchema).default([]) }).strict();

export type Webhook = z.infer<typeof webhookSchema>;

/** Loads NOTIFICATIONS_FILE (with ${ENV} interpolation); no file means no webhooks. */
export function loadWebhooks(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Webhook[] {
  if (file === undefined) return [];
  const { value } = parseYamlText(file, readConfigFile(file), notificationsFileSchema, env);
  const names = new Set<string>();
  for (const webhook of value.webhooks) {
    if (names.has(webhook.name)) throw new ConfigurationError(`${file}: two webhooks are named "${webhook.name}"`);
    names.add(webhook.name);
  }
  return value.webhooks;
}
