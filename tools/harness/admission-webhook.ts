// A validating admission webhook that holds each config map the API server is about to create for
// a few seconds, then allows it: the fault harness's way to keep a Kubernetes call in flight while
// it kills the executor. It records the name of every object it is asked about, so the harness can
// count how many times a command reached the API server.
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { EXECUTOR_NAMESPACE, type KubernetesCluster } from '../stack/kubernetes-cluster';
import { createThrowawayCa } from '../stack/throwaway-ca';

export interface AdmissionWebhook {
  /** The name of each object the API server asked about, once per admission request. */
  reviewed: string[];
  stop(): Promise<void>;
}

interface AdmissionReview {
  request?: { uid: string; name?: string; object?: { metadata?: { name?: string } } };
}

export async function startAdmissionWebhook(
  scratch: string,
  cluster: KubernetesCluster,
  holdMs: number,
): Promise<AdmissionWebhook> {
  const ca = createThrowawayCa(path.join(mkdtempSync(path.join(scratch, 'webhook-')), 'ca'));
  const reviewed: string[] = [];
  const server = https.createServer(
    { cert: readFileSync(ca.serverCert), key: readFileSync(ca.serverKey) },
    (request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        const review = JSON.parse(text) as AdmissionReview;
        reviewed.push(review.request?.object?.metadata?.name ?? review.request?.name ?? '');
        setTimeout(() => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(
            JSON.stringify({
              apiVersion: 'admission.k8s.io/v1',
              kind: 'AdmissionReview',
              response: { uid: review.request?.uid, allowed: true },
            }),
          );
        }, holdMs);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const registered = await cluster.admin(
    'POST',
    '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
    {
      metadata: { name: 'hold-config-maps' },
      webhooks: [
        {
          name: 'hold.config-maps.approval-gate.test',
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Fail',
          timeoutSeconds: 30,
          clientConfig: {
            url: `https://127.0.0.1:${port}/validate`,
            caBundle: Buffer.from(readFileSync(ca.caCert)).toString('base64'),
          },
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': EXECUTOR_NAMESPACE } },
          rules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'], scope: '*' },
          ],
        },
      ],
    },
  );
  if (registered.status !== 201)
    throw new Error(`the webhook was not registered: ${registered.status} ${JSON.stringify(registered.body)}`);
  return {
    reviewed,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
