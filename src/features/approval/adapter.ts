import { declarativeAdapter } from '../declarative.js';

const ownSubmissions = `select id from approval.submissions where tenant_id = :tenant and applicant_account_id = :account`;

export const approvalAdapter = declarativeAdapter({
  feature: 'approval',
  datasets: [
    {
      name: 'profile',
      title: 'Approval profile',
      table: 'approval.profiles',
      where: 'profiles.account_id = :account',
      columns: { account_id: 'account-id', name: 'name', employee_id: 'employee-id', department: 'department' },
    },
    {
      name: 'submissions',
      title: 'Your submissions',
      table: 'approval.submissions',
      where: 'submissions.applicant_account_id = :account',
      columns: {
        id: 'submitted-content',
        applicant_account_id: 'account-id',
        form: 'submitted-content',
        title: 'submitted-content',
        content: 'submitted-content',
        status: null,
        submitted_at: 'submitted-content',
      },
      orderBy: 'submitted_at, id',
      erase: {
        // A submission an approver decided on is part of their record; one nobody acted on goes.
        sharedWith: `select s.approver_account_id from approval.steps s where s.submission_id = submissions.id and s.decision <> 'pending'`,
        anonymize: ['applicant_account_id'],
        note: 'Kept on record for the {others} who decided on them, with you removed as the applicant.',
      },
    },
    {
      name: 'steps',
      title: 'Approval steps (yours, and those on your submissions)',
      table: 'approval.steps',
      where: `steps.approver_account_id = :account or steps.submission_id in (${ownSubmissions})`,
      columns: {
        submission_id: null,
        position: null,
        approver_account_id: 'account-id',
        decision: 'submitted-content',
        comment: 'submitted-content',
        decided_at: null,
      },
      orderBy: 'submission_id, position',
      erase: {
        // Others' steps on the subject's submissions go or stay with the submission.
        where: 'steps.approver_account_id = :account',
        sharedWith: `select s.applicant_account_id from approval.submissions s where s.id = steps.submission_id`,
        anonymize: ['approver_account_id'],
        note: 'Kept on the records of the {others} whose submissions you were an approver of, with you removed as approver.',
      },
    },
  ],
});
