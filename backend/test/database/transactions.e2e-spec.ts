import { randomUUID } from 'node:crypto';
import { AuditService } from '../../src/audit/audit.service';
import { Transactions } from '../../src/database/transactions';
import { createTestApp, TestApp } from '../setup/test-app';

/**
 * The unit of work of docs/architecture.md (The database): repository calls of several modules, given one `Tx`,
 * commit or roll back together.
 */
describe('Transactions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const rowsOf = async (requestId: string) =>
    (await t.dataSource.query<{ action: string }[]>(`SELECT action FROM audit_events WHERE request_id = $1 ORDER BY action`, [requestId])).map(
      (r) => r.action,
    );
  const record = (requestId: string, action: 'workflow.deleted' | 'workflow.published') => ({
    action,
    actor: { kind: 'system', id: null },
    requestId,
  });

  it('commits every call made with the Tx when the work resolves', async () => {
    const requestId = randomUUID();
    const audit = t.app.get(AuditService);
    const result = await t.app.get(Transactions).run(async (tx) => {
      await audit.record(tx, record(requestId, 'workflow.published'));
      await audit.record(tx, record(requestId, 'workflow.deleted'));
      return 'done';
    });
    expect(result).toBe('done');
    expect(await rowsOf(requestId)).toEqual(['workflow.deleted', 'workflow.published']);
  });

  it('rolls back every call made with the Tx when the work throws', async () => {
    const requestId = randomUUID();
    const audit = t.app.get(AuditService);
    await expect(
      t.app.get(Transactions).run(async (tx) => {
        await audit.record(tx, record(requestId, 'workflow.published'));
        throw new Error('step failed');
      }),
    ).rejects.toThrow('step failed');
    expect(await rowsOf(requestId)).toEqual([]);
  });
});
