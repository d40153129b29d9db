// What an attack on a PostgreSQL target could do beyond its answer, watched from outside the gate:
// a victim session it might end (`pg_terminate_backend`), and the notices it might send on the
// `deploys` channel (`pg_notify`), which an application would act on.
import { Client, type Notification } from 'pg';
import { requiredEnv } from './stack';

export interface TargetWatch {
  /** Every notice heard on `deploys` so far. */
  readonly heard: readonly Notification[];
  /** Whether the victim's session was ended since the last look (a new one is opened then). */
  victimEnded(): Promise<boolean>;
  /** Waits a moment for the notices a commit would have sent. */
  settle(): Promise<void>;
  /**
   * Runs `action`, waits for the notices it may have sent, and says what it did on the target:
   * `2 notices`, `victim ended`; nothing when it did neither.
   */
  around<T>(action: () => Promise<T>): Promise<{ result: T; effects: string[] }>;
  close(): Promise<void>;
}

/** Opens the victim's session, named `victimName`, and a listener, both as the target's own role. */
export async function watchTarget(victimName: string): Promise<TargetWatch> {
  const connectVictim = async () => {
    const client = new Client({
      connectionString: requiredEnv('TEST_TARGET_DATABASE_URL'),
      application_name: victimName,
    });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  const heard: Notification[] = [];
  const listener = new Client({ connectionString: requiredEnv('TEST_TARGET_DATABASE_URL') });
  await listener.connect();
  listener.on('notification', (message) => heard.push(message));
  await listener.query('LISTEN deploys');
  let victim = await connectVictim();
  const victimEnded = async () => {
    const alive = await victim.query('SELECT 1').then(
      () => true,
      () => false,
    );
    if (!alive) victim = await connectVictim();
    return !alive;
  };
  const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 500));
  return {
    heard,
    victimEnded,
    settle,
    async around(action) {
      const before = heard.length;
      const result = await action();
      await settle();
      const notices = heard.length - before;
      const effects = [
        ...(notices > 0 ? [`${notices} notices`] : []),
        ...((await victimEnded()) ? ['victim ended'] : []),
      ];
      return { result, effects };
    },
    async close() {
      await victim.end().catch(() => undefined);
      await listener.end().catch(() => undefined);
    },
  };
}
