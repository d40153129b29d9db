// The codec server the Temporal Web UI and CLI call to show encrypted payloads
// (`--ui-codec-endpoint`, `temporal ... --codec-endpoint`): POST /v1/codec/encode and /decode for
// reviewers; with LOCAL_CODEC, also /codec/encode and /decode for loopback callers without a token
// (the local stack's Web UI cannot send one).
import cors from '@fastify/cors';
import ipaddr from 'ipaddr.js';
import type { FastifyRequest } from 'fastify';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PayloadDecryptionError } from '../../temporal/aes-gcm-codec';
import { HttpError } from '../http-error';
import { requireReviewer } from '../plugins/authentication';
import { errorBody } from '../schemas';

export interface CodecRoutesOptions {
  /** Absent when PAYLOAD_KEYS is not set: history is plain and there is nothing to decode. */
  codec?: PayloadCodec;
  namespace: string;
  /** Web UI origins allowed to call from a browser (CODEC_CORS_ORIGINS). */
  corsOrigins: string[];
  /**
   * `reviewers`: registered at /v1/codec, inside the authenticated scope; `loopback`: at /codec,
   * for callers on this machine. Each registration has its own prefix, so the CORS preflight route
   * of each stays under it.
   */
  access: 'reviewers' | 'loopback';
}

/** Headers a proxy adds: a request carrying one came through a proxy, whatever its socket says. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

function refuseUnlessLoopback(request: FastifyRequest): void {
  const address = request.socket.remoteAddress ?? '';
  const loopback = ipaddr.isValid(address) && ipaddr.process(address).range() === 'loopback';
  // A load balancer on this machine connects from loopback on behalf of callers from anywhere.
  const proxied = FORWARDING_HEADERS.some((header) => header in request.headers);
  if (!loopback || proxied)
    throw new HttpError(403, 'forbidden', 'the local codec answers callers on this machine only, not through a proxy');
}

const base64 = z.base64('not base64');
// The JSON form of temporal.api.common.v1.Payload, bytes as base64 (what the UI and CLI send).
const jsonPayloads = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), base64).default({}), data: base64.default('') }))
    .max(10_000),
});

const fromJson = ({ payloads }: z.infer<typeof jsonPayloads>): Payload[] =>
  payloads.map(({ metadata, data }) => ({
    metadata: Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    data: Buffer.from(data, 'base64'),
  }));

const toJson = (payloads: Payload[]) => ({
  payloads: payloads.map(({ metadata, data }) => ({
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')]),
    ),
    data: Buffer.from(data ?? []).toString('base64'),
  })),
});

export const codecRoutes: FastifyPluginAsyncZod<CodecRoutesOptions> = async (
  app,
  { codec, namespace, corsOrigins, access },
) => {
  // Scoped to this plugin: only the codec answers cross-origin requests.
  await app.register(cors, {
    origin: corsOrigins,
    methods: ['POST'],
    allowedHeaders: ['authorization', 'content-type', 'x-namespace'],
    credentials: true,
    maxAge: 600,
  });

  for (const direction of ['encode', 'decode'] as const) {
    app.post(
      `/${direction}`,
      {
        // A page of history can hold many results; each payload is already capped by Temporal.
        bodyLimit: 8 * 1024 * 1024,
        schema: {
          summary: `${direction === 'encode' ? 'Encrypt' : 'Decrypt'} Temporal payloads for the Web UI or CLI (reviewers)`,
          body: jsonPayloads,
          headers: z.object({ 'x-namespace': z.string().optional() }),
          response: { 200: jsonPayloads, 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody },
        },
      },
      async (request) => {
        if (access === 'reviewers') requireReviewer(request);
        else refuseUnlessLoopback(request);
        if (!codec)
          throw new HttpError(404, 'codec_off', 'payload encryption is off on this gate (PAYLOAD_KEYS is not set)');
        // The Web UI names the namespace; the CLI sends the header empty.
        const asked = request.headers['x-namespace'];
        if (asked && asked !== namespace)
          throw new HttpError(400, 'wrong_namespace', `this codec serves namespace ${namespace}, not ${asked}`);
        try {
          return toJson(await codec[direction](fromJson(request.body)));
        } catch (error) {
          if (error instanceof PayloadDecryptionError) throw new HttpError(400, 'undecryptable', error.message);
          throw error;
        }
      },
    );
  }
};
