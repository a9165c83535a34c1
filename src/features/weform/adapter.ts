import { declarativeAdapter } from '../declarative.js';

export const weformAdapter = declarativeAdapter({
  feature: 'weform',
  datasets: [
    {
      name: 'forms',
      title: 'Forms you published',
      table: 'weform.forms',
      where: 'forms.owner_account_id = :account',
      columns: {
        id: null,
        owner_account_id: 'account-id',
        title: 'submitted-content',
        description: 'submitted-content',
        created_at: null,
      },
      orderBy: 'created_at, id',
      erase: {
        sharedWith: `select s.account_id from weform.submissions s where s.form_id = forms.id`,
        anonymize: ['owner_account_id'],
        note: 'Kept for the {others} who answered them; you are no longer their owner.',
      },
    },
    {
      name: 'submissions',
      title: 'Your answers',
      table: 'weform.submissions',
      where: 'submissions.account_id = :account',
      columns: {
        form_id: null,
        account_id: 'account-id',
        name: 'name',
        department: 'department',
        employee_id: 'employee-id',
        answers: 'submitted-content',
        submitted_at: null,
      },
      orderBy: 'submitted_at, id',
    },
  ],
});
