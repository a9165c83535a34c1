import { dataset, declarativeAdapter } from '../declarative.js';
import { tableName } from '../sql-text.js';
import { profiles, steps, submissions } from './tables.js';

const ownSubmissions = `select id from ${tableName(submissions)} where tenant_id = :tenant and applicant_account_id = :account`;

export const approvalAdapter = declarativeAdapter({
  feature: 'approval',
  datasets: [
    dataset({
      name: 'profile',
      title: 'Approval profile',
      table: profiles,
      where: 'profiles.account_id = :account',
      columns: { accountId: 'account-id', name: 'name', employeeId: 'employee-id', department: 'department' },
    }),
    dataset({
      name: 'submissions',
      title: 'Your submissions',
      table: submissions,
      where: 'submissions.applicant_account_id = :account',
      columns: {
        id: 'submitted-content',
        applicantAccountId: 'account-id',
        form: 'submitted-content',
        title: 'submitted-content',
        content: 'submitted-content',
        status: null,
        submittedAt: 'submitted-content',
      },
      orderBy: ['submittedAt', 'id'],
      erase: {
        // A submission an approver decided on is part of their record; one nobody acted on goes.
        sharedWith: `select s.approver_account_id from ${tableName(steps)} s where s.submission_id = submissions.id and s.decision <> 'pending'`,
        anonymize: ['applicantAccountId'],
        note: 'Kept on record for the {others} who decided on them, with you removed as the applicant.',
      },
    }),
    dataset({
      name: 'steps',
      title: 'Approval steps (yours, and those on your submissions)',
      table: steps,
      where: `steps.approver_account_id = :account or steps.submission_id in (${ownSubmissions})`,
      columns: {
        submissionId: null,
        position: null,
        approverAccountId: 'account-id',
        decision: 'submitted-content',
        comment: 'submitted-content',
        decidedAt: null,
      },
      orderBy: ['submissionId', 'position'],
      erase: {
        // Others' steps on the subject's submissions go or stay with the submission.
        where: 'steps.approver_account_id = :account',
        sharedWith: `select s.applicant_account_id from ${tableName(submissions)} s where s.id = steps.submission_id`,
        anonymize: ['approverAccountId'],
        note: 'Kept on the records of the {others} whose submissions you were an approver of, with you removed as approver.',
      },
    }),
  ],
});
