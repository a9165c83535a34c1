import { dataset, declarativeAdapter } from '../declarative.js';
import { tableName } from '../sql-text.js';
import { forms, submissions } from './tables.js';

export const weformAdapter = declarativeAdapter({
  feature: 'weform',
  datasets: [
    dataset({
      name: 'forms',
      title: 'Forms you published',
      table: forms,
      where: 'forms.owner_account_id = :account',
      columns: {
        id: null,
        ownerAccountId: 'account-id',
        title: 'submitted-content',
        description: 'submitted-content',
        createdAt: null,
      },
      orderBy: ['createdAt', 'id'],
      erase: {
        sharedWith: `select s.account_id from ${tableName(submissions)} s where s.form_id = forms.id`,
        anonymize: ['ownerAccountId'],
        note: 'Kept for the {others} who answered them; you are no longer their owner.',
      },
    }),
    dataset({
      name: 'submissions',
      title: 'Your answers',
      table: submissions,
      where: 'submissions.account_id = :account',
      columns: {
        formId: null,
        accountId: 'account-id',
        name: 'name',
        department: 'department',
        employeeId: 'employee-id',
        answers: 'submitted-content',
        submittedAt: null,
      },
      orderBy: ['submittedAt', 'id'],
    }),
  ],
});
