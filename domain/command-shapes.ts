// The shapes of commands, by connector, as the API takes them and each connector checks them.
import { z } from 'zod';
import { METHOD_PARAMETER, neverTakenHeader } from './http-headers';
import { STORABLE_TEXT_RULE, isStorableText } from './text';
import { foldedKey, foldedQueryName, keysFoldingAlike, queryParameterName } from './json-keys';

const storable = () => z.string().refine(isStorableText, STORABLE_TEXT_RULE);

/** A SQL connector's command at submit: `{ sql }`, text PostgreSQL can store, at most 100,000 characters. */
export const sqlCommandSchema = z.object({ sql: storable().min(1).max(100_000) }).strict();

export const HTTP_METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
/** The methods that read (`http.readOnly`); the others are writes. */
export const READ_METHODS: ReadonlySet<string> = new Set<HttpMethod>(['GET', 'HEAD', 'OPTIONS']);

/** A name the query and a JSON object body both set, or undefined (ADR 070). */
function nameInQueryAndBody(query: Record<string, string> | undefined, body: unknown): string | undefined {
  if (!query || body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const bodyNames = new Set(Object.keys(body).map(foldedKey));
  return Object.keys(query).find((name) => bodyNames.has(queryParameterName(name)));
}

/**
 * A path the target reads exactly as the policy does: absolute, no `//`, no `.` or `..` segment
 * (raw or percent-encoded), no encoded `/`, `\` or NUL, no query or fragment, and percent-escapes
 * in their one normal form. What a URL parser or the target would normalise differently is refused
 * rather than normalised, so the path policy sees is the path the target gets. Nor may it hold what
 * servers read in more than one way (ADR 069): a `;` (raw or escaped), from which a servlet
 * container drops the rest of the segment before it routes, and an escaped `%`, which a second
 * decoding reads as another character. Spring Security's StrictHttpFirewall refuses both by default.
 */
function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must start with /';
  if (/;|%3B/i.test(path))
    return 'holds a ; (raw or as %3B): servlet containers such as Tomcat and Jetty drop a segment from its ; on before they route, so /refunds;x is /refunds to them and /a/..;/b is /b';
  if (/%25/.test(path))
    return 'holds an escaped % (%25): a server that decodes the path twice reads another path (/%2572efunds is /refunds)';
  if (!/^[A-Za-z0-9\-._~!$&'()*+,=:@%/]*$/.test(path)) return 'holds a character that must be percent-encoded';
  if (/%(?![0-9A-F]{2})/.test(path)) return 'holds a malformed or lower-case percent-escape (write %3A, not %3a)';
  // RFC 3986: an escaped letter, digit, - . _ or ~ is the same path as the character itself, so
  // `/%72efunds` would be /refunds to the target but not to a policy that reads "/refunds".
  if (/%(4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2D|2E|5F|7E)/.test(path))
    return 'escapes a character that needs no escape (a letter, digit, -, ., _ or ~)';
  if (/%(2f|5c|00)/i.test(path)) return 'holds an encoded /, \\ or NUL';
  try {
    decodeURIComponent(path);
  } catch {
    return 'holds percent-escapes that are not UTF-8';
  }
  if (path.includes('//')) return 'holds an empty segment (//)';
  const segments = path.split('/').slice(1);
  if (segments.some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) return 'holds a . or .. segment';
  return undefined;
}

/** Whether a query or a JSON object body has the `_method` key, in any case. */
const hasMethodParameter = (value: unknown): boolean =>
  value !== null &&
  typeof value === 'object' &&
  !Array.isArray(value) &&
  Object.keys(value).some((key) => foldedKey(key) === METHOD_PARAMETER);
const METHOD_PARAMETER_RULE = `no ${METHOD_PARAMETER}: frameworks run a POST as the method it names, not the one policy judged`;

/**
 * Two names of one object that differ only in case (in a query, or in `.`, space and `_` too) are
 * one field to a binder without case (or to PHP), its last value winning (ADR 076).
 */
const refuseKeysFoldingAlike =
  (where: string, fold: (key: string) => string) => (value: unknown, context: z.RefinementCtx) => {
    const alike = keysFoldingAlike(value, fold);
    if (alike)
      context.addIssue({
        code: 'custom',
        message: `${where} names ${JSON.stringify(alike[0])} and ${JSON.stringify(alike[1])}, which a binder reads as one name (Go's encoding/json and ASP.NET Core without case, PHP with . and space as _), the last one winning, while policy reads the first (ADR 076)`,
      });
  };

export const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'not a header name');
const headerValue = z.string().regex(/^[\t\x20-\x7e]{0,2000}$/, 'printable ASCII, at most 2,000 characters');

/** The http connector's command at submit. */
export const httpCommandSchema = z
  .object({
    method: z.enum(HTTP_METHODS),
    path: z
      .string()
      .max(2000)
      .superRefine((path, context) => {
        const problem = pathProblem(path);
        if (problem) context.addIssue({ code: 'custom', message: `the path ${problem}` });
      }),
    query: z
      .record(z.string().min(1).max(200), storable().max(2000))
      .refine((query) => !hasMethodParameter(query), METHOD_PARAMETER_RULE)
      .superRefine(refuseKeysFoldingAlike('the query', foldedQueryName))
      .optional(),
    headers: z
      .record(headerName, headerValue)
      .superRefine((headers, context) => {
        const names = Object.keys(headers);
        for (const name of names) {
          const why = neverTakenHeader(name);
          if (why) context.addIssue({ code: 'custom', message: `headers may not set ${why}` });
        }
        if (new Set(names.map((name) => name.toLowerCase())).size !== names.length)
          context.addIssue({ code: 'custom', message: 'headers name one header twice (names are case-insensitive)' });
      })
      .optional(),
    body: z
      .json()
      .refine((body) => !JSON.stringify(body).includes('\\u0000'), `body strings and keys ${STORABLE_TEXT_RULE}`)
      .refine((body) => JSON.stringify(body).length <= 100_000, 'body: at most 100,000 characters of JSON')
      .refine((body) => !hasMethodParameter(body), METHOD_PARAMETER_RULE)
      .superRefine(refuseKeysFoldingAlike('the body', foldedKey))
      .optional(),
  })
  .strict()
  .refine((command) => command.body === undefined || !['GET', 'HEAD'].includes(command.method), {
    message: 'a GET or HEAD has no body',
    path: ['body'],
  })
  .superRefine((command, context) => {
    const name = nameInQueryAndBody(command.query, command.body);
    if (name)
      context.addIssue({
        code: 'custom',
        path: ['query'],
        message: `names ${queryParameterName(name)} in both the query and the body: frameworks read them as one set of parameters, and which one wins depends on the framework (ADR 070)`,
      });
  });

const sshArgvCommandSchema = z
  .object({
    argv: z
      .array(storable().max(10_000))
      .min(1, 'argv names at least the program')
      .max(256, 'at most 256 arguments')
      .refine((argv) => argv[0] !== '', 'argv[0], the program, may not be empty')
      // The host's shell runs `exec <program> ...`: bash's exec takes options (`-a name` runs the
      // next word as the program), so a program that starts with - could run something else.
      .refine((argv) => !(argv[0] ?? '').startsWith('-'), 'argv[0], the program, may not start with -')
      .refine((argv) => argv.join('').length <= 100_000, 'at most 100,000 characters in all'),
  })
  .strict();

const sshShellCommandSchema = z.object({ shell: storable().min(1).max(100_000) }).strict();

/**
 * The ssh connector's command at submit: `{argv}`, a program and its arguments (each passed as one
 * literal word, never read by a shell), or `{shell}`, a command line for the user's shell (only on
 * a target with `shell: true`).
 */
export const sshCommandSchema = z.union([sshArgvCommandSchema, sshShellCommandSchema]);

/** The one of the two shapes a command means to have, so a refusal names its field rather than "invalid input". */
export const sshCommandSchemaFor = (command: unknown) =>
  command !== null && typeof command === 'object' && 'shell' in command ? sshShellCommandSchema : sshArgvCommandSchema;

export const KUBERNETES_VERBS = ['get', 'list', 'create', 'replace', 'patch', 'delete'] as const;
/** The verbs that need the object's name (the others address the collection). */
const NAMED_VERBS = new Set(['get', 'replace', 'patch', 'delete']);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The kubernetes connector's command at submit. Every part of the URL it becomes is a name of the
 * form Kubernetes itself allows, so the path policy sees is the path the API server gets.
 */
export const kubernetesCommandSchema = z
  .object({
    verb: z.enum(KUBERNETES_VERBS),
    apiVersion: z
      .string()
      .regex(
        /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v[0-9]+((alpha|beta)[0-9]+)?$/,
        'v1, or group/version such as apps/v1',
      ),
    resource: z.string().regex(/^[a-z][a-z0-9]{0,62}$/, "the resource's plural name, lower-case: deployments"),
    namespace: z.string().regex(DNS_LABEL, 'a namespace name: lower-case letters, digits and -').optional(),
    name: z.string().regex(DNS_SUBDOMAIN, 'an object name: lower-case letters, digits, - and .').optional(),
    body: z
      .record(z.string(), z.json())
      .refine((body) => JSON.stringify(body).length <= 100_000, 'body: at most 100,000 characters of JSON')
      .refine((body) => !JSON.stringify(body).includes('\\u0000'), `body strings and keys ${STORABLE_TEXT_RULE}`)
      .optional(),
  })
  .strict()
  .superRefine((command, context) => {
    if (NAMED_VERBS.has(command.verb) && command.name === undefined)
      context.addIssue({ code: 'custom', path: ['name'], message: `${command.verb} needs the object's name` });
    if (!NAMED_VERBS.has(command.verb) && command.name !== undefined)
      context.addIssue({
        code: 'custom',
        path: ['name'],
        message: `${command.verb} addresses the collection: no name`,
      });
    const needsBody = ['create', 'replace', 'patch'].includes(command.verb);
    if (needsBody !== (command.body !== undefined))
      context.addIssue({
        code: 'custom',
        path: ['body'],
        message: needsBody ? `${command.verb} needs a body` : `${command.verb} takes no body`,
      });
  });
